import { describe, expect, it } from "vitest";
import { testMemmap } from "../../test/helpers.js";
import { check } from "../memmap/check.js";
import { FREE_AREA_BASE, PCP_LISTS_BASE, VMEMMAP_BASE } from "./buddy.js";

describe("buddy allocator in the words", () => {
  it("boots every node as max-order blocks and prints /proc/buddyinfo", () => {
    const m = testMemmap();
    // The struct-slab cache's first slab took one page from node 0.
    expect(m.buddyinfo()).toBe(
      "Node 0, zone   Normal      1      1      1      1      1      1      1      1      1      1      3 \n" +
        "Node 1, zone   Normal      0      0      0      0      0      0      0      0      0      0      4 \n",
    );
    expect(m.buddy.freePageCount).toBe(8192 - 1);
    check(m);
  });

  it("keeps order, tail bit and free-list slot in the words, as the codec decodes them", () => {
    const m = testMemmap({ nodes: 1 });
    const codec = m.registry.codec;
    const word = (pfn: number) => (BigInt(m.words[2 * pfn + 1]!) << 32n) | BigInt(m.words[2 * pfn]!);
    const head = codec.decode(word(1024));
    expect(head).toEqual({
      tag: 1,
      kind: "buddy",
      storage: "inline",
      fields: { order: 10n, tail: 0n, pcp: 0n, slot: 1n },
    });
    expect(codec.decode(word(1025))).toMatchObject({
      kind: "buddy",
      fields: { order: 0n, tail: 1n, pcp: 0n, slot: 0n },
    });
    expect(m.buddy.freeListAt(0, 10, 1)).toBe(1024);
  });

  it("splits on allocation and merges buddies on free, back to the boot state", () => {
    const m = testMemmap({ nodes: 1 });
    const before = m.buddyinfo();
    expect(m.pcp.countOf(0)).toBe(0);
    const pfns = [0, 1, 2, 3].map((o) => m.allocPagesMisc("unknown", o, 0));
    expect(pfns.every((p) => p >= 0)).toBe(true);
    check(m);
    // A refill took more than one page (alloc_factor doubles the batch while refills come quickly).
    const cached = m.pcp.countOf(0);
    m.freePagesMisc(pfns[0]!, 0);
    m.freePagesMisc(pfns[1]!, 1);
    // Orders 0..3 go to the per-CPU lists, where /proc/buddyinfo does not see them …
    expect(m.pcp.countOf(0)).toBe(cached + 1 + 2);
    expect(m.freePageCount).toBe(m.buddy.freePageCount + cached + 3);
    expect(m.buddyinfo()).not.toBe(before);
    expect(m.zoneinfo()).toContain(`count: ${cached + 3}`);
    check(m);
    // … until they go back: a run of high-order frees is not hoarded (free_high), so the next drains the lists.
    m.freePagesMisc(pfns[2]!, 2);
    expect(m.pcp.countOf(0)).toBe(0);
    m.freePagesMisc(pfns[3]!, 3);
    expect(m.pcp.countOf(0)).toBe(0);
    expect(m.buddyinfo()).toBe(before);
    check(m);
  });

  it("falls back to another node when the asked one is full, and fails when all are", () => {
    const m = testMemmap({ pages: 2048, nodes: 2 });
    const got: number[] = [];
    for (;;) {
      const p = m.allocPagesMisc("unknown", 0, 1);
      if (p < 0) break;
      got.push(p);
    }
    expect(got.length).toBe(2048 - 1);
    expect(got.slice(0, 1024).every((p) => p >= 1024)).toBe(true);
    expect(got.slice(1024).every((p) => p < 1024)).toBe(true);
    expect(m.allocFailures).toBe(1);
    check(m);
  });

  it("boots a size that is not a multiple of the largest block as smaller blocks", () => {
    const m = testMemmap({ pages: 1024 + 512 + 3, nodes: 1 });
    // 0..1023 order 10, 1024..1535 order 9, 1536 order 1, 1538 order 0 (taken by the struct-slab cache).
    expect(m.buddyCounts()[0]).toEqual([0, 1, 0, 0, 0, 0, 0, 0, 0, 1, 1]);
    check(m);
  });
});

