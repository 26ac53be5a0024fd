import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Bill } from "@memdesc/core";
import { defaultSampleName } from "@memdesc/kpageflags";
import { needs } from "@memdesc/testkit";
import type { Page } from "playwright-core";
import { afterAll, beforeAll, expect, it } from "vitest";
import { browserMissing, cliBin, type ExplorerSession, openExplorer, repoRoot } from "./harness.js";

/*
 * From a machine to what-ifs, in Chromium: the Bill started from a surveyed snapshot (its numbers the CLI's for
 * the same sample), what-ifs as differences from it, exported as the picture (and config) `memdesc bill` reads
 * and billed by the CLI to the same numbers; the Bill's and Layouts' state in the URL; two page maps side by side
 * with the difference per use and per design, each side the CLI's survey of the same input.
 */

const chromium = needs("chromium", browserMissing());

const rawDump = join(repoRoot, "packages/kpageflags/fixtures/kpageflags-0x158000-0x1a8000.bin");
const rawIomem = join(repoRoot, "packages/kpageflags/fixtures/iomem.txt");

interface CliJson {
  readonly picture: {
    uses: Record<string, { pages: number; descriptors: number; orders?: Record<string, number> }>;
  };
  readonly bill: Bill;
}

/** The CLI, run from an empty directory (no config of this repository's), with `--json`. */
function cli(dir: string, args: string[]): CliJson {
  const r = spawnSync(process.execPath, [cliBin, ...args, "--json"], {
    cwd: dir,
    encoding: "utf8",
    timeout: 60_000,
  });
  if (r.status !== 0) throw new Error(`memdesc ${args.join(" ")} failed (${r.status}): ${r.stderr}`);
  return JSON.parse(r.stdout) as CliJson;
}

const totals = (b: Bill) => Object.fromEntries(b.designs.map((d) => [d.design, d.total]));

async function rows(page: Page, testId: string) {
  return page
    .locator(`[data-testid=${testId}] tbody tr`)
    .evaluateAll((trs) => trs.map((tr) => ({ ...(tr as HTMLElement).dataset })));
}

