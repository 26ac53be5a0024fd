import { readFileSync } from "node:fs";
import { needs } from "@memdesc/testkit";
import { describe, expect, it } from "vitest";
import { testMemmap } from "../../test/helpers.js";
import { check } from "../memmap/check.js";
import { pcpSizes } from "./pcp.js";

/** 256 MiB on one node: batch 15, high_min 60, high_max 128, high watermark 768 pages (64 CPUs). */
const machine = () => testMemmap({ pages: 65536, nodes: 1 });

/** Whether a page's word says it heads a block on a per-CPU list. */
const listedWord = (m: ReturnType<typeof machine>, pfn: number) => m.buddy.isPcpHead(pfn);

/** Each populated zone of a /proc/zoneinfo: its managed pages and the batch of every CPU's pageset. */
function zoneBatches(text: string): { zone: string; managed: number; batches: number[] }[] {
  const zones: { zone: string; managed: number; batches: number[] }[] = [];
  for (const line of text.split("\n")) {
    const head = /^Node (\d+), zone +(\w+)/.exec(line);
    if (head) zones.push({ zone: `${head[1]} ${head[2]}`, managed: 0, batches: [] });
    const managed = /^ {8}managed +(\d+)$/.exec(line);
    if (managed) zones.at(-1)!.managed = Number(managed[1]);
    const batch = /^ +batch: +(\d+)$/.exec(line);
    if (batch) zones.at(-1)!.batches.push(Number(batch[1]));
  }
  return zones.filter((z) => z.managed > 0 && z.batches.length > 0);
}

/** Every zone's batch against `zone_batchsize()` of its managed pages (set at boot; nothing tunes it later). */
function expectBatches(text: string) {
  const zones = zoneBatches(text);
  expect(zones.length).toBeGreaterThan(0);
  for (const z of zones)
    for (const b of z.batches) expect(pcpSizes(z.managed, z.managed, 1).batch, z.zone).toBe(b);
}

const zoneinfo = (() => {
  try {
    return { text: readFileSync("/proc/zoneinfo", "utf8"), missing: undefined };
  } catch (e) {
    return { text: "", missing: `/proc/zoneinfo unreadable (${(e as Error).message})` };
  }
})();

describe("zone_batchsize(), zone_highsize() and the watermarks (mm/page_alloc.c)", () => {
  it("batch: a fixture's zones (Linux 6.18, x86-64: DMA, DMA32, Normal)", () => {
    expectBatches(
      readFileSync(new URL("../../test/fixtures/zoneinfo-6.18-x86_64.txt", import.meta.url), "utf8"),
    );
  });

  needs("/proc/zoneinfo", zoneinfo.missing).it("batch: this machine's zones", () => {
    expectBatches(zoneinfo.text);
  });

  it("min_free_kbytes at its floor (128 KiB), split over CPUs, with high_max below high_min", () => {
    // 128 pages: int_sqrt(512 KiB × 16) = 90, raised to 128 KiB = 32 pages; low and high a further
    // max(32 / 4, 0.1% of 128) = 8 each; high_min (40 / 1 CPU), high_max 128 / 8 = 16, neither under 4 batches.
    expect(pcpSizes(128, 128, 1)).toEqual({ batch: 1, highMin: 40, highMax: 16, highWmark: 48 });
    // No CPU local to the zone: split over one.
    expect(pcpSizes(128, 128, 0)).toEqual(pcpSizes(128, 128, 1));
    expect(pcpSizes(128, 128, 2)).toEqual({ batch: 1, highMin: 20, highMax: 8, highWmark: 48 });
  });

  it("a zone's share of min_free_kbytes, and min / 4 over 0.1% of the zone", () => {
    // 1000 of 4000 pages: int_sqrt(16000 KiB × 16) = 505 KiB, 126 pages, a quarter of them 31; the steps are
    // max(31 / 4, 1) = 7.
    expect(pcpSizes(1000, 4000, 1)).toEqual({ batch: 1, highMin: 38, highMax: 125, highWmark: 45 });
    // 3840 pages (an x86-64 DMA zone): batch min(3, 256) / 4 = 0, so 1; sqrt(245760) = 495 KiB, 123 pages;
    // steps max(30, 3) = 30.
    expect(pcpSizes(3840, 3840, 1)).toEqual({ batch: 1, highMin: 153, highMax: 480, highWmark: 183 });
  });

  it("min_free_kbytes at its cap (256 MiB) and batch at its 1 MiB limit", () => {
    // 8 TiB of 16 TiB over 256 CPUs: int_sqrt(2^34 KiB × 16) = 2^19 KiB, capped at 262144 KiB = 65536 pages,
    // half of them this zone's; steps max(8192, 2^31 × 10 / 10000 = 2147483); batch 256 / 4 = 64 → 2^6 - 1.
    expect(pcpSizes(2 ** 31, 2 ** 32, 256)).toEqual({
      batch: 63,
      highMin: Math.floor((32768 + 2147483) / 256),
      highMax: 2 ** 31 / 8 / 256,
      highWmark: 32768 + 2 * 2147483,
    });
  });
});

