import { describe, expect, it } from "vitest";
import { testMemmap } from "../../test/memmap-helpers.js";
import { check } from "./check.js";

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