describe("buddy allocator: everything allocated, then everything freed", () => {
  /**
   * The free blocks the kernel's buddy allocator holds for a node's free pages once every freed block has merged
   * as far as `__free_one_page()` merges (mm/page_alloc.c): the largest naturally aligned, wholly free block at
   * each free page, no larger than MAX_PAGE_ORDER, not crossing the node. Counts per order.
   */
  function kernelBlocks(free: (pfn: number) => boolean, lo: number, hi: number, maxOrder: number): number[] {
    const counts = new Array<number>(maxOrder + 1).fill(0);
    let pfn = lo;
    while (pfn < hi) {
      if (!free(pfn)) {
        pfn++;
        continue;
      }
      let order = 0;
      for (let o = maxOrder; o > 0; o--) {
        const n = 2 ** o;
        if (pfn % n !== 0 || pfn + n > hi) continue;
        let all = true;
        for (let p = pfn; p < pfn + n && all; p++) all = free(p);
        if (all) {
          order = o;
          break;
        }
      }
      counts[order]!++;
      pfn += 2 ** order;
    }
    return counts;
  }

  // Node ends that are and are not multiples of the largest block; frees in both directions (a block whose
  // lower half is freed last merges with a buddy that ends at the node's end).
  for (const [pages, nodes] of [
    [4096, 2],
    [1024 + 512 + 3, 1],
    [3 * 1024 + 200, 2],
  ] as const)
    for (const order of ["ascending", "descending"] as const)
      it(`${pages} pages on ${nodes} node(s), freed ${order}: merged back as the kernel would hold them`, () => {
        const m = testMemmap({ pages, nodes });
        const got: number[] = [];
        for (let p = m.allocPagesMisc("unknown", 0, 0); p >= 0; p = m.allocPagesMisc("unknown", 0, 0))
          got.push(p);
        expect(m.buddy.freePageCount).toBe(0);
        check(m);
        got.sort((a, b) => (order === "ascending" ? a - b : b - a));
        for (const p of got) m.freePagesMisc(p, 0);
        m.drainAllPages();
        check(m);
        // Pages never handed out (the struct-slab cache's slab) stay in use.
        const freed = new Set(got);
        const starts = m.buddy.nodeStart;
        const expected = Array.from({ length: nodes }, (_, n) =>
          kernelBlocks((p) => freed.has(p), starts[n]!, starts[n + 1]!, m.maxOrder),
        );
        expect(m.buddyCounts()).toEqual(expected);
        expect(m.buddy.freePageCount).toBe(got.length);
      });

  it("check() finds two free buddies of one order left unmerged", () => {
    const m = testMemmap({ pages: 2048, nodes: 1 });
    m.drainAllPages();
    const r = m.allocPagesMisc("unknown", 4, 0);
    expect(r % 16).toBe(0);
    // Free its halves straight into the order-3 list, as a free that forgot to merge would.
    const b = m.buddy;
    for (const x of [r, r + 8]) {
      b.writeTails(x, 8);
      b.freeBootRange(0, x, x + 8);
    }
    expect(() => check(m)).toThrow(/are buddies, both free and not merged/);
  });
});

