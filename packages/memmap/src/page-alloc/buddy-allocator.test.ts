import type { AnyDescriptor, Registry } from "@memdesc/core";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { testRegistry } from "../../test/helpers.js";
import { MemmapError } from "../errors.js";
import { BuddyAllocator, FREE_AREA_BASE, PCP_LISTS_BASE, VMEMMAP_BASE } from "./buddy.js";
import { buddyFormat, tailWords } from "./words.js";

/*
 * The buddy allocator on its own, against an independent model of what mm/page_alloc.c holds: which pages are
 * free, and from that the free blocks the kernel keeps. `__free_one_page()` merges a freed block with its buddy
 * while the buddy is free at the same order in the same zone, up to MAX_PAGE_ORDER; `expand()` frees the upper
 * halves of a split block. So at every moment the free blocks are the largest naturally aligned, wholly free
 * blocks inside a node (a free block whose buddy were free as a whole would have merged with it), and
 * `__rmqueue_smallest()` hands out the first page of a block of the smallest order that has one.
 */

const TWO32 = 2 ** 32;
const designs = { slot: "memdesc-8", linked: "buddy-16" } as const;
type Encoding = keyof typeof designs;
/** The reference registry of a design, typed as the memmap holds it (as `createMemmap()` does). */
const registryOf = (design: string) => testRegistry(design) as unknown as Registry<readonly AnyDescriptor[]>;

/** A bare allocator over `nodeStart` (PFN ranges, node boundaries anywhere), every page a free tail, none booted. */
function bare(encoding: Encoding, nodeStart: number[], maxOrder: number) {
  const registry = registryOf(designs[encoding]);
  const format = buddyFormat(registry);
  const stride = registry.design.entryBytes / 4;
  const pages = nodeStart.at(-1)!;
  const words = tailWords(pages, stride, format.tailLo);
  const b = new BuddyAllocator(words, stride, format, nodeStart, maxOrder);
  // What an allocated page's word is (a Misc word: another tag), written by the caller as the memmap does: the
  // first 8 bytes only, so a 16-byte entry keeps whatever its second half held.
  const miscLo = registry.tagOf("misc")!;
  const allocated = (pfn: number, order: number) => {
    for (let p = pfn; p < pfn + 2 ** order; p++) {
      words[p * stride] = miscLo;
      words[p * stride + 1] = 0;
    }
  };
  return { b, words, stride, format, allocated };
}

/** The free blocks the kernel holds (first PFN → order) for a set of free pages: see the comment at the top. */
function kernelBlocks(free: Uint8Array, nodeStart: number[], maxOrder: number): Map<number, number> {
  const out = new Map<number, number>();
  for (let n = 0; n + 1 < nodeStart.length; n++) {
    const hi = nodeStart[n + 1]!;
    let pfn = nodeStart[n]!;
    while (pfn < hi) {
      if (!free[pfn]) {
        pfn++;
        continue;
      }
      let order = 0;
      for (let o = maxOrder; o > 0; o--) {
        const size = 2 ** o;
        if (pfn % size !== 0 || pfn + size > hi) continue;
        let all = true;
        for (let p = pfn; p < pfn + size && all; p++) all = free[p] === 1;
        if (all) {
          order = o;
          break;
        }
      }
      out.set(pfn, order);
      pfn += 2 ** order;
    }
  }
  return out;
}

const sorted = (m: Map<number, number>) => [...m].sort((a, b) => a[0] - b[0]);

/**
 * Everything the allocator says about its free blocks against the model: the lists, the counts per node and
 * order (/proc/buddyinfo), the free pages per node, and every free page's entry (a head of its order whose slot
 * or links are its list's, or a tail: the tag alone, the rest of the entry zero).
 */
