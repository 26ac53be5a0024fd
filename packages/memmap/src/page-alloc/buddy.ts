import { MemmapError } from "../errors.js";
import { grown } from "../util/grow.js";

/**
 * How free pages' entries are written, in one of two encodings:
 *
 * - `slot` (memdesc-8's proposal, docs/kernel.md "Buddy pages"): the first page of a free block holds
 *   `buddy | order << orderShift` in its word's low half and the block's slot in its order's free-list array in
 *   the high half; the other pages are tails (`tailLo`, the buddy tag with the tail bit). A block on a per-CPU
 *   list has the `pcp` bit and no slot.
 * - `linked` (BuddyAllocator Option 1, buddy-16): a 16-byte entry `union { memdesc; struct buddy { next, prev } }`.
 *   Word 0 is the `struct page` pointer of the next block in its free list (or the list head in the zone's
 *   `free_area`) with the type in its low 4 bits; word 1 the previous one with the order in its low 4 bits: real
 *   circular doubly linked lists through the memmap, as `buddy_list` is today. Tails are the type alone (a NULL
 *   `next`). A block on a per-CPU list points both links at its `per_cpu_pages` list head (this project's
 *   reading: Option 1 does not say), so buddy never merges with it.
 */
export interface BuddyWordFormat {
  readonly encoding: "slot" | "linked";
  readonly tag: number;
  /** Slot encoding: the bit of the `order` payload field (below 32). Linked: 0 (order in word 1's low 4 bits). */
  readonly orderShift: number;
  /** Slot encoding: the bit of the `pcp` field (below 32). */
  readonly pcpShift: number;
  /** The low 32 bits of a free page that is not the first of its block: the buddy tag (with the tail bit). */
  readonly tailLo: number;
}

/** x86-64's vmemmap (0xffffea0000000000) without its sign-extension bits: `struct page` pointers in buddy-16. */
export const VMEMMAP_BASE = 0xea0000000000;
const VMEMMAP_HI = 0xea00;
/** Simulated `zone->free_area[order].free_list` heads, per node and order, 16 bytes each. */
export const FREE_AREA_BASE = 0x821000000000;
/** Simulated `per_cpu_pages.lists[]` heads, per node and list, 16 bytes each. */
export const PCP_LISTS_BASE = 0x822000000000;
const TWO32 = 4294967296;
// The list heads' high halves: every head (at most 64 nodes × 15 orders or 8 lists, 16 bytes each) lies within
// 2^32 bytes of its base, whose low half is 0.
const FREE_AREA_HI = FREE_AREA_BASE / TWO32;
const PCP_LISTS_HI = PCP_LISTS_BASE / TWO32;

/**
 * The buddy allocator of a simulated memmap (mm/page_alloc.c), per node, orders 0..maxOrder, keeping its
 * bookkeeping in the page entries in the design's encoding (see `BuddyWordFormat`). In the slot encoding the free
 * lists are per-node, per-order stacks of PFNs in typed arrays (the proposal's `free_area[order]` arrays), so a
 * buddy found free while merging is unlinked in O(1) through the slot its word names; in the linked encoding they
 * are the doubly linked lists in the entries themselves, and only the list heads live outside the memmap.
 */
export class BuddyAllocator {
  readonly maxOrder: number;
  readonly nodes: number;
  /** `nodeStart[n]`..`nodeStart[n + 1]` are node n's PFNs. */
  readonly nodeStart: readonly number[];
  /** Free pages per node. */
  readonly freePagesByNode: Float64Array;
  /** The linked encoding (buddy-16, BuddyAllocator Option 1). */
  readonly linked: boolean;
  /** The buddy tag, and the low half of a free block's tail page. */
  readonly tag: number;
  readonly tailLo: number;
  private readonly words: Uint32Array;
  private readonly stride: number;
  private readonly headBase: number;
  private readonly orderShift: number;
  private readonly pcpBit: number;
  /** Slot encoding: `stacks[node * (maxOrder + 1) + order]`, PFNs of free blocks; `tops` has their lengths. */
  private readonly stacks: Uint32Array[];
  private readonly tops: Int32Array;
  /** Linked encoding: each list head's `next` and `prev` as PFNs (-1: the head itself, an empty list). */
  private readonly headNext: Int32Array;
  private readonly headPrev: Int32Array;