describe("buddy-16: BuddyAllocator Option 1, the free lists linked through the 16-byte entries", () => {
  const entry = (m: ReturnType<typeof testMemmap>, pfn: number) => [
    (BigInt(m.words[4 * pfn + 1]!) << 32n) | BigInt(m.words[4 * pfn]!),
    (BigInt(m.words[4 * pfn + 3]!) << 32n) | BigInt(m.words[4 * pfn + 2]!),
  ];
  /** A `struct page` pointer of buddy-16's vmemmap as the entry stores it (without its low 4 bits). */
  const page = (pfn: number) => BigInt(VMEMMAP_BASE + pfn * 16) >> 4n;

  it("keeps next and prev struct page pointers inline, the type in next's low 4 bits and the order in prev's", () => {
    const m = testMemmap({ nodes: 1 }, "buddy-16");
    expect(m.buddy.linked).toBe(true);
    const codec = m.registry.codec;
    // Eight order-10 blocks booted, each pushed at the list's head (list_add); the struct-slab cache's first slab
    // then split the first one, 7168.
    const heads = [...m.buddy.listedBlocks()].filter(([, o]) => o === 10).map(([p]) => p);
    expect(heads).toEqual([6144, 5120, 4096, 3072, 2048, 1024, 0]);
    const mid = codec.decodeEntry(entry(m, 4096));
    expect(mid).toEqual({
      tag: 1,
      kind: "buddy",
      storage: "inline",
      fields: { next: page(3072), order: 10n, prev: page(5120) },
    });
    // The ends point at the list head in the zone's free_area, outside the memmap.
    const head = BigInt(FREE_AREA_BASE + 10 * 16) >> 4n;
    expect(codec.decodeEntry(entry(m, 0))).toMatchObject({ fields: { next: head, prev: page(1024) } });
    expect(codec.decodeEntry(entry(m, 6144))).toMatchObject({ fields: { next: page(5120), prev: head } });
    // A tail is the type alone: a NULL next.
    expect(entry(m, 4097)).toEqual([1n, 0n]);
    check(m);
  });

  it("splits and merges through the links, back to the boot state, and check() walks them both ways", () => {
    const m = testMemmap({ nodes: 1 }, "buddy-16");
    const before = m.buddyinfo();
    const pfns = [0, 1, 2, 3, 5, 9].map((o) => m.allocPagesMisc("unknown", o, 0));
    expect(pfns.every((p) => p >= 0)).toBe(true);
    check(m);
    for (const [i, o] of [0, 1, 2, 3, 5, 9].entries()) m.freePagesMisc(pfns[i]!, o);
    m.drainAllPages();
    expect(m.buddyinfo()).toBe(before);
    check(m);
    // A broken prev link is found.
    const [first] = [...m.buddy.listedBlocks()].find(([, o]) => o === 10)!;
    m.words[4 * first + 2]! ^= 0x100;
    expect(() => check(m)).toThrow(/prev link/);
    m.words[4 * first + 2]! ^= 0x100;
    check(m);
    const [second] = [...m.buddy.listedBlocks()].filter(([, o]) => o === 10)[1]!;
    m.words[4 * second + 2]! ^= 0x100;
    expect(() => check(m)).toThrow(/prev link/);
  });

  it("a page that headed a free block and is freed into a merge becomes a tail with both links NULL", () => {
    const m = testMemmap({ nodes: 1 }, "buddy-16");
    const b = m.buddy;
    // Straight from buddy (no per-CPU list): an even order-0 page split off a larger block, then its buddy, which
    // the split had listed (both links set; allocation leaves the entry for the caller to write).
    let lo = b.allocPages(0, 0);
    while (lo % 2 !== 0) lo = b.allocPages(0, 0);
    const hi = b.allocPages(0, 0);
    expect(hi).toBe(lo + 1);
    // The caller writes the first 8 bytes (here a Misc word); the links' second half is left as it was.
    for (const p of [lo, hi]) {
      m.words[4 * p] = m.miscTag;
      m.words[4 * p + 1] = 0;
    }
    expect(entry(m, hi)[1]).not.toBe(0n);
    b.freePages(lo, 0);
    // Freed, it merges with `lo` (and on up): it is a tail now, the type alone.
    b.freePages(hi, 0);
    expect(b.isTail(hi)).toBe(true);
    expect(entry(m, hi)).toEqual([1n, 0n]);
  });

  it("marks blocks on the per-CPU lists by linking them to the list head, so buddy never merges with them", () => {
    const m = testMemmap({ nodes: 1 }, "buddy-16");
    const p = m.allocPagesMisc("unknown", 0, 0);
    m.freePagesMisc(p, 0);
    expect(m.lookup(p)).toMatchObject({ state: "free", pcp: true, order: 0 });
    expect(m.buddy.isPcpHead(p)).toBe(true);
    const [next] = entry(m, p);
    expect((next! >> 4n) << 4n).toBe(BigInt(PCP_LISTS_BASE));
    check(m);
  });
});