function expectModel(t: ReturnType<typeof bare>, free: Uint8Array, nodeStart: number[], maxOrder: number) {
  const { b, words, stride } = t;
  const want = kernelBlocks(free, nodeStart, maxOrder);
  expect(sorted(b.listedBlocks())).toEqual(sorted(want));
  for (let n = 0; n + 1 < nodeStart.length; n++) {
    const counts = new Array<number>(maxOrder + 1).fill(0);
    let pages = 0;
    for (const [pfn, o] of want)
      if (pfn >= nodeStart[n]! && pfn < nodeStart[n + 1]!) {
        counts[o]!++;
        pages += 2 ** o;
      }
    expect(Array.from({ length: maxOrder + 1 }, (_, o) => b.freeBlocks(n, o))).toEqual(counts);
    expect(b.freePagesByNode[n]).toBe(pages);
  }
  expect(b.freePageCount).toBe(free.reduce((s, f) => s + f, 0));
  for (const [pfn, o] of want) {
    expect(b.isTail(pfn)).toBe(false);
    expect(b.headOrder(pfn)).toBe(o);
    expect(b.isPcpHead(pfn)).toBe(false);
    if (!b.linked) {
      expect(words[pfn * stride]).toBe(b.headLo(o));
      expect(b.freeListAt(b.nodeOf(pfn), o, words[pfn * stride + 1]!)).toBe(pfn);
    }
    for (let p = pfn + 1; p < pfn + 2 ** o; p++)
      expect([...words.subarray(p * stride, p * stride + stride)]).toEqual([
        t.format.tailLo,
        ...new Array(stride - 1).fill(0),
      ]);
  }
}