  constructor(
    words: Uint32Array,
    stride: number,
    format: BuddyWordFormat,
    nodeStart: readonly number[],
    maxOrder: number,
  ) {
    this.words = words;
    this.stride = stride | 0;
    this.linked = format.encoding === "linked";
    if (this.linked && stride < 4)
      throw new MemmapError(
        "BUDDY_PAYLOAD",
        "the linked buddy encoding (struct buddy { next, prev }) needs a 16-byte page entry",
      );
    this.tag = format.tag | 0;
    this.headBase = format.tag | 0;
    this.orderShift = format.orderShift | 0;
    this.pcpBit = this.linked ? 0 : 1 << format.pcpShift;
    this.tailLo = format.tailLo | 0;
    this.maxOrder = maxOrder | 0;
    this.nodes = nodeStart.length - 1;
    this.nodeStart = nodeStart;
    this.freePagesByNode = new Float64Array(this.nodes);
    const lists = this.nodes * (maxOrder + 1);
    this.stacks = Array.from({ length: this.linked ? 0 : lists }, () => new Uint32Array(16));
    this.tops = new Int32Array(lists);
    this.headNext = new Int32Array(this.linked ? lists : 0).fill(-1);
    this.headPrev = new Int32Array(this.linked ? lists : 0).fill(-1);
  }

  /** Slot encoding: the low half of the word of a free block's first page. */
  headLo(order: number): number {
    return (this.headBase | (order << this.orderShift)) >>> 0;
  }

  /** Slot encoding: the low half of the word of a block on a per-CPU list (the `pcp` bit). */
  pcpHeadLo(order: number): number {
    return (this.headBase | this.pcpBit | (order << this.orderShift)) >>> 0;
  }

  /** The node whose PFN range holds `pfn`. */
  nodeOf(pfn: number): number {
    if (this.nodes === 1) return 0;
    const s = this.nodeStart;
    let n = 0;
    while (n + 1 < this.nodes && pfn >= s[n + 1]!) n++;
    return n;
  }

  /**
   * Hands [start, end) of node `node` to the allocator at boot (`memblock_free_all` → `__free_pages_core`): the
   * largest naturally aligned blocks that fit. The words of the range must already be tails.
   */
  freeBootRange(node: number, start: number, end: number): void {
    let pfn = start;
    while (pfn < end) {
      let order = this.maxOrder;
      // Order 0 always fits (pfn < end).
      while (pfn % 2 ** order !== 0 || pfn + 2 ** order > end) order--;
      this.push(node, order, pfn);
      this.freePagesByNode[node]! += 2 ** order;
      pfn += 2 ** order;
    }
  }

  /**
   * `__rmqueue_smallest()` + `expand()`: takes the smallest free block of at least `order` on `nid` (then the other
   * nodes in order, as a zonelist falls back), splitting it down and freeing the upper halves. Returns the PFN, or
   * -1 when no node has a block. The block's words are left for the caller to write (they are head and tails).
   */
  allocPages(order: number, nid: number): number {
    const first = Math.max(nid, 0);
    for (let k = 0; k < this.nodes; k++) {
      const pfn = this.allocPagesNode(order, (first + k) % this.nodes);
      if (pfn >= 0) return pfn;
    }
    return -1;
  }

  /** `__rmqueue_smallest()` on one node's zone only (what `rmqueue_bulk()` refills a per-CPU list from); -1: none. */
  allocPagesNode(order: number, node: number): number {
    const base = node * (this.maxOrder + 1);
    for (let o = order; o <= this.maxOrder; o++) {
      const top = this.tops[base + o]!;
      if (top === 0) continue;
      let pfn: number;
      if (this.linked) {
        // get_page_from_free_area(): list_first_entry(), the head's next.
        pfn = this.headNext[base + o]!;
        this.unlinkLinked(base + o, pfn);
      } else {
        pfn = this.stacks[base + o]![top - 1]!;
        this.tops[base + o] = top - 1;
      }
      // Split: the upper half at each order below becomes a free block of that order (its pages are tails).
      for (let s = o - 1; s >= order; s--) this.push(node, s, pfn + 2 ** s);
      this.freePagesByNode[node]! -= 2 ** order;
      return pfn;
    }
    return -1;
  }

  /**
   * `__free_one_page()`: returns a naturally aligned block, merging with its buddy while the buddy is a free block
   * of the same order in the same node. Writes the block's words (tails, and the head of the merged block).
   */
  freePages(pfn: number, order: number): void {
    const w = this.words;
    const st = this.stride;
    const n = 2 ** order;
    const linked = this.linked;
    this.writeTails(pfn, n);
    const node = this.nodeOf(pfn);
    this.freePagesByNode[node]! += n;
    const lo = this.nodeStart[node]!;
    const hi = this.nodeStart[node + 1]!;
    const base = node * (this.maxOrder + 1);
    let o = order;
    let p = pfn;
    while (o < this.maxOrder) {
      const buddy = p ^ (1 << o);
      if (buddy < lo || buddy + (1 << o) > hi) break;
      const bx = buddy * st;
      if (linked) {
        if (!this.isListedHead(buddy, o)) break;
        this.unlinkLinked(base + o, buddy);
        w[bx + 2] = 0;
        w[bx + 3] = 0;
      } else {
        if (w[bx] !== (this.headBase | (o << this.orderShift)) >>> 0) break;
        this.unlink(node, o, w[bx + 1]!);
      }
      w[bx] = this.tailLo;
      w[bx + 1] = 0;
      p = Math.min(p, buddy);
      o++;
    }
    this.push(node, o, p);
  }

