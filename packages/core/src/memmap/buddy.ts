import { grown } from "./grow.js";

/**
 * How a free page's word is written: the buddy tag, where the order sits in the low half, the low half of a page
 * inside a free block (a "tail"), and the free-list slot in the high half of a block's first page.
 */
export interface BuddyWordFormat {
  readonly tag: number;
  /** Bit of the `order` payload field (below 32). */
  readonly orderShift: number;
  /** The low 32 bits of a free page that is not the first of its block: buddy tag with the `tail` bit set. */
  readonly tailLo: number;
}

/**
 * The buddy allocator of a simulated memmap (mm/page_alloc.c), per node, orders 0..maxOrder. Its bookkeeping
 * lives in the memdesc words, as the 8-byte design puts it: the first page of a free block holds
 * `buddy | order << 4` in its low half and the block's slot in its order's free list in its high half; every
 * other page of the block is a tail. The free lists are per-node, per-order stacks of PFNs in typed arrays (the
 * kernel's `free_area[order]`), so a buddy found free while merging is unlinked in O(1) through the slot its
 * word names, and nothing else per PFN is needed.
 */
export class BuddyAllocator {
  readonly maxOrder: number;
  readonly nodes: number;
  /** `nodeStart[n]`..`nodeStart[n + 1]` are node n's PFNs. */
  readonly nodeStart: readonly number[];
  /** Free pages per node. */
  readonly freePagesByNode: Float64Array;
  private readonly words: Uint32Array;
  private readonly stride: number;
  private readonly headBase: number;
  private readonly orderShift: number;
  private readonly tailLo: number;
  /** `stacks[node * (maxOrder + 1) + order]`: PFNs of free blocks; `tops` has their lengths. */
  private readonly stacks: Uint32Array[];
  private readonly tops: Int32Array;

  constructor(
    words: Uint32Array,
    stride: number,
    format: BuddyWordFormat,
    nodeStart: readonly number[],
    maxOrder: number,
  ) {
    this.words = words;
    this.stride = stride | 0;
    this.headBase = format.tag | 0;
    this.orderShift = format.orderShift | 0;
    this.tailLo = format.tailLo | 0;
    this.maxOrder = maxOrder | 0;
    this.nodes = nodeStart.length - 1;
    this.nodeStart = nodeStart;
    this.freePagesByNode = new Float64Array(this.nodes);
    const lists = this.nodes * (maxOrder + 1);
    this.stacks = Array.from({ length: lists }, () => new Uint32Array(16));
    this.tops = new Int32Array(lists);
  }

  /** The low half of the word of a free block's first page. */
  headLo(order: number): number {
    return (this.headBase | (order << this.orderShift)) >>> 0;
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
      while (order > 0 && (pfn % 2 ** order !== 0 || pfn + 2 ** order > end)) order--;
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
      const pfn = this.stacks[base + o]![top - 1]!;
      this.tops[base + o] = top - 1;
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
    const tail = this.tailLo;
    const n = 2 ** order;
    for (let i = 0, x = pfn * st; i < n; i++, x += st) {
      w[x] = tail;
      w[x + 1] = 0;
    }
    const node = this.nodeOf(pfn);
    this.freePagesByNode[node]! += n;
    const lo = this.nodeStart[node]!;
    const hi = this.nodeStart[node + 1]!;
    let o = order;
    let p = pfn;
    while (o < this.maxOrder) {
      const buddy = p ^ (1 << o);
      if (buddy < lo || buddy + (1 << o) > hi) break;
      const bx = buddy * st;
      if (w[bx] !== (this.headBase | (o << this.orderShift)) >>> 0) break;
      this.unlink(node, o, w[bx + 1]!);
      w[bx] = tail;
      w[bx + 1] = 0;
      p = Math.min(p, buddy);
      o++;
    }
    this.push(node, o, p);
  }

  /** Free blocks of `order` on `node` (a /proc/buddyinfo column). */
  freeBlocks(node: number, order: number): number {
    return this.tops[node * (this.maxOrder + 1) + order]!;
  }

  /** The PFN in slot `slot` of a free list, or -1 past its end. */
  freeListAt(node: number, order: number, slot: number): number {
    const i = node * (this.maxOrder + 1) + order;
    return slot < this.tops[i]! ? this.stacks[i]![slot]! : -1;
  }

  /** Free pages in every node. */
  get freePageCount(): number {
    let s = 0;
    for (const f of this.freePagesByNode) s += f;
    return s;
  }

  private push(node: number, order: number, pfn: number): void {
    const i = node * (this.maxOrder + 1) + order;
    const top = this.tops[i]!;
    let stack = this.stacks[i]!;
    if (top === stack.length) {
      stack = grown(stack, top + 1);
      this.stacks[i] = stack;
    }
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
}
