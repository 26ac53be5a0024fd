import { MemmapError } from "../errors.js";
import { USE_META as useMeta } from "../memmap/counters.js";
import type { MemmapState } from "../memmap/state.js";
import { writePointerWords } from "../page-alloc/words.js";
import { RCU_SLAB as rcuSlab } from "../rcu/rcu.js";
import {
  DIRECT_MAP_BASE as directMapBase,
  META_ORDER_SHIFT as metaOrderShift,
  META_USE_SHIFT as metaUseShift,
  OBJ_FREE as objFree,
  OBJ_LIVE as objLive,
  OBJ_RCU as objRcu,
  type SlabCache,
  SLAB_DYING as slabDying,
} from "./slab-cache.js";

/*
 * The slab allocator (mm/slub.c) as the memmap runs it for every cache: slabs from the page allocator described
 * by struct slab descriptors, the CPU slab's lockless freelist as the fast path, the partial list, and frees of
 * SLAB_TYPESAFE_BY_RCU objects deferred to RCU and handed back in bulk.
 */

// Imported bindings are live: optimized code reloads and checks them at every use. Module-level constants fold.
const DIRECT_MAP_BASE = directMapBase;
const META_ORDER_SHIFT = metaOrderShift;
const META_USE_SHIFT = metaUseShift;
const OBJ_FREE = objFree;
const OBJ_LIVE = objLive;
const OBJ_RCU = objRcu;
const RCU_SLAB = rcuSlab;
const SLAB_DYING = slabDying;
const USE_META = useMeta;

/**
 * `new_slab()` → `allocate_slab()`: a struct slab from the struct-slab cache (or the slab's own first object,
 * for that cache), the slab's pages from the page allocator, their words pointing at the struct slab, and for a
 * descriptor cache its freelist threaded through every free object. The slab is on no list; the caller freezes
 * it as the CPU slab or adds it to the partial list. Returns its number, or -1 when memory is out.
 */
export function newSlab(m: MemmapState, cache: SlabCache, nid: number): number {
  const S = m.slabCache;
  const n = 2 ** cache.order;
  let so = -1;
  if (!cache.selfHosting) {
    so = slabAllocNode(m, S, nid, OBJ_LIVE);
    if (so < 0) return -1;
  }
  const pfn = m.pcp.allocPages(cache.order, nid);
  if (pfn < 0) {
    if (so >= 0) freeObjectNow(m, S, so);
    return -1;
  }
  const j = cache.takeSlabId(pfn);
  if (j >= 2 ** 24) throw new MemmapError("SLAB_LIMIT", `cache ${cache.name} has 2^24 slabs`);
  if (cache.selfHosting) {
    so = j * cache.objects;
    cache.liveObjects++;
    cache.slabInuse[j] = 1;
  }
  // Descriptor caches' slabs are the metadata; workload caches' count as the `slab` use.
  const use = cache.backed ? USE_META : m.counters.useOf("slab");
  if (cache.backed) {
    cache.buildFreelist(j, cache.emptyInuse);
    m.locator.map(pfn, cache.order, cache.id, j);
    m.metaPages += n;
  } else m.counters.count(use, n, cache.order, 1);
  // The struct slab: its pages, then the slab pages' words.
  const sj = S.slabOf(so);
  const si = so - sj * S.objects;
  S.objMeta[so] = OBJ_LIVE | (cache.order << META_ORDER_SHIFT) | (use << META_USE_SHIFT);
  const sdesc = S.objectAddress(DIRECT_MAP_BASE, sj, si);
  const sbyte = S.byteOffset(sj, si);
  S.u8[sj >>> S.chunkShift]!.fill(0, sbyte, sbyte + S.objectSize);
  // slab_address(): the struct slab keeps its slab's PFN.
  S.setPfn(so, pfn);
  cache.slabDesc[j] = sdesc;
  cache.slabDescObj[j] = so;
  cache.slabDescChunk[j] = sj >>> S.chunkShift;
  cache.slabDescByte[j] = sbyte;
  writePointerWords(m.words, m.stride, pfn, n, m.slabTag, sdesc);
  m.structSlabFields.writeSlabCache(S.u32[sj >>> S.chunkShift]!, sbyte, cache.address);
  m.structSlabFields.update(cache, j);
  return j;
}

