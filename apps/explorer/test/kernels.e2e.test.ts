import { spawnSync } from "node:child_process";
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { gunzipSync } from "node:zlib";
import { needs } from "@memdesc/testkit";
import type { Page } from "playwright-core";
import { afterAll, beforeAll, expect, it } from "vitest";
import { browserMissing, cliBin, type ExplorerSession, openExplorer, repoRoot } from "./harness.js";

/*
 * Kernels dropped on the Layouts view, in Chromium: Linux 6.18's BTF (raw) and Debian's 6.1 vmlinux (ELF), both
 * from @memdesc/btf's fixtures. What the page shows must be what the CLI prints for the same files:
 * `memdesc check --btf A --btf B --json` for the plugin's results, `memdesc layout NAME --btf A --vs B --json`
 * for the difference, `memdesc layout NAME --btf FILE` for the struct as pahole prints it.
 */

const chromium = needs("chromium", browserMissing());

const artifacts = join(repoRoot, "test-artifacts", "explorer");
const btf618 = join(repoRoot, "packages/btf/fixtures/linux-6.18-memdesc.btf");
const debian61 = join(repoRoot, "packages/btf/fixtures/kernels/debian-6.1.0-57-cloud-amd64/vmlinux.gz");

function cli(args: string[]): { status: number | null; stdout: string } {
  const r = spawnSync(process.execPath, [cliBin, ...args], { encoding: "utf8", timeout: 60_000 });
  return { status: r.status, stdout: r.stdout };
}

/** Drops files on the kernel drop zone as a user would drag them from a file manager. */
async function drop(page: Page, files: { name: string; bytes: Buffer }[]) {
  const dt = await page.evaluateHandle(
    (list) => {
      const t = new DataTransfer();
      for (const f of list)
        t.items.add(new File([Uint8Array.from(atob(f.base64), (c) => c.charCodeAt(0))], f.name));
      return t;
    },
    files.map((f) => ({ name: f.name, base64: f.bytes.toString("base64") })),
  );
  await page.dispatchEvent("[data-testid=kernel-drop]", "dragover", { dataTransfer: dt });
  await page.dispatchEvent("[data-testid=kernel-drop]", "drop", { dataTransfer: dt });
}

chromium.describe("kernels dropped on the Layouts view", () => {
  let explorer: ExplorerSession;
  let page: Page;
  const a = { name: "linux-6.18-memdesc.btf", bytes: readFileSync(btf618) };
  const b = { name: "vmlinux-6.1.0-57-cloud-amd64", bytes: gunzipSync(readFileSync(debian61)) };
  const dir = join(artifacts, "kernels");

  beforeAll(async () => {
    mkdirSync(dir, { recursive: true });
    explorer = await openExplorer();
    page = explorer.page;
    await page.goto(`${explorer.preview.url}#layouts`);
    await page.waitForSelector("[data-testid=kernel-drop]");
  });

  afterAll(async () => {
    await explorer?.close();
  });

  it("checks the plugin against both kernels as `memdesc check` does, and shows the difference as `layout --vs`", async () => {
    // The 6.1 file is ELF; written out for the CLI, it is the same bytes the page reads.
    const elf = join(dir, b.name);
    writeFileSync(elf, b.bytes);
    await drop(page, [a, b]);
    await page.waitForSelector("[data-testid=kernel-check] tbody tr[data-kernel=B]");
    expect(await page.getByTestId("kernel-status").textContent()).toMatch(
      /^A: linux-6\.18-memdesc\.btf \(lp64, raw BTF, 120 types\); B: vmlinux-6\.1\.0-57-cloud-amd64 \(x86_64, lp64, ELF, 95,265 types\)$/,
    );

    const shown = await page
      .locator("[data-testid=kernel-check] tbody tr")
      .evaluateAll((rows) => rows.map((r) => (r as HTMLElement).dataset.status));
    const check = JSON.parse(cli(["check", "--btf", btf618, "--btf", elf, "--json"]).stdout) as {
      matrix: { plugins: { kind: string; cells: { status: string }[] }[] };
    };
    const folio = check.matrix.plugins.find((p) => p.kind === "folio")!;
    expect(shown).toEqual(folio.cells.map((c) => c.status));
    expect(shown).toEqual(["pass", "fail"]);

    const vs = JSON.parse(cli(["layout", "folio", "--btf", btf618, "--vs", elf, "--json"]).stdout) as {
      diff: {
        a: { size: number };
        b: { size: number };
        changed: {
          path: string;
          changes: string[];
          a: { offset: number } | null;
          b: { offset: number } | null;
        }[];
      };
    };
    const table = page.getByTestId("layout-diff");
    expect([
      Number(await table.getAttribute("data-size-a")),
      Number(await table.getAttribute("data-size-b")),
    ]).toEqual([vs.diff.a.size, vs.diff.b.size]);
    // By default, as the CLI's text: one row per line of `layout --vs`'s difference.
    const text = cli(["layout", "folio", "--btf", btf618, "--vs", elf]).stdout;
    const lines = text.slice(text.indexOf("left → right:")).split("\n").slice(2, -2);
    expect(
      await table.locator("tbody tr").evaluateAll((trs) => trs.map((tr) => (tr as HTMLElement).title)),
    ).toEqual(lines.map((l) => l.replace(/ \(and the \d+ members? inside it\)$/, "")));
    // Every member, as --json gives them.
    await page.getByLabel(/Show every member/).check();
    const rows = await table.locator("tbody tr").evaluateAll((trs) =>
      trs.map((tr) => {
        const d = (tr as HTMLElement).dataset;
        return {
          path: d.path!,
          changes: d.changes!.split(" "),
          a: d.a ? Number(d.a) : null,
          b: d.b ? Number(d.b) : null,
        };
      }),
    );
    expect(rows).toEqual(
      vs.diff.changed.map((f) => ({
        path: f.path,
        changes: f.changes,
        a: f.a?.offset ?? null,
        b: f.b?.offset ?? null,
      })),
    );
    expect(rows.find((r) => r.path === "_pincount")).toEqual({
      path: "_pincount",
      changes: ["moved"],
      a: 92,
      b: 88,
    });

    // Each kernel's struct, as pahole prints it (and `memdesc layout folio --btf FILE`).
    const printed = await page.locator("[data-testid=kernel-layout] pre").allTextContents();
    expect(printed).toEqual([
      cli(["layout", "folio", "--btf", btf618]).stdout,
      cli(["layout", "folio", "--btf", elf]).stdout,
    ]);
    await page.locator("[data-testid=kernel-layout] summary").first().click();
    await page.locator(".kernel-panel").screenshot({ path: join(artifacts, "layouts-kernels.png") });
  });

  it("says in one line what is wrong with a file that is not a kernel's BTF", async () => {
    await drop(page, [{ name: "vmlinux.gz", bytes: readFileSync(debian61) }]);
    await expect
      .poll(() => page.getByTestId("kernel-error").textContent())
      .toMatch(/^vmlinux\.gz: this file is gzip-compressed .* \(byte offset 0\)$/);
  });

  it("fetched nothing but its own files and raised no error", () => {
    expect(explorer.foreignRequests()).toEqual([]);
    expect(explorer.errors).toEqual([]);
  });
});
