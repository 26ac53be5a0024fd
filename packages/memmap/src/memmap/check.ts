import { hex, MemmapError } from "../errors.js";
import {
  DIRECT_MAP_BASE,
  OBJ_FREE,
  OBJ_LIVE,
  OBJ_RCU,
  SLAB_ACTIVE,
  SLAB_DYING,
  SLAB_UNUSED,
  type SlabCache,
} from "../slub/slab-cache.js";
import { slabCounters } from "../slub/struct-slab.js";
import { USE_META } from "./counters.js";
import type { Memmap } from "./memmap.js";

/** What a full scan of the words found. */
export interface CheckReport {
  /** Free pages: in the buddy allocator's lists and on the per-CPU lists. */
  readonly freePages: number;
  /** Of those, the pages on per-CPU lists. */
  readonly pcpPages: number;
  /** Allocations found in the words: descriptor blocks (slabs included) and Misc blocks. */
  readonly descriptorBlocks: number;
  readonly miscBlocks: number;
  /** Pages of descriptor-cache slabs (the metadata). */
  readonly metaPages: number;
}

/**
 * Scans every word and every slab and checks the memmap's invariants, throwing MemmapError INVARIANT at the first
 * broken one:
 * - every page is in exactly one state: the first page of a free block in its buddy free list (its slot, or its
 *   links, which are walked and checked both ways), the first
 *   page of a block on the per-CPU list of its node and order (and on no other), a tail inside either, or one page
 *   of a live descriptor's or a Misc allocation whose words all agree;
 * - free pages = the buddy lists' sum + the per-CPU lists' `count`s, and no two free buddies of one order below
 *   the top are both in the lists (they would have merged);
 * - each descriptor slab's objects are live, waiting for RCU, or free, and the free ones are exactly those on its
 *   freelist and, for the CPU slab, the CPU freelist, read through the free pointers in their bytes; its struct
 *   slab holds `inuse` (objects less the slab's freelist, so all of them while frozen), `objects`, `frozen` (the
 *   CPU slab only) and `freelist`; it is on the partial list exactly when unfrozen with free objects;
 * - objects waiting for RCU = the object frees the RCU ring holds; live descriptors = the allocations the words
 *   point at;
 * - and the per-use counters the picture is made from equal what the words say (descriptor pages per use; Misc
 *   pages in total).
 *
 * O(pages + objects): for tests and small machines.
 */