/**
 * `slab_alloc_node()`: an object from the CPU freelist (the fast path, which touches neither `struct slab` nor
 * any list), else `___slab_alloc()`; its `objMeta` becomes `meta`. Returns its object number, in the CPU slab,
 * or -1 when memory is out.
 */
export function slabAllocNode(m: MemmapState, cache: SlabCache, nid: number, meta: number): number {
  let o = cache.cpuPop();
  if (o < 0) {
    o = slabAllocSlow(m, cache, nid);
    if (o < 0) return -1;
  }
  cache.objMeta[o] = meta;
  cache.liveObjects++;
  return o;
}

/**
 * `___slab_alloc()`: the CPU freelist is empty. The full CPU slab is unfrozen onto no list, and a partial slab
 * (`get_partial()`) or a new one (`new_slab()`) is frozen as the CPU slab. Returns the popped object. (The
 * kernel first takes what other CPUs freed into the CPU slab's own `freelist`, `get_freelist()`; with one
 * simulated CPU every free of a CPU slab's object goes onto `c->freelist`, so that list stays empty.)
 */
export function slabAllocSlow(m: MemmapState, cache: SlabCache, nid: number): number {
  const j = cache.cpuSlab;
  if (j >= 0) {
    cache.setCpuSlab(-1);
    m.structSlabFields.update(cache, j);
  }
  let k: number;
  if (cache.partialTop > 0) {
    k = cache.partial[cache.partialTop - 1]!;
    cache.removePartial(k);
  } else {
    k = newSlab(m, cache, nid);
    if (k < 0) return -1;
  }
  freezeSlab(m, cache, k);
  return cache.cpuPop();
}

/**
 * Freezes slab `j` as the CPU slab (`freeze_slab()`): its whole `freelist` moves to `c->freelist`, and its
 * struct slab says `freelist` NULL, `inuse` = objects, `frozen` 1 until it is unfrozen or deactivated. The slab
 * has free objects: it is new, or from the partial list.
 */
export function freezeSlab(m: MemmapState, cache: SlabCache, j: number): void {
  cache.setCpuSlab(j);
  cache.cpuFreelist = j * cache.objects + cache.slabFree[j]!;
  cache.slabFree[j] = -1;
  cache.slabInuse[j] = cache.objects;
  m.structSlabFields.update(cache, j);
}

/**
 * `deactivate_slab()`: unfreezes the CPU slab, splicing `c->freelist` back onto the slab's `freelist` and taking
 * its length off `inuse`, writing the counters back; then the slab is discarded if empty, put on the partial
 * list if it has free objects, or left on no list if full.
 */
function deactivateSlab(m: MemmapState, cache: SlabCache): void {
  const j = cache.cpuSlab;
  if (j < 0) return;
  let n = 0;
  let tail = -1;
  for (let o = cache.cpuFreelist; o >= 0; o = cache.freepointer(j, o)) {
    n++;
    tail = o;
  }
  const head = cache.cpuFreelist;
  cache.setCpuSlab(-1);
  if (n > 0) {
    // The slab's own freelist is empty while it is frozen (see slabAllocSlow): c->freelist's tail ends the list.
    cache.setFreepointer(j, tail, -1);
    cache.slabFree[j] = head - j * cache.objects;
    cache.slabInuse[j]! -= n;
  }
  m.structSlabFields.update(cache, j);
  if (cache.slabInuse[j] === cache.emptyInuse && cache.partialTop >= cache.minPartial)
    discardSlab(m, cache, j);
  else if (cache.slabFree[j]! >= 0) cache.addPartial(j);
}

/**
 * `kmem_cache_shrink()`: flushes the CPU slab (`flush_all()` → `deactivate_slab()`), then discards every empty
 * slab on the partial list (`__kmem_cache_do_shrink()`), after a grace period for SLAB_TYPESAFE_BY_RCU.
 */