  /** Writes `n` pages from `pfn` as tails of a free block. */
  writeTails(pfn: number, n: number): void {
    const w = this.words;
    const st = this.stride;
    const tail = this.tailLo;
    if (this.linked)
      for (let i = 0, x = pfn * st; i < n; i++, x += st) {
        w[x] = tail;
        w[x + 1] = 0;
        w[x + 2] = 0;
        w[x + 3] = 0;
      }
    else
      for (let i = 0, x = pfn * st; i < n; i++, x += st) {
        w[x] = tail;
        w[x + 1] = 0;
      }
  }

  /**
   * Writes `pfn` as the first page of an order-`order` block on per-CPU list `list`: the `pcp` bit (slot
   * encoding), or both links at the list's head (linked).
   */
  writePcpHead(pfn: number, order: number, node: number, list: number): void {
    const x = pfn * this.stride;
    const w = this.words;
    if (!this.linked) {
      w[x] = this.pcpHeadLo(order);
      w[x + 1] = 0;
      return;
    }
    const alo = (node * 8 + list) * 16;
    w[x] = (alo | this.tag) >>> 0;
    w[x + 1] = PCP_LISTS_HI;
    w[x + 2] = (alo | order) >>> 0;
    w[x + 3] = PCP_LISTS_HI;
  }

  /** Whether a free page's entry is a tail (a free page not first in its block). The page must be tagged buddy. */
  isTail(pfn: number): boolean {
    const x = pfn * this.stride;
    return this.words[x] === this.tailLo && this.words[x + 1] === 0;
  }

  /** Whether a free block's first page is on a per-CPU list. */
  isPcpHead(pfn: number): boolean {
    const x = pfn * this.stride;
    if (!this.linked) return (this.words[x]! & this.pcpBit) !== 0;
    return this.words[x + 1] === PCP_LISTS_HI;
  }

  /** The order a free block's first page records. */
  headOrder(pfn: number): number {
    const x = pfn * this.stride;
    return this.linked ? this.words[x + 2]! & 15 : (this.words[x]! >>> this.orderShift) & 15;
  }

  /** Free blocks of `order` on `node` (a /proc/buddyinfo column). */
  freeBlocks(node: number, order: number): number {
    return this.tops[node * (this.maxOrder + 1) + order]!;
  }

  /** Slot encoding: the PFN in slot `slot` of a free list, or -1 past its end. */
  freeListAt(node: number, order: number, slot: number): number {
    if (this.linked) return -1;
    const i = node * (this.maxOrder + 1) + order;
    return slot < this.tops[i]! ? this.stacks[i]![slot]! : -1;
  }

  /**
   * Every block in buddy's free lists, by first PFN, with its order; walks the lists (through the entries' links
   * in the linked encoding, checking each `prev` and the list's length) and throws INVARIANT on a broken one. For
   * the invariant check.
   */
  listedBlocks(): Map<number, number> {
    const out = new Map<number, number>();
    const fail = (msg: string): never => {
      throw new MemmapError("INVARIANT", msg);
    };
    for (let n = 0; n < this.nodes; n++)
      for (let o = 0; o <= this.maxOrder; o++) {
        const i = n * (this.maxOrder + 1) + o;
        if (!this.linked) {
          for (let s = 0; s < this.tops[i]!; s++) {
            const pfn = this.stacks[i]![s]!;
            if (this.words[pfn * this.stride + 1] !== s)
              fail(`free block 0x${pfn.toString(16)} is in slot ${s} of its list, but its word says another`);
            out.set(pfn, o);
          }
          continue;
        }
        let prev = -1;
        let len = 0;
        // A list longer than its head's count (without a loop) is found at the end.
        for (let p = this.headNext[i]!; p !== -1; p = this.linkOf(p, 0)) {
          if (out.has(p)) fail(`node ${n}'s order-${o} free list loops at 0x${p.toString(16)}`);
          if (this.linkOf(p, 1) !== prev || (prev === -1 && !this.linksHead(p, 1, i)))
            fail(`free block 0x${p.toString(16)}'s prev link does not point at the block before it`);
          if (this.linkOf(p, 0) === -1 && !this.linksHead(p, 0, i))
            fail(
              `free block 0x${p.toString(16)}'s next link points neither at a page nor at its list's head`,
            );
          out.set(p, o);
          prev = p;
          len++;
        }
        if (prev !== this.headPrev[i] || len !== this.tops[i])
          fail(`node ${n}'s order-${o} free list has ${len} blocks, its head says ${this.tops[i]}`);
      }
    return out;
  }