export function check(m: Memmap): CheckReport {
  const fail = (msg: string): never => {
    throw new MemmapError("INVARIANT", msg);
  };
  const w = m.words;
  const st = m.stride;
  const codec = m.registry.codec;
  const uses = m.registry.uses.length;
  const useNames = m.registry.uses;
  const pages = new Float64Array(uses);
  const descs = new Float64Array(uses);
  const orders = new Float64Array(uses * (m.maxOrder + 1));

  // The per-CPU lists first: each listed block once, and its word says so.
  const listed = new Int8Array(m.pages).fill(-1);
  let pcpPages = 0;
  for (let n = 0; n < m.nodes; n++) {
    let count = 0;
    for (const o of m.pcp.orders)
      for (const pfn of m.pcp.list(n, o)) {
        if (listed[pfn] !== -1) fail(`page ${hex(pfn)} is on a per-CPU list twice`);
        listed[pfn] = o;
        if (m.buddy.nodeOf(pfn) !== n)
          fail(`page ${hex(pfn)} is on node ${n}'s per-CPU list but not in its zone`);
        count += 2 ** o;
      }
    if (count !== m.pcp.countOf(n))
      fail(`node ${n}'s per-CPU lists hold ${count} pages, but their count says ${m.pcp.countOf(n)}`);
    pcpPages += count;
  }
  // Then buddy's free lists, walked (and, linked through the entries, checked link by link).
  const inBuddy = m.buddy.listedBlocks();
  // `__free_one_page()` merges a freed block with its buddy while the buddy is free at the same order in the
  // same zone (mm/page_alloc.c), so two free buddies of one order below MAX_PAGE_ORDER never both sit in the
  // lists (blocks on the per-CPU lists are not in them, and are not merged with).
  for (const [pfn, order] of inBuddy) {
    if (order >= m.maxOrder) continue;
    const buddy = pfn ^ (2 ** order);
    if (buddy > pfn && inBuddy.get(buddy) === order && m.buddy.nodeOf(buddy) === m.buddy.nodeOf(pfn))
      fail(
        `free blocks ${hex(pfn)} and ${hex(buddy)} of order ${order} are buddies, both free and not merged`,
      );
  }

  // A Misc word does not say which use its pages were allocated for (a workload may put untyped pages in any),
  // so Misc pages are checked in total: what the counters hold beyond the descriptors' pages.
  let miscPages = 0;
  let free = 0;
  let pcpFound = 0;
  let blocks = 0;
  let misc = 0;
  let meta = 0;
  let pfn = 0;
  const b = m.buddy;
  while (pfn < m.pages) {
    const lo = w[pfn * st]!;
    const hi = w[pfn * st + 1]!;
    const tag = codec.readTag(lo);
    if (tag === m.buddyTag) {
      if (b.isTail(pfn)) fail(`page ${hex(pfn)} is a free tail outside any free block`);
      const order = b.headOrder(pfn);
      const pcp = b.isPcpHead(pfn);
      if (!b.linked && lo !== (pcp ? m.pcp.headLo(order) : b.headLo(order)))
        fail(`page ${hex(pfn)} has a buddy word no free block has (${hex(lo)})`);
      const node = b.nodeOf(pfn);
      if (pfn % 2 ** order !== 0 || pfn + 2 ** order > b.nodeStart[node + 1]!)
        fail(`free block ${hex(pfn)} of order ${order} is misaligned or crosses node ${node}'s end`);
      if (pcp) {
        if (listed[pfn] !== order)
          fail(
            `page ${hex(pfn)} says it heads an order-${order} block on a per-CPU list, but no such list holds it`,
          );
        if (!b.linked && hi !== 0) fail(`per-CPU block ${hex(pfn)} has a free-list slot (${hi})`);
        pcpFound += 2 ** order;
      } else {
        if (inBuddy.get(pfn) !== order)
          fail(
            `free block ${hex(pfn)} of order ${order} is not in node ${node}'s order-${order} free list${b.linked ? "" : ` (its word names slot ${hi}, which holds ${b.freeListAt(node, order, hi)})`}`,
          );
        free += 2 ** order;
      }
      for (let p = pfn + 1; p < pfn + 2 ** order; p++) {
        if (!b.isTail(p) || codec.readTag(w[p * st]!) !== m.buddyTag)
          fail(`page ${hex(p)} inside free block ${hex(pfn)} is not a free tail`);
        // Linked (buddy-16): a tail is the type alone, its `next` and `prev` NULL (no stale link of a block it
        // once headed).
        if (b.linked && (w[p * st + 1] !== 0 || w[p * st + 2] !== 0 || w[p * st + 3] !== 0))
          fail(`free tail ${hex(p)} of block ${hex(pfn)} keeps a link (${hex(w[p * st + 2]!)})`);
      }
      pfn += 2 ** order;
      continue;
    }
    if (listed[pfn] !== -1) fail(`page ${hex(pfn)} is on a per-CPU list but its word is not free`);
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
    fail(`the words have ${free} free pages in buddy, the buddy allocator counts ${m.buddy.freePageCount}`);
  let inLists = 0;
  for (let n = 0; n < m.nodes; n++)
    for (let o = 0; o <= m.maxOrder; o++) inLists += m.buddy.freeBlocks(n, o) * 2 ** o;
  if (inLists !== free) fail(`the free lists hold ${inLists} pages, the words ${free}`);
  if (pcpFound !== pcpPages) fail(`the words have ${pcpFound} pages on per-CPU lists, the lists ${pcpPages}`);
  if (m.freePageCount !== free + pcpPages)
    fail(`free pages are ${m.freePageCount}, but buddy has ${free} and the per-CPU lists ${pcpPages}`);

  let live = 0;
  let rcu = 0;
  for (const c of m.caches) {
    if (!c.backed) {
      let inuse = 0;
      for (let j = 0; j < c.slabHigh; j++) if (c.slabState[j] !== SLAB_UNUSED) inuse += c.slabInuse[j]!;
      if (inuse !== c.liveObjects)
        fail(`cache ${c.name}'s slabs hold ${inuse} objects, it counts ${c.liveObjects}`);
      continue;
    }
    const l = checkSlabs(m, c, fail);
    live += l.live;
    rcu += l.rcu;
  }
  if (rcu !== m.rcu.pendingObjects)
    fail(
      `${rcu} objects wait for a grace period, but the RCU ring holds ${m.rcu.pendingObjects} object frees`,
    );
  if (live !== blocks) fail(`${live} descriptors are live, but the words point at ${blocks}`);
  if (meta !== m.metaPages) fail(`the words have ${meta} descriptor-slab pages, the counter ${m.metaPages}`);
  let counted = 0;
  for (let u = 0; u < uses; u++) {
    if (useNames[u] === "free") continue;
    counted += m.usePages[u]! - pages[u]!;
    if (pages[u]! > m.usePages[u]! || descs[u] !== m.useDescriptors[u])
      fail(
        `use ${useNames[u]}: the words have ${pages[u]} pages and ${descs[u]} descriptors, the counters ${m.usePages[u]} and ${m.useDescriptors[u]}`,
      );
    for (let o = 0; o <= m.maxOrder; o++)
      if (orders[u * (m.maxOrder + 1) + o] !== m.useOrders[u * (m.maxOrder + 1) + o])
        fail(`use ${useNames[u]}: order ${o} descriptors disagree with the counter`);
  }
  if (counted !== miscPages)
    fail(`the words have ${miscPages} Misc pages, the counters ${counted} pages beyond the descriptors'`);
  return {
    freePages: free + pcpPages,
    pcpPages,
    descriptorBlocks: blocks,
    miscBlocks: misc,
    metaPages: meta,
  };
}

/** A descriptor cache's slabs, objects, freelists, CPU slab, struct slabs and partial list. */
function checkSlabs(m: Memmap, c: SlabCache, fail: (msg: string) => never): { live: number; rcu: number } {
  let live = 0;
  let rcu = 0;
  let slabs = 0;
  let partial = 0;
  const seen = new Uint8Array(c.objects);
  const walk = (j: number, head: number, what: string): number => {
    let n = 0;
    for (let o = head; o >= 0; o = c.freepointer(j, o)) {
      const i = o - j * c.objects;
      if (i < 0 || i >= c.objects) fail(`cache ${c.name} slab ${j}: ${what} leaves the slab`);
      if (seen[i]) fail(`cache ${c.name} slab ${j}: object ${i} is on the freelists twice (a loop?)`);
      seen[i] = 1;
      if (c.stateOf(o) !== OBJ_FREE)
        fail(`cache ${c.name} slab ${j}: ${what} holds object ${i}, which is not free`);
      n++;
    }
    return n;
  };
  if (c.cpuSlab >= 0 && c.slabState[c.cpuSlab] !== SLAB_ACTIVE)
    fail(`cache ${c.name}'s CPU slab ${c.cpuSlab} is not an active slab`);
  for (let j = 0; j < c.slabHigh; j++) {
    const state = c.slabState[j];
    if (state === SLAB_UNUSED) continue;
    slabs++;
    let l = 0;
    let r = 0;
    let f = 0;
    for (let i = 0; i < c.objects; i++) {
      const s = c.stateOf(j * c.objects + i);
      if (s === OBJ_LIVE) l++;
      else if (s === OBJ_RCU) r++;
      else f++;
    }
    live += l;
    rcu += r;
    const where = `cache ${c.name} slab ${j}`;
    const onPartial = c.slabPartialPos[j]! >= 0;
    if (onPartial) partial++;
    if (state === SLAB_DYING) {
      // Discarded: its pages wait for a grace period; nothing in it may be used.
      if (l !== c.emptyInuse || r !== 0 || onPartial || j === c.cpuSlab)
        fail(`${where} is waiting to be freed but holds objects or is on a list`);
      continue;
    }
    seen.fill(0);
    const frozen = j === c.cpuSlab;
    const onSlab = walk(j, c.slabFree[j]! < 0 ? -1 : j * c.objects + c.slabFree[j]!, "its freelist");
    const onCpu = frozen ? walk(j, c.cpuFreelist, "the CPU freelist") : 0;
    if (onSlab + onCpu !== f)
      fail(`${where} has ${f} free objects, but its freelists hold ${onSlab + onCpu}`);
    if (c.slabInuse[j] !== c.objects - onSlab)
      fail(
        `${where} counts ${c.slabInuse[j]} objects in use, but ${c.objects - onSlab} are off its freelist`,
      );
    if (frozen && onSlab !== 0) fail(`${where} is the CPU slab but has objects on its own freelist`);
    const ss = m.structSlab(c, j);
    if (ss) {
      const counters = slabCounters(c.slabInuse[j]!, c.objects, frozen);
      if (ss.counters !== counters)
        fail(`${where}: its struct slab's counters are ${hex(ss.counters)}, not ${hex(counters)}`);
      const head = c.slabFree[j]!;
      const freelist = head < 0 ? 0 : c.objectAddress(DIRECT_MAP_BASE, j, head);
      if (ss.freelist !== freelist)
        fail(`${where}: its struct slab's freelist is ${hex(ss.freelist)}, not ${hex(freelist)}`);
    }
    if (onPartial !== (!frozen && onSlab > 0))
      fail(
        `${where} is ${onPartial ? "" : "not "}on the partial list with ${onSlab} free objects${frozen ? ", frozen" : ""}`,
      );
  }
  if (partial !== c.partialTop)
    fail(`cache ${c.name}'s partial list holds ${c.partialTop} slabs, ${partial} say so`);
  if (live !== c.liveObjects || rcu !== c.rcuObjects || slabs !== c.slabs)
    fail(
      `cache ${c.name} counts ${c.liveObjects} live, ${c.rcuObjects} RCU, ${c.slabs} slabs; its objects say ${live}, ${rcu}, ${slabs}`,
    );
  return { live, rcu };
}