export function kmemCacheShrink(m: MemmapState, cache: SlabCache): void {
  deactivateSlab(m, cache);
  for (let k = cache.partialTop - 1; k >= 0; k--) {
    const j = cache.partial[k]!;
    if (cache.slabInuse[j] !== cache.emptyInuse) continue;
    cache.removePartial(j);
    discardSlab(m, cache, j);
  }
}

/**
 * Frees an object nobody has seen (an allocation that failed half way) at once, without a grace period.
 */
export function freeObjectNow(m: MemmapState, cache: SlabCache, o: number): void {
  m.locator.checked = 0;
  cache.objMeta[o] = OBJ_FREE;
  cache.liveObjects--;
  doSlabFree(m, cache, cache.slabOf(o), o, o, 1);
}

/**
 * Frees a published descriptor. Descriptor caches are SLAB_TYPESAFE_BY_RCU (the plan's rule, docs/kernel.md), so
 * by default `kmem_cache_free()` puts it straight back on its slab's freelist: the next allocation of its kind may
 * reuse it at once, and an RCU reader still holding its address finds a descriptor of the same kind, perhaps
 * describing other memory. Only an emptied slab's pages wait a grace period (`discardSlab`). With
 * `descriptorFree: "kfree-rcu"` the object itself waits a grace period in the RCU ring instead (`kfree_rcu()`).
 * Its order and use stay in its shadow either way, for readers.
 */
export function freeDescriptor(m: MemmapState, cache: SlabCache, o: number): void {
  m.locator.checked = 0;
  cache.liveObjects--;
  if (m.deferDescriptorFrees) {
    cache.objMeta[o] = (cache.objMeta[o]! & ~3) | OBJ_RCU;
    cache.rcuObjects++;
    m.rcu.deferObject(cache.id, o);
    return;
  }
  cache.objMeta[o] = cache.objMeta[o]! & ~3;
  const j = cache.slabOf(o);
  doSlabFree(m, cache, j, o, o, 1);
}

/**
 * `kmem_cache_free_bulk()` of RCU frees whose grace period has ended (`count` of them from slot `start` of the
 * RCU object ring, in the order they were freed) as mm/slub.c runs it: `build_detached_freelist()` takes the last
 * object and looks back for more of its slab, linking each in front of the list (so the list keeps the order
 * they were freed in) and swapping it behind the ones not taken; three objects of other slabs end the look
 * (`lookahead`). `do_slab_free()` hands the list to its slab in one go, and the same runs again on what is left.
 * The ring's slots are the caller's no more, so the swaps may reorder them.
 */
export function kmemCacheFreeBulk(
  m: MemmapState,
  cacheIds: Int32Array,
  objects: Int32Array,
  start: number,
  count: number,
  mask: number,
): void {
  let size = count;
  while (size > 0) {
    let s = (start + --size) & mask;
    const id = cacheIds[s]!;
    const c = m.caches[id]!;
    const tail = objects[s]!;
    const j = c.slabOf(tail);
    const j0 = j * c.objects;
    c.objMeta[tail] = OBJ_FREE;
    // The kernel NULLs the tail's free pointer here; do_slab_free() points it at the slab's freelist anyway.
    let head = tail;
    let n = 1;
    let same = size;
    let lookahead = 3;
    while (size > 0) {
      s = (start + --size) & mask;
      const o = objects[s]!;
      if (cacheIds[s] === id && o >= j0 && o < j0 + c.objects) {
        c.objMeta[o] = OBJ_FREE;
        c.setFreepointer(j, o, head);
        head = o;
        n++;
        same--;
        if (size !== same) {
          // The object of another slab at `same` goes where this one was.
          const t = (start + same) & mask;
          objects[s] = objects[t]!;
          cacheIds[s] = cacheIds[t]!;
          objects[t] = o;
          cacheIds[t] = id;
        }
        continue;
      }
      if (--lookahead === 0) break;
    }
    c.rcuObjects -= n;
    doSlabFree(m, c, j, head, tail, n);
    size = same;
  }
}

/**
 * `do_slab_free()`: a list `head`..`tail` of `count` objects of slab `j`. Objects of the CPU slab go onto the
 * CPU freelist (the fast path: no `struct slab` write); others take `__slab_free()`.
 */