describe("per-CPU page lists (struct per_cpu_pages)", () => {
  it("sizes batch and high as zone_batchsize() and zone_highsize() do", () => {
    // 1 TiB, one node, 64 CPUs: batch 63; min_free_kbytes = sqrt(1 TiB in KiB × 16) = 128 MiB, 32768 pages;
    // low and high a further 0.1% of the zone (watermark_scale_factor) each; high_min the low watermark over the
    // CPUs, high_max an eighth of the zone over them.
    const step = Math.floor(2 ** 28 / 1000);
    expect(pcpSizes(2 ** 28, 2 ** 28, 64)).toEqual({
      batch: 63,
      highMin: Math.floor((32768 + step) / 64),
      highMax: 2 ** 28 / 8 / 64,
      highWmark: 32768 + 2 * step,
    });
    // A tiny zone: batch 1, high at least 4 batches.
    expect(pcpSizes(4096, 8192, 32)).toMatchObject({ batch: 1, highMin: 4 });
    const ps = machine().pcp.pageset(0);
    expect([ps.batch, ps.highMin, ps.highMax, ps.highWmark]).toEqual([15, 60, 128, 768]);
  });

  it("refills an empty list from buddy in batches (rmqueue_bulk), scaled by alloc_factor, and serves the hot end", () => {
    const m = machine();
    // Booting took the struct-slab cache's first page through a refill of one batch: 14 are left.
    expect(m.pcp.pageset(0)).toMatchObject({ count: 14, allocFactor: 1, high: 60 + 15 });
    const listed = m.pcp.list(0, 0);
    const buddy = m.buddy.freePageCount;
    for (const pfn of listed) expect(m.allocPagesMisc("unknown", 0)).toBe(pfn);
    expect(m.buddy.freePageCount).toBe(buddy);
    expect(m.pcp.countOf(0)).toBe(0);
    // The next one refills: batch << alloc_factor = 30 pages, high raised by that batch.
    const p = m.allocPagesMisc("unknown", 0);
    expect(m.buddy.freePageCount).toBe(buddy - 30);
    expect(m.pcp.pageset(0)).toMatchObject({ count: 29, allocFactor: 2, high: 75 + 30 });
    expect(m.pcp.list(0, 0)).not.toContain(p);
    for (const q of m.pcp.list(0, 0)) {
      expect(listedWord(m, q)).toBe(true);
      expect(m.lookup(q)).toMatchObject({ state: "free", kind: "buddy", pcp: true, order: 0 });
    }
    // A freed page goes on the hot end and is the next one handed out.
    m.freePagesMisc(p, 0);
    expect(m.pcp.list(0, 0)[0]).toBe(p);
    expect(m.pcp.pageset(0).allocFactor).toBe(1);
    expect(m.allocPagesMisc("unknown", 0)).toBe(p);
    check(m);
  });

  it("raises high to hold a run of frees, and at high gives the oldest pages back (free_pcppages_bulk)", () => {
    const m = machine();
    m.drainAllPages();
    const pfns = Array.from({ length: 300 }, () => m.allocPagesMisc("unknown", 0));
    m.drainAllPages();
    let drained = false;
    for (const [k, p] of pfns.entries()) {
      const before = m.pcp.pageset(0);
      m.freePagesMisc(p, 0);
      const after = m.pcp.pageset(0);
      expect(after.count).toBeLessThanOrEqual(after.highMax);
      if (after.count < before.count + 1) {
        // At high (raised to high_max by the run): nr_pcp_free() gives back the run's length, clamped to
        // batch..high - batch, leaving the newest pages.
        drained = true;
        expect(before.count + 1).toBe(before.highMax);
        expect(after.count).toBe(before.count + 1 - Math.min(Math.max(after.freeCount, 15), 128 - 15));
        expect(m.pcp.list(0, 0)).toEqual(pfns.slice(k + 1 - after.count, k + 1).reverse());
        for (const q of pfns.slice(0, k + 1 - after.count)) expect(listedWord(m, q)).toBe(false);
        check(m);
      }
    }
    expect(drained).toBe(true);
    expect(m.pcp.pageset(0).high).toBe(128);
    check(m);
  });

  it("trims high toward high_min once the zone is below its high watermark (ZONE_BELOW_HIGH)", () => {
    const m = machine();
    const held: number[] = [];
    while (m.buddy.freePageCount > 700) held.push(m.allocPagesMisc("unknown", 0));
    // The allocation that found buddy at or under the watermark set the flag; refills had raised high to the max.
    held.push(m.allocPagesMisc("unknown", 0));
    expect(m.pcp.pageset(0)).toMatchObject({ belowHigh: true, high: 128 });
    // Frees now lower high by the run (at least a batch each) and drain at high_min, not hoarding pages.
    for (const p of held.splice(0, 20)) {
      m.freePagesMisc(p, 0);
      expect(m.pcp.countOf(0)).toBeLessThanOrEqual(Math.max(m.pcp.pageset(0).high, 60));
    }
    expect(m.pcp.pageset(0)).toMatchObject({ belowHigh: true, high: 60 });
    check(m);
    // Once a drain lifts buddy above the watermark the flag clears, and a run of frees may raise high again.
    for (const p of held.splice(0, 200)) m.freePagesMisc(p, 0);
    expect(m.pcp.pageset(0).belowHigh).toBe(false);
    check(m);
  });

  it("decays high once a simulated second (vmstat's decay_pcp_high) and gives back what is above it", () => {
    const m = machine();
    m.drainAllPages();
    const pfns = Array.from({ length: 120 }, () => m.allocPagesMisc("unknown", 0));
    m.drainAllPages();
    for (const p of pfns) m.freePagesMisc(p, 0);
    expect(m.pcp.pageset(0)).toMatchObject({ count: 120, high: 128 });
    m.rcu.advance(999);
    expect(m.pcp.pageset(0).high).toBe(128);
    m.rcu.advance(1);
    // max(count - batch << 5, high - high / 8, high_min) = 112; the 8 pages above it go back to buddy.
    expect(m.pcp.pageset(0)).toMatchObject({ count: 112, high: 112 });
    m.rcu.advance(20000);
    expect(m.pcp.pageset(0)).toMatchObject({ high: 60, count: 60 });
    check(m);
  });

  it("keeps blocks of orders 1..3 on their own lists, drains a run of them at once, and sends larger ones to buddy", () => {
    const m = machine();
    const a = m.allocPagesMisc("unknown", 2);
    const b = m.allocPagesMisc("unknown", 4);
    expect(m.pcp.list(0, 2)).not.toContain(a);
    m.freePagesMisc(b, 4);
    expect(m.lookup(b)).not.toHaveProperty("pcp");
    m.freePagesMisc(a, 2);
    expect(m.pcp.list(0, 2)[0]).toBe(a);
    expect(m.lookup(a + 3)).toMatchObject({ state: "free", headPfn: a, order: 2, pcp: true });
    check(m);
  });

  it("drains every per-CPU list when an allocation finds no free block (drain_all_pages)", () => {
    const m = testMemmap({ pages: 4096, nodes: 1 });
    const got: number[] = [];
    for (let p = m.allocPagesMisc("unknown", 0); p >= 0; p = m.allocPagesMisc("unknown", 0)) got.push(p);
    // Every page but the struct-slab cache's: the last ones came off the per-CPU list.
    expect(got.length).toBe(4096 - 1);
    expect(m.freePageCount).toBe(0);
    // Two buddies freed sit on the per-CPU list, unmerged, so buddy has no order-1 block …
    const pair = got.find((p) => p % 2 === 0 && got.includes(p + 1))!;
    m.freePagesMisc(pair, 0);
    m.freePagesMisc(pair + 1, 0);
    expect(m.pcp.countOf(0)).toBe(2);
    expect(m.buddy.freePageCount).toBe(0);
    // … until the failed order-1 allocation drains the lists: they merge, and the retry gets them.
    expect(m.allocPagesMisc("unknown", 1)).toBe(pair);
    expect(m.pcp.countOf(0)).toBe(0);
    expect(m.allocFailures).toBe(1);
    check(m);
  });

  it("prints /proc/zoneinfo's free pages and the CPU's pageset", () => {
    const m = testMemmap({ pages: 65536, nodes: 2 });
    const text = m.zoneinfo();
    expect(text).toContain("Node 1, zone   Normal\n");
    expect(text).toMatch(/pages free {5}\d+\n {8}high {5}\d+\n {8}managed {2}32768\n/);
    expect(text).toContain("    cpu: 0\n              count: ");
    expect(text).toContain("              batch: 7\n");
  });

  it("check() notices a listed page whose word is not a listed block's", () => {
    const m = machine();
    const p = m.pcp.list(0, 0)[0]!;
    const lo = m.words[2 * p]!;
    // The word of a buddy free block (no pcp bit) on a page the list holds.
    m.words[2 * p] = m.buddy.headLo(0);
    expect(() => check(m)).toThrow(/is not in node 0's order-0 free list/);
    m.words[2 * p] = lo;
    check(m);
    // A listed page handed out behind the list's back.
    m.words[2 * p] = m.miscTag;
    expect(() => check(m)).toThrow(/per-CPU list/);
  });

  it("with THP on, order 9 has a list too (pcp_allowed_order): refilled two blocks at a time, freed to its hot end", () => {
    const m = testMemmap({ pages: 1 << 20, nodes: 1 });
    expect(m.pcp.orders).toEqual([0, 1, 2, 3, 9]);
    const before = m.pcp.countOf(0);
    const a = m.allocPagesMisc("unknown", 9);
    // nr_pcp_alloc(): batch >> order, but at least 2 blocks: one handed out, one kept on the list.
    expect(m.pcp.list(0, 9)).toHaveLength(1);
    expect(m.pcp.countOf(0)).toBe(before + 512);
    expect(m.lookup(m.pcp.list(0, 9)[0]!)).toMatchObject({ state: "free", pcp: true, order: 9 });
    const kept = m.pcp.list(0, 9)[0];
    const b = m.allocPagesMisc("unknown", 9);
    expect(b).toBe(kept);
    // The first free finds count above high and gives pages back, but raises high to hold a run of frees
    // (nr_pcp_high) …
    m.freePagesMisc(a, 9);
    expect(m.pcp.pageset(0).high).toBeGreaterThan(512);
    // … so the next THP freed stays on the list's hot end (no free_high limit for THPs) and comes out first.
    m.freePagesMisc(b, 9);
    expect(m.pcp.list(0, 9)[0]).toBe(b);
    check(m);
    expect(m.allocPagesMisc("unknown", 9)).toBe(b);
    check(m);
  });

  it("with THP off, order 9 goes to and from buddy directly", () => {
    const m = testMemmap({ pages: 1 << 20, nodes: 1, thp: false });
    expect(m.pcp.orders).toEqual([0, 1, 2, 3]);
    const a = m.allocPagesMisc("unknown", 9);
    const count = m.pcp.countOf(0);
    m.freePagesMisc(a, 9);
    expect(m.pcp.countOf(0)).toBe(count);
    expect(m.pcp.list(0, 9)).toEqual([]);
    const info = m.lookup(a);
    expect(info).toMatchObject({ state: "free" });
    expect(info.pcp).toBeUndefined();
    check(m);
  });

  it("keeps each node's pageset apart: a node's pages go to and come from its own lists", () => {
    // 512 MiB on two nodes, 32 CPUs each: node 1's pageset has batch 15, high_min 60 (4 batches), high_max
    // 65536 / 8 / 32 = 256, and nothing on it after boot (the struct-slab cache's page came from node 0).
    const m = testMemmap({ pages: 131072, nodes: 2 });
    expect(m.pcp.pageset(1)).toMatchObject({ count: 0, high: 60, highMin: 60, highMax: 256, allocFactor: 0 });
    const node0 = m.pcp.pageset(0);
    const p = m.allocPagesMisc("unknown", 0, 1);
    expect(p).toBeGreaterThanOrEqual(65536);
    // One batch refilled (alloc_factor 0 → 1), high raised by it: 75.
    expect(m.pcp.pageset(1)).toMatchObject({ count: 14, high: 75, allocFactor: 1 });
    m.freePagesMisc(p, 0);
    expect(m.pcp.list(1, 0)[0]).toBe(p);
    expect(m.pcp.pageset(1)).toMatchObject({ count: 15, allocFactor: 0 });
    expect(m.allocPagesMisc("unknown", 0, 1)).toBe(p);
    // Order 2: batch >> 2 = 3 blocks.
    const q = m.allocPagesMisc("unknown", 2, 1);
    expect(q).toBeGreaterThanOrEqual(65536);
    expect(m.pcp.list(1, 2)).toHaveLength(2);
    m.freePagesMisc(q, 2);
    expect(m.pcp.list(1, 2)[0]).toBe(q);
    expect(m.pcp.list(0, 2)).toEqual([]);
    expect(m.pcp.pageset(0)).toEqual(node0);
    expect(m.pcp.total).toBe(node0.count + m.pcp.countOf(1));
    check(m);
  });

  it("counts a run of frees up to a fully scaled batch (free_count stops at batch << CONFIG_PCP_BATCH_SCALE_MAX)", () => {
    const m = machine();
    m.drainAllPages();
    const pfns = Array.from({ length: 600 }, () => m.allocPagesMisc("unknown", 0));
    m.drainAllPages();
    for (const [k, p] of pfns.entries()) {
      m.freePagesMisc(p, 0);
      expect(m.pcp.pageset(0).freeCount).toBe(Math.min(k + 1, 15 << 5));
    }
    check(m);
  });

  it("holds its lists in rings of 64 blocks to start with", () => {
    expect(machine().pcp.bytes).toBe(5 * 64 * 4);
    expect(testMemmap({ pages: 65536, nodes: 1, thp: false }).pcp.bytes).toBe(4 * 64 * 4);
    expect(testMemmap({ pages: 131072, nodes: 2 }).pcp.bytes).toBe(2 * 5 * 64 * 4);
  });

  it("has an order-9 list only where buddy has order-9 blocks (MAX_PAGE_ORDER at least HPAGE_PMD_ORDER)", () => {
    const at9 = testMemmap({ pages: 65536, nodes: 1, maxOrder: 9 });
    expect(at9.pcp.orders).toEqual([0, 1, 2, 3, 9]);
    const a = at9.allocPagesMisc("unknown", 9);
    expect(at9.pcp.list(0, 9)).toHaveLength(1);
    at9.freePagesMisc(a, 9);
    expect(at9.pcp.list(0, 9)[0]).toBe(a);
    check(at9);
    const at8 = testMemmap({ pages: 65536, nodes: 1, maxOrder: 8 });
    expect(at8.pcp.orders).toEqual([0, 1, 2, 3]);
    expect(at8.pcp.bytes).toBe(4 * 64 * 4);
  });

  it("keeps every block in order when a list outgrows its ring's 64 slots (list_add: the hot end first)", () => {
    // One CPU: high_min 640 pages, so nothing is given back on the way.
    const m = testMemmap({ pages: 65536, nodes: 1, nrCpus: 1 });
    // Order 1: refills of 7 blocks, then 70 frees onto the list (140 pages, under free_high's 335-page run).
    const pairs = Array.from({ length: 70 }, () => m.allocPagesMisc("unknown", 1));
    for (const p of pairs) m.freePagesMisc(p, 1);
    expect(m.pcp.list(0, 1).slice(0, 70)).toEqual(pairs.toReversed());
    check(m);
    // Order 0: taken in refills of at most 30 pages (a free halves alloc_factor before each), so the ring is
    // still 64 slots when 100 pages are freed onto it.
    const pages: number[] = [];
    while (pages.length < 100) {
      if (m.pcp.list(0, 0).length === 0 && m.pcp.pageset(0).allocFactor >= 2)
        m.freePagesMisc(pages.pop()!, 0);
      pages.push(m.allocPagesMisc("unknown", 0));
    }
    expect(m.pcp.list(0, 0).length).toBeLessThan(64);
    for (const p of pages) m.freePagesMisc(p, 0);
    expect(m.pcp.list(0, 0).slice(0, 100)).toEqual(pages.toReversed());
    check(m);
  });
});

describe("the zonelist (get_page_from_freelist()) and the retry after drain_all_pages()", () => {
  // 256 MiB on two nodes, 32 CPUs each: each node's batch is 7.
  const twoNodes = () => testMemmap({ pages: 65536, nodes: 2 });

  it("falls back to the next node's per-CPU list, taking its hot end without a refill", () => {
    const m = twoNodes();
    let p = m.allocPagesMisc("unknown", 0, 0);
    while (p >= 0 && p < 32768) p = m.allocPagesMisc("unknown", 0, 0);
    // Node 0 is exhausted: that page came from a refill of node 1's list.
    expect(p).toBeGreaterThanOrEqual(32768);
    const before = m.pcp.pageset(1);
    const hot = m.pcp.list(1, 0)[0];
    expect(hot).toBeDefined();
    const buddy1 = m.buddy.freePagesByNode[1];
    // rmqueue_pcplist() on node 1 with its list not empty: the hot end, no rmqueue_bulk().
    expect(m.allocPagesMisc("unknown", 0, 0)).toBe(hot);
    expect(m.pcp.pageset(1)).toMatchObject({ count: before.count - 1, high: before.high });
    expect(m.buddy.freePagesByNode[1]).toBe(buddy1);
    check(m);
  });

  it("a failed allocation goes over every node once, drains the lists and goes over them once more", () => {
    const m = twoNodes();
    const held: number[] = [];
    for (let p = m.allocPagesMisc("unknown", 0); p >= 0; p = m.allocPagesMisc("unknown", 0)) held.push(p);
    expect(m.allocFailures).toBe(1);
    // 40 pages of node 0 back, no two of them buddies: free_count 40 and no order-1 block anywhere.
    const back = held.filter((p) => p < 32768 && p % 4 === 0).slice(0, 40);
    for (const p of back) m.freePagesMisc(p, 0);
    expect(m.pcp.pageset(0).freeCount).toBe(40);
    // rmqueue_pcplist() halves free_count on each pass; node 1's was 0.
    expect(m.allocPagesMisc("unknown", 1, 0)).toBe(-1);
    expect(m.allocFailures).toBe(2);
    expect(m.pcp.total).toBe(0);
    expect(m.pcp.pageset(0).freeCount).toBe(10);
    expect(m.pcp.pageset(1).freeCount).toBe(0);
    // With the lists already empty the retry still comes (__alloc_pages_direct_reclaim() does not look).
    for (const p of held.filter((q) => q < 32768 && q % 4 === 2).slice(0, 40)) m.freePagesMisc(p, 0);
    m.drainAllPages();
    expect(m.pcp.pageset(0).freeCount).toBe(10 + 40);
    expect(m.allocPagesMisc("unknown", 1, 0)).toBe(-1);
    expect(m.pcp.pageset(0).freeCount).toBe(50 >> 2);
    check(m);
  });
});
