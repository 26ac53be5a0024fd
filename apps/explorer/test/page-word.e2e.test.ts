import { MAX_PAGE_ORDER, type MemoryUse } from "@memdesc/core";
// `useOfFlags` renamed: linters take a `use…` call for a React hook.
import {
  useOfFlags as classifyWord,
  expandChunksSync,
  kpf,
  readSnapshot,
  surveyUses,
} from "@memdesc/kpageflags";
import type { Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { exampleAddress } from "../src/lib/page-word.js";
import { firstPartyRegistry } from "../src/lib/registry.js";
import { browserMissing, type ExplorerSession, openExplorer, sampleSnapshot } from "./harness.js";

/*
 * A page's own word, in Chromium: PFNs of the sample picked on the page map (typed, clicked, moved to with the
 * keyboard), and what the panel says checked against an oracle written here: the page's flags read from the
 * snapshot file, its folio or free block found by walking those flags PFN by PFN, and the word core's codec
 * gives for the kind the registry assigns to the page's use, with the descriptor the registry sizes for the
 * folio's order.
 */

const missing = browserMissing();
if (missing) console.warn(`explorer page-word e2e: skipped: ${missing}`);

const L = kpf.lo;

/** The sample's flags, one [lo, hi] pair per PFN, read with kpageflags' Node entry (no explorer code). */
function sampleFlags(): { start: number; lo: Uint32Array; hi: Uint32Array } {
  const snap = readSnapshot(sampleSnapshot);
  const n = snap.header.pfnCount;
  const lo = new Uint32Array(n);
  const hi = new Uint32Array(n);
  for (const chunk of expandChunksSync(snap.header.startPfn, n, 65536, snap.streams[0]!))
    for (let i = 0; i < chunk.length; i++) {
      lo[chunk.pfn - snap.header.startPfn + i] = chunk.flags[2 * i]!;
      hi[chunk.pfn - snap.header.startPfn + i] = chunk.flags[2 * i + 1]!;
    }
  return { start: snap.header.startPfn, lo, hi };
}

interface Expected {
  use: string;
  kind: string | undefined;
  head: number;
  pages: number;
  order: number;
}

/** What a PFN is, found the simple way: its use from its flags, its folio or free block by walking PFNs. */
function oracle(f: ReturnType<typeof sampleFlags>, pfn: number): Expected {
  const i = pfn - f.start;
  const lo = f.lo[i]!;
  const use = lo === 0 && f.hi[i] === 0 ? "kernel-or-uninit" : surveyUses[classifyWord(lo, f.hi[i]!)]!;
  const kind = firstPartyRegistry("memdesc-8").ownerOf(use as MemoryUse) as string | undefined;
  if (lo & L.buddy) {
    let a = i;
    while (a > 0 && f.lo[a - 1]! & L.buddy) a--;
    let b = i + 1;
    while (b < f.lo.length && f.lo[b]! & L.buddy) b++;
    for (let order = MAX_PAGE_ORDER; order >= 0; order--) {
      const size = 2 ** order;
      const head = Math.floor(pfn / size) * size;
      if (head - f.start >= a && head - f.start + size <= b) return { use, kind, head, pages: size, order };
    }
  }
  if (lo & (L.compoundHead | L.compoundTail)) {
    let h = i;
    while (h > 0 && !(f.lo[h]! & L.compoundHead)) h--;
    let e = h + 1;
    while (e < f.lo.length && f.lo[e]! & L.compoundTail && !(f.lo[e]! & L.compoundHead)) e++;
    return { use, kind, head: h + f.start, pages: e - h, order: Math.log2(e - h) };
  }
  return { use, kind, head: pfn, pages: 1, order: 0 };
}

/** The first PFN (from `from`) whose flags pass `test`. */
function find(
  f: ReturnType<typeof sampleFlags>,
  test: (lo: number, hi: number, i: number) => boolean,
  from = 0,
) {
  for (let i = from; i < f.lo.length; i++) if (test(f.lo[i]!, f.hi[i]!, i)) return f.start + i;
  throw new Error("no such PFN in the sample");
}

async function panel(page: Page) {
  const p = page.getByTestId("page-word");
  return p.evaluate((el) => ({ ...(el as HTMLElement).dataset }));
}

describe.skipIf(missing !== undefined)("a page's own word, picked on the page map", () => {
  let explorer: ExplorerSession;
  let page: Page;
  let flags: ReturnType<typeof sampleFlags>;
  const registry = firstPartyRegistry("memdesc-8");

  beforeAll(async () => {
    flags = sampleFlags();
    explorer = await openExplorer();
    page = explorer.page;
    await page.goto(explorer.preview.url);
    await page.waitForSelector("[data-testid=pagemap][data-renders]");
  });

  afterAll(async () => {
    await explorer?.close();
  });

  const inspect = async (pfn: number) => {
    await page.getByLabel("Inspect PFN").fill(`0x${pfn.toString(16)}`);
    await page.waitForSelector(`[data-testid=page-word][data-pfn="${pfn}"]`);
    return panel(page);
  };

  /** The panel against the oracle: use, kind, allocation, and the word core's codec makes for them. */
  const expectWord = (shown: Record<string, string | undefined>, pfn: number) => {
    const x = oracle(flags, pfn);
    expect(shown.pfn).toBe(String(pfn));
    if (x.use !== "kernel-or-uninit") expect(shown.use).toBe(x.use);
    expect({ head: Number(shown.head), pages: Number(shown.pages), order: Number(shown.order) }).toEqual({
      head: x.head,
      pages: x.pages,
      order: x.order,
    });
    const kind = registry.ownerOf(shown.use as MemoryUse) as string;
    expect(shown.kind).toBe(kind);
    expect(Number(shown.tag)).toBe(registry.tagOf(kind as never));
    return { x, kind };
  };

  it("a tail page of a large page-cache folio: the folio's word, pointing at a large struct folio", async () => {
    const pfn = find(
      flags,
      (lo, _hi, i) =>
        !!(lo & L.compoundTail) &&
        classifyWord(lo, flags.hi[i]!) === surveyUses.indexOf("file") &&
        oracle(flags, flags.start + i).order >= 2 &&
        oracle(flags, flags.start + i).head !== flags.start + i,
    );
    const shown = await inspect(pfn);
    const { x, kind } = expectWord(shown, pfn);
    expect(kind).toBe("folio");
    const size = registry.descriptorSize("folio", x.order)!;
    expect({ variant: shown.variant, size: Number(shown.size), rounded: Number(shown.rounded) }).toEqual({
      variant: size.variant,
      size: size.size,
      rounded: size.rounded,
    });
    expect(shown.address).toBe(`0x${exampleAddress.toString(16)}`);
    expect(shown.word).toBe(
      `0x${registry.codec.encode({ kind: "folio", address: exampleAddress }).toString(16)}`,
    );
    await expect
      .poll(() => page.getByTestId("page-allocation").textContent())
      .toContain(
        `of ${x.pages} pages (order ${x.order}) from PFN 0x${x.head.toString(16)}; this is its page ${pfn - x.head}`,
      );
  });

  it("a page clicked, then the keyboard cursor moved: each time that page's word", async () => {
    const probe = page.getByTestId("pagemap-probe");
    const g = await probe.evaluate((el) => {
      const d = (el as HTMLElement).dataset;
      return {
        start: Number(d.startPfn),
        cellPfns: Number(d.cellPfns),
        cellPx: Number(d.cellPx),
        cols: Number(d.cols),
        firstRow: Number(d.firstRow),
        picked: Number(d.picked),
      };
    });
    expect(g.cellPfns, "typing a PFN zooms to one PFN a cell").toBe(1);
    // Click the cell two rows below the picked one.
    const target = g.picked + 2 * g.cols;
    const offset = target - g.start;
    const col = offset % g.cols;
    const row = Math.floor(offset / g.cols) - g.firstRow;
    await probe.click({ position: { x: col * g.cellPx + g.cellPx / 2, y: row * g.cellPx + g.cellPx / 2 } });
    await page.waitForSelector(`[data-testid=page-word][data-pfn="${target}"]`);
    expectWord(await panel(page), target);
    // The keyboard cursor: right, then down a row.
    await probe.focus();
    await page.keyboard.press("ArrowRight");
    await page.waitForSelector(`[data-testid=page-word][data-pfn="${target + 1}"]`);
    expectWord(await panel(page), target + 1);
    await page.keyboard.press("ArrowDown");
    await page.waitForSelector(`[data-testid=page-word][data-pfn="${target + 1 + g.cols}"]`);
    expectWord(await panel(page), target + 1 + g.cols);
  });

  it("a free page: buddy's inline word, its block inferred from the run of free pages", async () => {
    // A page inside a long run of free pages, not at a block's start.
    const pfn = find(
      flags,
      (lo, _hi, i) =>
        !!(lo & L.buddy) &&
        oracle(flags, flags.start + i).order === MAX_PAGE_ORDER &&
        (flags.start + i) % 1024 === 77,
    );
    const shown = await inspect(pfn);
    const { x } = expectWord(shown, pfn);
    expect(shown.kind).toBe("buddy");
    const fields = { order: BigInt(x.order), tail: 1n, pcp: 0n, slot: 0n };
    expect(shown.word).toBe(`0x${registry.codec.encode({ kind: "buddy", fields }).toString(16)}`);
    const rows = await page
      .locator("[data-testid=page-fields] tbody tr")
      .evaluateAll((trs) =>
        trs.map((tr) => [(tr as HTMLElement).dataset.field, (tr as HTMLElement).dataset.basis]),
      );
    expect(Object.fromEntries(rows)).toEqual({
      order: "inferred",
      tail: "inferred",
      pcp: "page",
      slot: "unknown",
    });
  });

  it("a reserved page: a Misc word with the reserved subtype from core's table", async () => {
    const pfn = find(flags, (lo, hi) => classifyWord(lo, hi) === surveyUses.indexOf("reserved"));
    const shown = await inspect(pfn);
    expectWord(shown, pfn);
    expect(shown.kind).toBe("misc");
    const mapped = flags.lo[pfn - flags.start]! & L.mmap ? 1n : 0n;
    expect(shown.word).toBe(
      `0x${registry.codec.encode({ kind: "misc", fields: { subtype: 0n, mappable: mapped, order: 0n, zone: 0n, node: 0n } }).toString(16)}`,
    );
  });

  it("links to the descriptor in the Layouts view, and under today says the struct overlays struct page", async () => {
    const pfn = find(
      flags,
      (lo, hi) => classifyWord(lo, hi) === surveyUses.indexOf("slab") && !!(lo & L.compoundHead),
    );
    const shown = await inspect(pfn);
    const { x } = expectWord(shown, pfn);
    const size = registry.descriptorSize("slab", x.order)!;
    expect(Number(shown.size)).toBe(size.size);
    await page.getByTestId("layout-link").click();
    await page.waitForSelector("[data-testid=layout-card][aria-current=true]");
    expect(page.url()).toContain("#layouts?kind=slab");
    expect(await page.locator("[data-testid=layout-card][aria-current=true]").getAttribute("data-size")).toBe(
      String(size.size),
    );
    await page.goBack();
    await page.waitForSelector("[data-testid=pagemap][data-renders]");
    await page.getByLabel("Design", { exact: true }).selectOption("today");
    await inspect(pfn);
    const today = await panel(page);
    expect(today.word).toBe("");
    expect(Number(today.size)).toBe(firstPartyRegistry("today").todayLayout("slab").size);
    expect(await page.getByTestId("page-word").textContent()).toMatch(
      /64-byte struct page, and struct slab \(\d+ bytes\) is another view of it/,
    );
    await page.getByLabel("Design", { exact: true }).selectOption("memdesc-8");
  });

  it("the same word from a dump_page() report pasted into the Word view, and none from a bad one", async () => {
    // A slab of order 1 picked on the map…
    const pfn = find(
      flags,
      (lo, hi, i) =>
        classifyWord(lo, hi) === surveyUses.indexOf("slab") &&
        !!(lo & L.compoundHead) &&
        oracle(flags, flags.start + i).order === 1,
    );
    const picked = await inspect(pfn);
    // …and the report dump_page() prints for such a page (Linux 6.18's mm/debug.c), pasted into the Word view.
    const report = [
      `[  12.345678] page: refcount:1 mapcount:0 mapping:0000000000000000 index:0x0 pfn:0x${pfn.toString(16)}`,
      "[  12.345678] head: order:1 mapcount:0 entire_mapcount:0 nr_pages_mapped:0 pincount:0",
      "[  12.345678] flags: 0x17ffffc0000040(head|node=0|zone=2|lastcpupid=0x1fffff)",
      "[  12.345678] page_type: f5(slab)",
      "[  12.345678] raw: 0017ffffc0000040 ffff888100042a00 dead000000000122 0000000000000000",
      "[  12.345678] raw: 0000000000000000 0000000000200020 00000001f5000000 0000000000000000",
    ].join("\n");
    await page.getByRole("tab", { name: "Word" }).click();
    await page.getByLabel(/Paste a dump_page\(\) report/).fill(report);
    const pasted = await panel(page);
    for (const k of ["pfn", "use", "kind", "order", "word", "tag", "variant", "size", "rounded"] as const)
      expect(pasted[k], k).toBe(picked[k]);
    await page.getByLabel(/Paste a dump_page\(\) report/).fill("page: refcount:1 mapcount:0 pfn:0x10");
    await expect
      .poll(() => page.getByTestId("dump-page-error").textContent())
      .toMatch(/^line 1: a "page:" line, but not as dump_page\(\) prints it/);
    // A word dump_page() prints (bare hex) decodes as is; a tag no kind of this set has says so in both panes.
    await page.getByLabel("Word (hex)", { exact: true }).fill(picked.word!.slice(2));
    await expect
      .poll(() => page.getByTestId("decoded-word").locator("dd[data-kind]").getAttribute("data-kind"))
      .toBe("slab");
    await page.getByLabel("Word (hex)", { exact: true }).fill("4");
    await expect
      .poll(() => page.getByTestId("encoder-foreign").textContent())
      .toMatch(/ksm: not a kind of this set/);
    await page.getByRole("tab", { name: "Survey" }).click();
    await page.waitForSelector("[data-testid=pagemap][data-renders]");
  });

  it("raised no error and fetched nothing else", () => {
    expect(explorer.errors).toEqual([]);
    expect(explorer.foreignRequests()).toEqual([]);
  });
});