export function doSlabFree(
  m: MemmapState,
  cache: SlabCache,
  j: number,
  head: number,
  tail: number,
  count: number,
): void {
  if (j === cache.cpuSlab) {
    cache.cpuPush(head, tail);
    return;
  }
  slabFreeSlow(m, cache, j, head, tail, count);
}

/**
 * `__slab_free()`: the list goes onto the slab's own `freelist` and `inuse` drops by its length, written into
 * the struct slab. A full slab that gets a free object joins the partial list; an empty one is discarded unless
 * the partial list has fewer than `min_partial` slabs, where it stays.
 */
function slabFreeSlow(
  m: MemmapState,
  cache: SlabCache,
  j: number,
  head: number,
  tail: number,
  count: number,
): void {
  const j0 = j * cache.objects;
  const prior = cache.slabFree[j]!;
  // Only descriptor caches free objects one by one; workload caches count them (workload-cache.ts).
  cache.setFreepointer(j, tail, prior < 0 ? -1 : j0 + prior);
  cache.slabFree[j] = head - j0;
  const inuse = cache.slabInuse[j]! - count;
  cache.slabInuse[j] = inuse;
  m.structSlabFields.update(cache, j);
  if (inuse === cache.emptyInuse && cache.partialTop >= cache.minPartial) {
    if (cache.slabPartialPos[j]! >= 0) cache.removePartial(j);
    discardSlab(m, cache, j);
  } else if (prior < 0) cache.addPartial(j);
}

/**
 * `discard_slab()`: an empty slab's pages go back. For SLAB_TYPESAFE_BY_RCU they wait one more grace period
 * (`rcu_free_slab`): a reader may still hold a pointer into them and must find objects of the same kind there.
 */
function discardSlab(m: MemmapState, cache: SlabCache, j: number): void {
  if (cache.typesafeByRcu) {
    cache.slabState[j] = SLAB_DYING;
    m.rcu.defer(RCU_SLAB, cache.id, j);
  } else freeSlab(m, cache, j);
}

/** `free_slab()`: an empty slab's pages back to the page allocator, and its struct slab freed. */
export function freeSlab(m: MemmapState, cache: SlabCache, j: number): void {
  m.locator.checked = 0;
  const pfn = cache.slabPfn[j]!;
  const n = 2 ** cache.order;
  if (cache.backed) {
    m.locator.map(pfn, cache.order, -1, 0);
    m.metaPages -= n;
  } else m.counters.count(m.counters.useOf("slab"), -n, cache.order, -1);
  const so = cache.slabDescObj[j]!;
  if (cache.selfHosting) {
    // Its struct slab is inside it and goes with it.
    cache.objMeta[so] = OBJ_FREE;
    cache.liveObjects--;
  }
  m.pcp.freePages(pfn, cache.order);
  cache.releaseSlabId(j);
  if (!cache.selfHosting) freeDescriptor(m, m.slabCache, so);
}

/**
 * The bootstrap (kmem_cache_init's boot caches): the struct-slab cache's first slab cannot get its struct slab
 * from a cache that has no slab yet, so it takes its own first object. Every later slab of that cache does the
 * same, so the cache never needs itself to grow; every other cache's slabs get their struct slab from it. The
 * first slab becomes the cache's CPU slab. It cannot fail: every node starts with at least one free block of
 * MAX_PAGE_ORDER (the options' check), nothing is allocated before it, and no cache's slab order is above that
 * (`addCache()`).
 */
export function bootstrapSlabCache(m: MemmapState): void {
  freezeSlab(m, m.slabCache, newSlab(m, m.slabCache, -1));
}

/**
 * Gives back everything cached rather than used (see `Memmap.shrinkAll`). The struct-slab cache goes last, once
 * the other caches' discarded slabs have freed their struct slabs after a grace period.
 */
export function shrinkAll(m: MemmapState): void {
  m.rcu.drain();
  for (const c of m.caches) if (c !== m.slabCache) kmemCacheShrink(m, c);
  m.rcu.drain();
  kmemCacheShrink(m, m.slabCache);
  m.rcu.drain();
  m.pcp.drainAll();
}