chromium.describe("the Bill from a surveyed machine, and two machines side by side", () => {
  let explorer: ExplorerSession;
  let page: Page;
  let dir: string;
  let downloads: string;
  let sampleJson: CliJson;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), "memdesc-whatif-"));
    downloads = mkdtempSync(join(tmpdir(), "memdesc-whatif-downloads-"));
    sampleJson = cli(dir, ["survey", "--sample", defaultSampleName]);
    explorer = await openExplorer();
    page = explorer.page;
  });
  afterAll(async () => {
    await explorer?.close();
    rmSync(dir, { recursive: true, force: true });
    rmSync(downloads, { recursive: true, force: true });
    rmSync(downloads, { recursive: true, force: true });
  });

  it("starts the Bill from the loaded snapshot: as measured, the CLI's survey of the same sample", async () => {
    await page.goto(explorer.preview.url);
    await page.waitForSelector("[data-testid=survey-results]");
    await page.getByTestId("start-bill").click();
    await page.waitForSelector("[data-testid=whatif-totals]");
    expect(page.url()).toContain(`#bill?from=sample%3A${defaultSampleName}`);
    const shown = await rows(page, "whatif-totals");
    const cliTotals = totals(sampleJson.bill);
    expect(Object.fromEntries(shown.map((r) => [r.design, Number(r.measured)]))).toEqual(cliTotals);
    // No what-if yet: the what-if is what was measured.
    expect(shown.every((r) => r.delta === "0")).toBe(true);
  });

  it("shows larger folios and a larger struct folio as differences, exported as the CLI bills them", async () => {
    await page.getByLabel("Smallest folio order, exact value").fill("2");
    await page.getByLabel("struct folio grows by, exact value").fill("32");
    await expect.poll(() => page.url()).toContain("minOrder=2");
    expect(page.url()).toContain("grow=32");
    // The folios regrouped, checked against the CLI's own picture: every folio below order 2 becomes part of
    // an order-2 folio, the pages that do not fill one stay order 0.
    for (const use of ["file", "anon"]) {
      const orders = sampleJson.picture.uses[use]!.orders!;
      const small = Object.entries(orders)
        .filter(([k]) => Number(k) < 2)
        .reduce((s, [k, n]) => s + n * 2 ** Number(k), 0);
      const cells = await page
        .locator(`[data-testid=folio-orders] td[data-use=${use}]`)
        .evaluateAll((tds) =>
          tds.map((td) => [
            (td.parentElement as HTMLElement).dataset.order,
            (td as HTMLElement).dataset.whatif,
          ]),
        );
      const got = Object.fromEntries(cells.filter(([, n]) => n !== "0").map(([k, n]) => [k, Number(n)]));
      expect(got[2], use).toBe((orders["2"] ?? 0) + Math.floor(small / 4));
      expect(got[0] ?? 0, use).toBe(small % 4);
      expect(got[1], use).toBeUndefined();
    }
    const shown: Record<string, { measured: number; whatif: number; delta: number }> = Object.fromEntries(
      (await rows(page, "whatif-totals")).map((r) => [
        r.design,
        { measured: Number(r.measured), whatif: Number(r.whatif), delta: Number(r.delta) },
      ]),
    );
    for (const d of Object.values(shown)) expect(d.delta).toBe(d.whatif - d.measured);
    expect(shown["memdesc-8"]!.delta).not.toBe(0);
    // Exported: the picture and the config (struct folio's growth is the folio plugin's option).
    const save = async (testId: string, name: string) => {
      const [download] = await Promise.all([page.waitForEvent("download"), page.getByTestId(testId).click()]);
      // Downloads go apart from where the CLI runs: a memdesc.config.json there would be every run's config.
      const path = join(downloads, name);
      await download.saveAs(path);
      expect(download.suggestedFilename()).toBe(name);
      return path;
    };
    const picture = await save("export-picture", `${defaultSampleName}-picture.json`);
    const config = await save("export-config", "memdesc.config.json");
    expect(await page.getByTestId("export-command").textContent()).toBe(
      `memdesc bill ${defaultSampleName}-picture.json --config memdesc.config.json`,
    );
    const billed = cli(dir, ["bill", picture, "--config", config]);
    expect(totals(billed.bill)).toEqual(
      Object.fromEntries(Object.entries(shown).map(([k, v]) => [k, v.whatif])),
    );
    // The picture keeps the measured pages per use.
    const exported = JSON.parse(readFileSync(picture, "utf8")) as CliJson["picture"];
    for (const [use, e] of Object.entries(sampleJson.picture.uses))
      expect(exported.uses[use]!.pages, use).toBe(e.pages);
  });

  it("keeps the Bill's and the Layouts' state in the URL: a link shows the same view", async () => {
    const url = page.url();
    const before = await rows(page, "whatif-totals");
    const other = await explorer.page.context().newPage();
    try {
      await other.goto(url);
      await other.waitForSelector("[data-testid=whatif-totals]");
      expect(await rows(other, "whatif-totals")).toEqual(before);
      expect(await other.getByLabel("Smallest folio order, exact value").inputValue()).toBe("2");
      // A mix of one's own, in the URL too.
      await other.goto(`${explorer.preview.url}#bill?design=path-32`);
      await other.waitForSelector("[data-testid=bill-totals]");
      await other.getByLabel("Machine RAM, exact value").fill("64");
      await other.getByLabel("Slab, exact value").fill("9");
      // Both edits in the URL before it is taken: on a busy machine the second can lag the first.
      await expect.poll(() => other.url()).toContain("ram=64");
      await expect.poll(() => other.url()).toContain("slab=9");
      const mixUrl = other.url();
      const mixTotals = await rows(other, "bill-totals");
      await other.goto("about:blank");
      await other.goto(mixUrl);
      await other.waitForSelector("[data-testid=bill-totals]");
      expect(await rows(other, "bill-totals")).toEqual(mixTotals);
      expect(await other.getByLabel("Slab, exact value").inputValue()).toBe("9");
      expect(await other.getByLabel("Design", { exact: true }).inputValue()).toBe("path-32");
      // The Survey view: the sample shown and the one compared with.
      await other.goto(`${explorer.preview.url}#survey?sample=${defaultSampleName}&vs=${defaultSampleName}`);
      await other.waitForSelector("[data-testid=comparison]");
      expect((await rows(other, "compare-designs")).every((r) => r.delta === "0")).toBe(true);
      expect(await other.getByTestId("compare-status").textContent()).toMatch(
        new RegExp(`^Comparing with the sample ${defaultSampleName} `),
      );
      await other.getByRole("button", { name: "Stop comparing" }).click();
      await expect.poll(() => other.url()).not.toContain("vs=");
      // The Layouts view: the descriptor and its nested members.
      await other.goto(`${explorer.preview.url}#layouts?kind=slab&nested=1`);
      await other.waitForSelector("[data-testid=overlay-rules]");
      expect(await other.getByLabel("Descriptor", { exact: true }).inputValue()).toBe("slab");
      expect(await other.getByLabel(/Show members of nested structs/).isChecked()).toBe(true);
      await other.getByLabel("Descriptor", { exact: true }).selectOption("ptdesc");
      await expect.poll(() => other.url()).toContain("#layouts?kind=ptdesc&nested=1");
    } finally {
      await other.close();
    }
  });

  it("puts two machines side by side: the difference per design and per use, each side the CLI's", async () => {
    const raw = cli(dir, ["survey", "--raw", rawDump, "--start-pfn", "0x158000", "--iomem", rawIomem]);
    await page.goto(explorer.preview.url);
    await page.waitForSelector("[data-testid=survey-results]");
    await page.getByLabel("…or compare with a snapshot or survey JSON").setInputFiles({
      name: "raw-range.json",
      mimeType: "application/json",
      buffer: Buffer.from(JSON.stringify(raw)),
    });
    await page.waitForSelector("[data-testid=comparison]");
    const designs = await rows(page, "compare-designs");
    const a = totals(sampleJson.bill);
    const b = totals(raw.bill);
    expect(designs.map((r) => r.design)).toEqual(Object.keys(a));
    for (const r of designs) {
      expect([Number(r.a), Number(r.b), Number(r.delta)], r.design).toEqual([
        a[r.design!],
        b[r.design!],
        b[r.design!]! - a[r.design!]!,
      ]);
    }
    const uses = await rows(page, "compare-uses");
    const m8 = (bill: Bill) => bill.designs.find((d) => d.design === "memdesc-8")!;
    for (const r of uses) {
      const ua = m8(sampleJson.bill).uses.find((u) => u.use === r.use);
      const ub = m8(raw.bill).uses.find((u) => u.use === r.use);
      expect([Number(r.pagesA), Number(r.pagesB), Number(r.bytesA), Number(r.bytesB)], r.use).toEqual([
        ua?.pages ?? 0,
        ub?.pages ?? 0,
        ua?.total ?? 0,
        ub?.total ?? 0,
      ]);
    }
    expect(await page.getByTestId("compare-status").textContent()).toBe(
      "Comparing with raw-range.json (the survey in `memdesc survey --json` output; no page map in a survey JSON).",
    );
  });

  it("raised no error and fetched nothing else", () => {
    expect(explorer.errors).toEqual([]);
    expect(explorer.foreignRequests()).toEqual([]);
  });
});