describe("BuddyAllocator against a model of mm/page_alloc.c", () => {
  /** Node boundaries anywhere (not on MAX_ORDER blocks), memory booted with holes, then allocations and frees. */
  const machine = fc
    .record({
      sizes: fc.array(fc.integer({ min: 1, max: 160 }), { minLength: 1, maxLength: 3 }),
      maxOrder: fc.integer({ min: 0, max: 6 }),
      encoding: fc.constantFrom<Encoding>("slot", "linked"),
      // Each node boots [start + skip, end - trim): the rest is reserved (memblock), never handed to buddy.
      holes: fc.array(fc.tuple(fc.nat(9), fc.nat(5)), { minLength: 3, maxLength: 3 }),
      ops: fc.array(
        fc.oneof(
          fc.record({
            op: fc.constant("alloc" as const),
            order: fc.integer({ min: 0, max: 7 }),
            nid: fc.integer({ min: -1, max: 3 }),
            zonelist: fc.boolean(),
          }),
          fc.record({ op: fc.constant("free" as const), pick: fc.nat() }),
        ),
        { maxLength: 80 },
      ),
    })
    .map((r) => {
      const nodeStart = [0];
      for (const s of r.sizes) nodeStart.push(nodeStart.at(-1)! + s);
      return { ...r, nodeStart };
    });

  // Seconds on a busy machine: it checks every free page's entry after every step.
  it("boots, splits, merges and falls back as the kernel does, in both encodings", {
    timeout: 120_000,
  }, () => {
    fc.assert(
      fc.property(machine, ({ nodeStart, maxOrder, encoding, holes, ops }) => {
        const t = bare(encoding, nodeStart, maxOrder);
        const { b } = t;
        const nodes = nodeStart.length - 1;
        const free = new Uint8Array(nodeStart.at(-1)!);
        const reserved: [number, number][] = [];
        for (let n = 0; n < nodes; n++) {
          const lo = nodeStart[n]!;
          const hi = nodeStart[n + 1]!;
          const start = Math.min(lo + holes[n]![0], hi);
          const end = Math.max(hi - holes[n]![1], start);
          for (let p = lo; p < hi; p++)
            if (p < start || p >= end) {
              t.allocated(p, 0);
              reserved.push([p, 0]);
            }
          b.freeBootRange(n, start, end);
          free.fill(1, start, end);
        }
        expectModel(t, free, nodeStart, maxOrder);
        const held: [number, number][] = [];
        for (const op of ops) {
          if (op.op === "free") {
            if (held.length === 0) continue;
            const [pfn, order] = held.splice(op.pick % held.length, 1)[0]!;
            b.freePages(pfn, order);
            free.fill(1, pfn, pfn + 2 ** order);
          } else {
            const order = Math.min(op.order, maxOrder);
            const nid = Math.min(op.nid, nodes - 1);
            // The nodes tried, in order: the asked one (node 0 for -1), then the next ones round (a zonelist).
            const tried = op.zonelist
              ? Array.from({ length: nodes }, (_, k) => (Math.max(nid, 0) + k) % nodes)
              : [Math.max(nid, 0)];
            const blocks = kernelBlocks(free, nodeStart, maxOrder);
            let candidates: number[] = [];
            for (const n of tried) {
              for (let o = order; o <= maxOrder && candidates.length === 0; o++)
                candidates = [...blocks]
                  .filter(([p, bo]) => bo === o && p >= nodeStart[n]! && p < nodeStart[n + 1]!)
                  .map(([p]) => p);
              if (candidates.length > 0) break;
            }
            const pfn = op.zonelist ? b.allocPages(order, nid) : b.allocPagesNode(order, Math.max(nid, 0));
            if (candidates.length === 0) expect(pfn).toBe(-1);
            else {
              expect(candidates).toContain(pfn);
              t.allocated(pfn, order);
              free.fill(0, pfn, pfn + 2 ** order);
              held.push([pfn, order]);
            }
          }
          expectModel(t, free, nodeStart, maxOrder);
        }
        // Everything back, the reserved pages too (as memory given back late, free_reserved_area()).
        for (const [pfn, order] of [...held, ...reserved]) {
          b.freePages(pfn, order);
          free.fill(1, pfn, pfn + 2 ** order);
        }
        expectModel(t, free, nodeStart, maxOrder);
      }),
      // The seed and path replay a failure; shrinking runs this long property many times over.
      { numRuns: 30, endOnFailure: true },
    );
  });

  it("boots an unaligned range as memblock_free_all() does: the largest aligned block that fits, page by page", () => {
    // __free_pages_memory(): order = min(MAX_PAGE_ORDER, __ffs(start)), lowered while the block passes the end.
    const t = bare("slot", [0, 64], 4);
    t.b.freeBootRange(0, 3, 37);
    expect(sorted(t.b.listedBlocks())).toEqual([
      [3, 0],
      [4, 2],
      [8, 3],
      [16, 4],
      [32, 2],
      [36, 0],
    ]);
    expect(t.b.freePagesByNode[0]).toBe(34);
  });

  it("never merges across a node boundary that splits a pair of buddies", () => {
    // PFNs 96..99 end node 0 and 100..103 start node 1: buddies at order 2, in different zones (page_is_buddy()
    // compares the zones), so neither merges with the other when both are free.
    for (const encoding of ["slot", "linked"] as const) {
      const t = bare(encoding, [0, 100, 200], 4);
      t.b.freeBootRange(0, 0, 100);
      t.b.freeBootRange(1, 100, 200);
      const boot = [
        ...[0, 16, 32, 48, 64, 80].map((p) => [p, 4]),
        [96, 2],
        [100, 2],
        [104, 3],
        ...[112, 128, 144, 160, 176].map((p) => [p, 4]),
        [192, 3],
      ];
      expect(sorted(t.b.listedBlocks())).toEqual(boot);
      expect(t.b.allocPagesNode(2, 0)).toBe(96);
      expect(t.b.allocPagesNode(2, 1)).toBe(100);
      t.allocated(96, 2);
      t.allocated(100, 2);
      t.b.freePages(100, 2);
      t.b.freePages(96, 2);
      expect(sorted(t.b.listedBlocks())).toEqual(boot);
      expect(t.b.nodeOf(99)).toBe(0);
      expect(t.b.nodeOf(100)).toBe(1);
      expect(t.b.nodeOf(199)).toBe(1);
    }
  });

  it("falls back along the zonelist from the asked node, and says -1 when no node has a block", () => {
    const t = bare("slot", [0, 16, 32, 48], 4);
    for (let n = 0; n < 3; n++) t.b.freeBootRange(n, 16 * n, 16 * n + 16);
    // Node 2 first, then 0 (the next round), then 1.
    expect(t.b.allocPages(4, 2)).toBe(32);
    expect(t.b.allocPages(4, 2)).toBe(0);
    expect(t.b.allocPages(4, 2)).toBe(16);
    expect(t.b.allocPages(0, 2)).toBe(-1);
    expect(t.b.allocPages(0, -1)).toBe(-1);
    expect(t.b.freePageCount).toBe(0);
    t.allocated(16, 4);
    t.b.freePages(16, 4);
    // nid -1 is the local node, 0, which is empty: node 1 serves it.
    expect(t.b.allocPages(3, -1)).toBe(16);
  });
});