  /** Free pages in every node. */
  get freePageCount(): number {
    let s = 0;
    for (const f of this.freePagesByNode) s += f;
    return s;
  }

  private push(node: number, order: number, pfn: number): void {
    const i = node * (this.maxOrder + 1) + order;
    if (this.linked) {
      this.pushLinked(i, order, pfn);
      return;
    }
    const top = this.tops[i]!;
    const stack = grown(this.stacks[i]!, top + 1);
    this.stacks[i] = stack;
    stack[top] = pfn;
    this.tops[i] = top + 1;
    const x = pfn * this.stride;
    this.words[x] = this.headLo(order);
    this.words[x + 1] = top;
  }

  /** Removes the block in `slot` by moving the last block of the list into it (and telling its word). */
  private unlink(node: number, order: number, slot: number): void {
    const i = node * (this.maxOrder + 1) + order;
    const top = this.tops[i]! - 1;
    const stack = this.stacks[i]!;
    const last = stack[top]!;
    stack[slot] = last;
    this.words[last * this.stride + 1] = slot;
    this.tops[i] = top;
  }

  // --- the linked encoding: lists through the entries ----------------------------------------------------------

  /**
   * Whether `pfn` heads a block in buddy's order-`order` free list: type buddy, the order, and a `next` link at a
   * page or at a `free_area` head (a tail's is NULL, a per-CPU block's its list's head).
   */
  private isListedHead(pfn: number, order: number): boolean {
    const x = pfn * this.stride;
    const w = this.words;
    if ((w[x]! & 15) !== this.tag || (w[x + 2]! & 15) !== order) return false;
    const hi = w[x + 1]!;
    return hi === VMEMMAP_HI || hi === FREE_AREA_HI;
  }

  /** Link `which` (0: next, 1: prev) of a listed block as a PFN, -1 for the list head. */
  private linkOf(pfn: number, which: 0 | 1): number {
    const x = pfn * this.stride + which * 2;
    const hi = this.words[x + 1]!;
    return hi === VMEMMAP_HI ? (this.words[x]! & ~15) >>> 4 : -1;
  }

  /** Whether link `which` of `pfn` is exactly list `i`'s head in `free_area`. */
  private linksHead(pfn: number, which: 0 | 1, i: number): boolean {
    const x = pfn * this.stride + which * 2;
    return (this.words[x]! & ~15) >>> 0 === i * 16 && this.words[x + 1] === FREE_AREA_HI;
  }

  /** Points link `which` of `pfn` at page `to` (-1: the head of list `i`), keeping the low 4 bits. */
  private setLink(pfn: number, which: 0 | 1, to: number, i: number): void {
    const x = pfn * this.stride + which * 2;
    const low = this.words[x]! & 15;
    if (to >= 0) {
      this.words[x] = ((to << 4) | low) >>> 0;
      this.words[x + 1] = VMEMMAP_HI;
    } else {
      this.words[x] = ((i * 16) | low) >>> 0;
      this.words[x + 1] = FREE_AREA_HI;
    }
  }

  /** `list_add()`: `pfn` becomes the first block of list `i`. */
  private pushLinked(i: number, order: number, pfn: number): void {
    const x = pfn * this.stride;
    this.words[x] = this.tag;
    this.words[x + 2] = order;
    const first = this.headNext[i]!;
    this.setLink(pfn, 0, first, i);
    this.setLink(pfn, 1, -1, i);
    if (first >= 0) this.setLink(first, 1, pfn, i);
    else this.headPrev[i] = pfn;
    this.headNext[i] = pfn;
    this.tops[i]!++;
  }

  /** `list_del()` of block `pfn` from list `i`, through its own links. */
  private unlinkLinked(i: number, pfn: number): void {
    const next = this.linkOf(pfn, 0);
    const prev = this.linkOf(pfn, 1);
    if (next >= 0) this.setLink(next, 1, prev, i);
    else this.headPrev[i] = prev;
    if (prev >= 0) this.setLink(prev, 0, next, i);
    else this.headNext[i] = next;
    this.tops[i]!--;
  }
}
