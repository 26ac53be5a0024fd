import { MemmapError } from "../errors.js";
import type { MemmapState } from "../memmap/state.js";
import { SLAB_ACTIVE, type SlabCache } from "./slab-cache.js";
import { freeSlab, newSlab } from "./slub.js";

/*
 * Workload caches (dentry, kmalloc-64, from `kmemCacheCreate()`): their objects are counted per slab, not stored,
 * so a slab's struct slab, pages and words are real while its objects are only `inuse`.
 */

/** `kmem_cache_alloc()` of `count` objects from a workload cache, partial slabs first; returns how many it got. */
export function kmemCacheAllocBulk(m: MemmapState, cache: SlabCache, count: number, nid: number): number {
  if (cache.backed)
    throw new MemmapError("BAD_OPTIONS", `cache ${cache.name} holds descriptors; use memdescAllocNode`);
  let got = 0;
  while (got < count) {
    if (cache.partialTop === 0) {
      const j = newSlab(m, cache, nid);
      if (j < 0) {
        m.allocFailures++;
        break;
      }
      cache.addPartial(j);
    }
    const j = cache.partial[cache.partialTop - 1]!;
    const take = Math.min(count - got, cache.objects - cache.slabInuse[j]!);
    cache.slabInuse[j]! += take;
    if (cache.slabInuse[j] === cache.objects) cache.removePartial(j);
    got += take;
    m.structSlabFields.update(cache, j);
  }
  cache.liveObjects += got;
  return got;
}

/**
 * `kmem_cache_free()` of `count` random objects: a slab is picked, then kept with odds `inuse / objects`, so
 * every object is equally likely and slabs empty only when all their objects go (slab fragmentation).
 */
export function kmemCacheFreeRandom(
  m: MemmapState,
  cache: SlabCache,
  count: number,
  random: () => number,
): number {
  let freed = 0;
  while (freed < count && cache.liveObjects > 0) {
    const j = cache.live[Math.floor(random() * cache.liveTop)]!;
    const inuse = cache.slabInuse[j]!;
    if (cache.slabState[j] !== SLAB_ACTIVE || inuse === 0 || random() * cache.objects >= inuse) continue;
    cache.slabInuse[j] = inuse - 1;
    cache.liveObjects--;
    freed++;
    if (inuse === cache.objects) cache.addPartial(j);
    m.structSlabFields.update(cache, j);
    if (inuse === 1) freeSlab(m, cache, j);
  }
  return freed;
}