describe("BuddyAllocator's entries", () => {
  it("refuses the linked encoding in an 8-byte entry", () => {
    const format = buddyFormat(registryOf("buddy-16"));
    const make = () => new BuddyAllocator(new Uint32Array(2048), 2, format, [0, 1024], 10);
    expect(make).toThrow(MemmapError);
    expect(make).toThrow(
      expect.objectContaining({
        code: "BUDDY_PAYLOAD",
        message: expect.stringContaining("needs a 16-byte page entry"),
      }),
    );
  });

  it("writes a per-CPU block's head: the pcp bit (slot), or both links at its per_cpu_pages list head (linked)", () => {
    const s = bare("slot", [0, 64, 128], 4);
    // Over an allocated page's word (another tag, a nonzero high half), next to another such page.
    s.words.fill(0xffff, 2 * 71, 2 * 73);
    s.b.writePcpHead(72, 3, 1, 3);
    expect([s.words[2 * 71], s.words[2 * 71 + 1]]).toEqual([0xffff, 0xffff]);
    // As the design's codec reads the word: order 3, the pcp bit, no tail bit, no slot.
    const word = (BigInt(s.words[2 * 72 + 1]!) << 32n) | BigInt(s.words[2 * 72]!);
    expect(testRegistry("memdesc-8").codec.decode(word)).toMatchObject({
      kind: "buddy",
      fields: { order: 3n, tail: 0n, pcp: 1n, slot: 0n },
    });
    expect(s.words[2 * 72]).toBe(s.b.pcpHeadLo(3));
    expect(s.b.isPcpHead(72)).toBe(true);
    expect(s.b.headOrder(72)).toBe(3);

    const l = bare("linked", [0, 64, 128], 4);
    const tag = l.format.tag;
    // Node 1's list 2: per_cpu_pages list heads are 16 bytes apart, 8 lists a node.
    const head = PCP_LISTS_BASE + (1 * 8 + 2) * 16;
    l.b.writePcpHead(68, 2, 1, 2);
    const entry = [...l.words.subarray(4 * 68, 4 * 68 + 4)];
    expect(entry).toEqual([
      (head % TWO32) + tag,
      Math.floor(head / TWO32),
      (head % TWO32) + 2,
      Math.floor(head / TWO32),
    ]);
    expect(l.b.isPcpHead(68)).toBe(true);
    expect(l.b.headOrder(68)).toBe(2);
    // Node 0's list 0 is the base itself.
    l.b.writePcpHead(64, 0, 0, 0);
    expect(l.b.isPcpHead(64)).toBe(true);
    expect([l.words[4 * 64], l.words[4 * 64 + 1]]).toEqual([tag, PCP_LISTS_BASE / TWO32]);
    // A page of buddy's own lists, and a tail, are not per-CPU blocks.
    l.b.freeBootRange(0, 0, 64);
    expect(l.b.isPcpHead(0)).toBe(false);
    expect(l.b.isPcpHead(1)).toBe(false);
  });

  it("reads a slot-encoded free list by slot, -1 past its end and always in the linked encoding", () => {
    const s = bare("slot", [0, 64, 128], 4);
    s.b.freeBootRange(0, 0, 64);
    s.b.freeBootRange(1, 64, 128);
    // Node 1's order-4 list: pushed in PFN order.
    expect([0, 1, 2, 3, 4].map((i) => s.b.freeListAt(1, 4, i))).toEqual([64, 80, 96, 112, -1]);
    expect(s.b.freeListAt(0, 4, 0)).toBe(0);
    expect(s.b.freeListAt(1, 3, 0)).toBe(-1);
    const l = bare("linked", [0, 64], 4);
    l.b.freeBootRange(0, 0, 64);
    expect(l.b.freeListAt(0, 4, 0)).toBe(-1);
  });
});

