import { memoryUseNames } from "../bill/uses.js";
import { hex, MemmapError } from "./errors.js";
import type { Memmap } from "./memmap.js";
import { OBJ_LIVE, OBJ_RCU, SLAB_UNUSED } from "./slab-cache.js";

/** What a full scan of the words found. */
export interface CheckReport {
  readonly freePages: number;
  /** Allocations found in the words: descriptor blocks (slabs included) and Misc blocks. */
  readonly descriptorBlocks: number;
  readonly miscBlocks: number;
  /** Pages of descriptor-cache slabs (the metadata). */
  readonly metaPages: number;
}

const USE_META = 255;

/**
 * Scans every word and checks the memmap's invariants, throwing MemmapError INVARIANT at the first broken one:
 * every page is in exactly one state (the first page of a free block in its free list's slot, a tail inside
 * one, or one page of a live descriptor's or a Misc allocation whose words all agree); the free pages equal the
 * buddy lists' sum; live descriptors equal the allocations the words point at; and the per-use counters the
 * picture is made from equal what the words say (descriptor pages per use; Misc pages in total). O(pages + objects): for tests and small machines.
 */
export function check(m: Memmap): CheckReport {
  const fail = (msg: string): never => {
    throw new MemmapError("INVARIANT", msg);
  };
  const w = m.words;
  const st = m.stride;
  const codec = m.registry.codec;
  const uses = memoryUseNames.length;
  const pages = new Float64Array(uses);
  const descs = new Float64Array(uses);
  const orders = new Float64Array(uses * (m.maxOrder + 1));
  // A Misc word does not say which use its pages were allocated for (a workload may put untyped pages in any),
  // so Misc pages are checked in total: what the counters hold beyond the descriptors' pages.
  let miscPages = 0;
  let free = 0;
  let blocks = 0;
  let misc = 0;
  let meta = 0;
  let pfn = 0;
  while (pfn < m.pages) {
    const lo = w[pfn * st]!;
    const hi = w[pfn * st + 1]!;
    const tag = codec.readTag(lo);
    if (tag === m.buddyTag) {
      if (lo === m.tailLo) fail(`page ${hex(pfn)} is a free tail outside any free block`);
      const order = (lo >>> 4) & 15;
      const node = m.buddy.nodeOf(pfn);
      if (pfn % 2 ** order !== 0 || pfn + 2 ** order > m.buddy.nodeStart[node + 1]!)
        fail(`free block ${hex(pfn)} of order ${order} is misaligned or crosses node ${node}'s end`);
      if (m.buddy.freeListAt(node, order, hi) !== pfn)
        fail(
          `free block ${hex(pfn)} says it is in slot ${hi} of node ${node}'s order-${order} list, which holds ${m.buddy.freeListAt(node, order, hi)}`,
        );
      for (let p = pfn + 1; p < pfn + 2 ** order; p++)
        if (w[p * st] !== m.tailLo || w[p * st + 1] !== 0)
          fail(`page ${hex(p)} inside free block ${hex(pfn)} is not a free tail`);
      free += 2 ** order;
      pfn += 2 ** order;
      continue;
    }
    const kind = m.registry.kindOf(tag);
    if (kind === undefined) fail(`page ${hex(pfn)} has tag ${tag}, which no kind uses`);
    if (kind === "misc") {
      const info = m.lookup(pfn);
      if (info.headPfn !== pfn)
        fail(`Misc page ${hex(pfn)} of order ${info.order} is not aligned to its order`);
      for (let p = pfn; p < pfn + 2 ** info.order; p++)
        if (w[p * st] !== lo || w[p * st + 1] !== hi)
          fail(`Misc block ${hex(pfn)}: page ${hex(p)} has another word`);
      miscPages += 2 ** info.order;
      misc++;
      pfn += 2 ** info.order;
      continue;
    }
    const desc = m.pageDescriptor(pfn);
    let probe: ReturnType<Memmap["probe"]>;
    try {
      probe = m.probe(desc);
    } catch (e) {
      return fail(`page ${hex(pfn)} points at ${hex(desc)}: ${(e as Error).message}`);
    }
    if (probe.cache.kind !== kind)
      fail(`page ${hex(pfn)} is tagged ${kind} but points at a ${probe.cache.kind} descriptor`);
    if (probe.state !== OBJ_LIVE) fail(`page ${hex(pfn)} points at ${hex(desc)}, which is not live`);
    if (probe.pfn !== pfn)
      fail(`page ${hex(pfn)} starts a block, but its descriptor describes ${hex(probe.pfn)}`);
    for (let p = pfn; p < pfn + 2 ** probe.order; p++)
      if (w[p * st] !== lo || w[p * st + 1] !== hi)
        fail(`block ${hex(pfn)}: page ${hex(p)} points elsewhere`);
    if (probe.use === USE_META) meta += 2 ** probe.order;
    else {
      pages[probe.use]! += 2 ** probe.order;
      descs[probe.use]!++;
      orders[probe.use * (m.maxOrder + 1) + probe.order]!++;
    }
    blocks++;
    pfn += 2 ** probe.order;
  }
  if (free !== m.buddy.freePageCount)
    fail(`the words have ${free} free pages, the buddy allocator counts ${m.buddy.freePageCount}`);
  let listed = 0;
  for (let n = 0; n < m.nodes; n++)
    for (let o = 0; o <= m.maxOrder; o++) listed += m.buddy.freeBlocks(n, o) * 2 ** o;
  if (listed !== free) fail(`the free lists hold ${listed} pages, the words ${free}`);
  let live = 0;
  for (const c of m.caches) {
    if (!c.backed) continue;
    let l = 0;
    let r = 0;
    let slabs = 0;
    for (let j = 0; j < c.slabHigh; j++) {
      if (c.slabState[j] === SLAB_UNUSED) continue;
      slabs++;
      for (let i = 0; i < c.objects; i++) {
        const s = c.objState[j * c.objects + i];
        if (s === OBJ_LIVE) l++;
        else if (s === OBJ_RCU) r++;
      }
    }
    if (l !== c.liveObjects || r !== c.rcuObjects || slabs !== c.slabs)
      fail(
        `cache ${c.name} counts ${c.liveObjects} live, ${c.rcuObjects} RCU, ${c.slabs} slabs; its objects say ${l}, ${r}, ${slabs}`,
      );
    live += l;
  }
  if (live !== blocks) fail(`${live} descriptors are live, but the words point at ${blocks}`);
  if (meta !== m.metaPages) fail(`the words have ${meta} descriptor-slab pages, the counter ${m.metaPages}`);
  let counted = 0;
  for (let u = 0; u < uses; u++) {
    if (memoryUseNames[u] === "free") continue;
    counted += m.usePages[u]! - pages[u]!;
    if (pages[u]! > m.usePages[u]! || descs[u] !== m.useDescriptors[u])
      fail(
        `use ${memoryUseNames[u]}: the words have ${pages[u]} pages and ${descs[u]} descriptors, the counters ${m.usePages[u]} and ${m.useDescriptors[u]}`,
      );
    for (let o = 0; o <= m.maxOrder; o++)
      if (orders[u * (m.maxOrder + 1) + o] !== m.useOrders[u * (m.maxOrder + 1) + o])
        fail(`use ${memoryUseNames[u]}: order ${o} descriptors disagree with the counter`);
  }
  if (counted !== miscPages)
    fail(`the words have ${miscPages} Misc pages, the counters ${counted} pages beyond the descriptors'`);
  return { freePages: free, descriptorBlocks: blocks, miscBlocks: misc, metaPages: meta };
}
