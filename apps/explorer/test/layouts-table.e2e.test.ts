import { spawnSync } from "node:child_process";
import { paholeReference } from "@memdesc/testkit";
import type { Locator, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { firstPartyRegistry } from "../src/lib/registry.js";
import { browserMissing, cliBin, type ExplorerSession, openExplorer } from "./harness.js";

/*
 * The Layouts view's tables against pahole's text, row by row, in Chromium: each kind's today struct (folio,
 * slab, ptdesc, …) against what pahole 1.24 printed from Linux 6.18's BTF (testkit's reference files, real pahole
 * output), and each memdesc-era folio against `memdesc layout folio --variant V`. Each line of the text is read
 * here with a regular expression of this test's own, and the table's row in the same place must say the same:
 * nesting depth, offset, size, member (with its array dimension or bits) and type, or the comment.
 */

const missing = browserMissing();
if (missing) console.warn(`explorer layouts-table e2e: skipped: ${missing}`);

interface Line {
  depth: number;
  offset?: string;
  size?: string;
  member: string;
  type?: string;
}

/** A line of pahole's text as this test reads it: a declaration, a brace or a comment. */
function readLine(line: string): Line {
  const depth = /^\t*/.exec(line)![0].length;
  const body = line.trim();
  const comment = /^\/\* (.*) \*\/$/.exec(body);
  if (comment) return { depth, member: comment[1]! };
  const decl = /^(.*?);\s*\/\*\s*(\d+)(?::\s*(\d+))?\s+(\d+)\s*\*\/$/.exec(body);
  if (!decl) return { depth, member: body };
  const [, text, offset, bit, size] = decl;
  const at = bit === undefined ? offset! : `${offset}:${bit}`;
  if (text!.startsWith("}")) return { depth, offset: at, size, member: `${text!.replace(/\s+/g, " ")};` };
  const m = /^(.*?)\s+(\*?\w+(?:\[\d*\])*(?::\d+)?)$/.exec(text!)!;
  return { depth, offset: at, size, member: m[2]!, type: m[1]!.replace(/\s+/g, " ").trim() };
}

/** The struct's lines, from its `struct … {` to its `};`, blank lines left out. */
function structLines(text: string): string[] {
  const lines = text.split("\n");
  const start = lines.findIndex((l) => /^(typedef )?(struct|union)\b.*\{$/.test(l));
  const end = lines.findIndex((l, i) => i > start && /^\}/.test(l));
  return lines.slice(start, end + 1).filter((l) => l.trim() !== "");
}

async function tableRows(table: Locator) {
  return table.locator("tbody tr:not([data-expanded])").evaluateAll((trs) =>
    trs.map((tr) => {
      const cells = [...tr.querySelectorAll("td")].map((td) => td.textContent!.trim());
      const spans = tr.querySelectorAll("td[colspan]").length > 0;
      return {
        depth: Number((tr as HTMLElement).dataset.depth),
        offset: spans ? undefined : cells[0] || undefined,
        size: spans ? undefined : cells[1] || undefined,
        member: cells[2]!,
        type: spans ? undefined : cells[3] || undefined,
      };
    }),
  );
}

function expectSameRows(shown: Awaited<ReturnType<typeof tableRows>>, text: string, what: string) {
  const lines = structLines(text);
  expect(shown.length, `${what}: one row per line`).toBe(lines.length);
  lines.forEach((line, i) => {
    const want = readLine(line);
    const got = shown[i]!;
    // The header and the closing brace sit outside the tree.
    const depth = i === 0 || i === lines.length - 1 ? 0 : want.depth;
    expect(
      { depth: got.depth, offset: got.offset, size: got.size, member: got.member, type: got.type },
      `${what}, line ${i + 1}: ${line}`,
    ).toEqual({ depth, offset: want.offset, size: want.size, member: want.member, type: want.type });
  });
}

describe.skipIf(missing !== undefined)("the Layouts view's tables, row by row against pahole", () => {
  let explorer: ExplorerSession;
  let page: Page;

  beforeAll(async () => {
    explorer = await openExplorer();
    page = explorer.page;
    await page.goto(`${explorer.preview.url}#layouts?kind=folio`);
    await page.waitForSelector("[data-testid=layout-table]");
  });
  afterAll(async () => {
    await explorer?.close();
  });

  it("each kind's today struct is pahole's printout of Linux 6.18's, line for line", async () => {
    const select = page.getByLabel("Descriptor", { exact: true });
    const kinds = await select
      .locator("option")
      .evaluateAll((os) => os.map((o) => (o as HTMLOptionElement).value));
    expect(kinds).toEqual(
      expect.arrayContaining(["folio", "slab", "ptdesc", "ioptdesc", "zpdesc", "netmem"]),
    );
    const registry = firstPartyRegistry("memdesc-8");
    for (const kind of kinds) {
      await select.selectOption(kind);
      await expect.poll(() => page.url()).toContain(`kind=${kind}`);
      const rows = await tableRows(page.getByTestId("layout-card").first().getByTestId("layout-table"));
      const name = /^struct (\w+) \{$/.exec(rows[0]!.member)?.[1];
      expect(name, `${kind}: ${rows[0]!.member}`).toBeDefined();
      // The kind's own struct, not the one shown before (anon's today struct is folio's).
      expect(name, kind).toBe(registry.todayLayout(kind as never).name);
      expectSameRows(rows, paholeReference(`pahole_${name}.txt`), `${kind}: struct ${name}`);
    }
    await select.selectOption("folio");
    await expect.poll(() => page.url()).toContain("kind=folio");
    const shown = await tableRows(page.getByTestId("layout-card").first().getByTestId("layout-table"));
    // What the old table lost.
    expect(shown.find((r) => r.member === "_usable_1[4]")?.type).toBe("long unsigned int");
    expect(
      shown.filter((r) => r.member === "_mm_id_mapcount[2]" || r.member === "_mm_id[2]").length,
    ).toBeGreaterThan(0);
  });

  it("each memdesc-era folio is `memdesc layout folio --variant V`, line for line", async () => {
    const cards = page.getByTestId("layout-card");
    const variants = await cards.evaluateAll((els) => els.slice(1).map((e) => e.getAttribute("aria-label")!));
    expect(variants.length).toBeGreaterThan(1);
    for (let i = 1; i < (await cards.count()); i++) {
      const label = variants[i - 1]!;
      const variant = /\((\w+)\)$/.exec(label)![1]!;
      const r = spawnSync(process.execPath, [cliBin, "layout", "folio", "--variant", variant], {
        encoding: "utf8",
        cwd: "/",
      });
      expect(r.status, r.stderr).toBe(0);
      expectSameRows(await tableRows(cards.nth(i).getByTestId("layout-table")), r.stdout, label);
    }
  });

  it("shows the members of named structs after their struct when asked, one level deeper", async () => {
    await page.getByLabel(/Show members of nested structs/).check();
    const today = page.getByTestId("layout-card").first().getByTestId("layout-table");
    const rows = await today.locator("tbody tr").evaluateAll((trs) =>
      trs.map((tr) => {
        const d = (tr as HTMLElement).dataset;
        return {
          path: d.path,
          depth: d.depth,
          expanded: d.expanded,
          member: tr.querySelectorAll("td")[2]?.textContent,
        };
      }),
    );
    const lru = rows.findIndex((r) => r.path === "lru");
    expect(rows[lru + 1]).toMatchObject({ expanded: "", path: "lru.next", member: "next" });
    expect(Number(rows[lru + 1]!.depth)).toBe(Number(rows[lru]!.depth) + 1);
    expect(page.url()).toContain("nested=1");
  });

  it("raised no error and fetched nothing else", () => {
    expect(explorer.errors).toEqual([]);
    expect(explorer.foreignRequests()).toEqual([]);
  });
});