describe("BuddyAllocator's list walk (the invariant check) finds broken lists", () => {
  const invariant = (re: RegExp) =>
    expect.objectContaining({ code: "INVARIANT", message: expect.stringMatching(re) });

  it("slot encoding: a block whose word names another slot", () => {
    const s = bare("slot", [0, 64], 4);
    s.b.freeBootRange(0, 0, 64);
    s.b.listedBlocks();
    s.words[2 * 16 + 1] = 3;
    expect(() => s.b.listedBlocks()).toThrow(
      invariant(/free block 0x10 is in slot 1 of its list, but its word says another/),
    );
  });

  /** A linked list of four order-4 blocks (0, 16, 32, 48 booted: list_add puts 48 first) and a way to relink it. */
  function linked() {
    const l = bare("linked", [0, 64], 4);
    l.b.freeBootRange(0, 0, 64);
    const w = l.words;
    const page = (pfn: number) => [
      (VMEMMAP_BASE + pfn * 16) % TWO32,
      Math.floor((VMEMMAP_BASE + pfn * 16) / TWO32),
    ];
    const listHead = (i: number) => [(FREE_AREA_BASE + i * 16) % TWO32, FREE_AREA_BASE / TWO32];
    /** Points link `which` (0 next, 1 prev) of `pfn` at page `to` or at list head `head`. */
    const link = (pfn: number, which: 0 | 1, to: number[]) => {
      const x = 4 * pfn + 2 * which;
      w[x] = (to[0]! | (w[x]! & 15)) >>> 0;
      w[x + 1] = to[1]!;
    };
    /** Writes `pfn` as an order-4 listed block. */
    const block = (pfn: number, next: number[], prev: number[]) => {
      w[4 * pfn] = l.format.tag;
      w[4 * pfn + 2] = 4;
      link(pfn, 0, next);
      link(pfn, 1, prev);
    };
    expect([...l.b.listedBlocks().keys()]).toEqual([48, 32, 16, 0]);
    return { l, page, listHead, link, block };
  }

  it("linked: a list that loops", () => {
    const { l, page, link } = linked();
    link(16, 0, page(32));
    expect(() => l.b.listedBlocks()).toThrow(invariant(/node 0's order-4 free list loops at 0x20/));
  });

  it("linked: a last block whose next is not its list's head", () => {
    const { l, link, listHead } = linked();
    // The order-3 list's head, then a per-CPU list head with the same low half as the order-4 one.
    link(0, 0, listHead(3));
    expect(() => l.b.listedBlocks()).toThrow(
      invariant(/free block 0x0's next link points neither at a page nor at its list's head/),
    );
    link(0, 0, [(PCP_LISTS_BASE + 4 * 16) % TWO32, PCP_LISTS_BASE / TWO32]);
    expect(() => l.b.listedBlocks()).toThrow(invariant(/next link points neither/));
    link(0, 0, listHead(4));
    expect([...l.b.listedBlocks().keys()]).toEqual([48, 32, 16, 0]);
  });

  it("linked: a list longer than its head's count, and one that ends at another block than its head's prev", () => {
    const { l, page, listHead, link, block } = linked();
    // A block spliced in between 16 and 0, every link consistent: five blocks, the head counts four.
    block(8, page(0), page(16));
    link(16, 0, page(8));
    link(0, 1, page(8));
    expect(() => l.b.listedBlocks()).toThrow(
      invariant(/node 0's order-4 free list has 5 blocks, its head says 4/),
    );
    // Instead, 0 replaced by 8 at the end: four blocks, but the head's prev still says 0.
    block(8, listHead(4), page(16));
    expect(() => l.b.listedBlocks()).toThrow(
      invariant(/node 0's order-4 free list has 4 blocks, its head says 4/),
    );
  });
});
