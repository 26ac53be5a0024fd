import { fieldsByPath } from "@memdesc/core";
import { get64, put64 } from "../util/u64.js";
import { DIRECT_MAP_BASE, type SlabCache } from "./slab-cache.js";

/** `slab->counters` as SLUB packs it: `inuse`, `objects << 16`, `frozen << 31`. */
export function slabCounters(inuse: number, objects: number, frozen: boolean): number {
  return (inuse | (objects << 16) | (frozen ? 0x80000000 : 0)) >>> 0;
}

/**
 * The `struct slab` fields SLUB keeps up to date, `counters`, `freelist` and `slab_cache`, at the slab layout's
 * offsets (-1 when the layout has no such field), in the bytes of the struct-slab cache's objects.
 */
export class StructSlabFields {
  readonly counters: number;
  readonly freelist: number;
  readonly slabCache: number;
  /** The struct-slab cache, which holds every slab's struct slab. */
  private readonly structSlabs: SlabCache;

  constructor(structSlabs: SlabCache) {
    this.structSlabs = structSlabs;
    const layout = structSlabs.layout;
    const offset = (path: string) => (layout ? (fieldsByPath(layout).get(path)?.offset ?? -1) : -1);
    this.counters = offset("counters");
    this.freelist = offset("freelist");
    this.slabCache = offset("slab_cache");
  }

  /**
   * Writes slab `j`'s counters and freelist into its struct slab, as SLUB keeps them there: when a slab is
   * created, frozen, unfrozen or deactivated, and on a free outside the CPU slab.
   */
  update(cache: SlabCache, j: number): void {
    if (this.counters < 0) return;
    const u = this.structSlabs.u32[cache.slabDescChunk[j]!]!;
    const b = cache.slabDescByte[j]!;
    u[(b + this.counters) >>> 2] = slabCounters(cache.slabInuse[j]!, cache.objects, j === cache.cpuSlab);
    if (this.freelist >= 0) {
      const f = cache.slabFree[j]!;
      put64(u, b + this.freelist, f < 0 ? 0 : cache.objectAddress(DIRECT_MAP_BASE, j, f));
    }
  }

  /** Slab `j`'s counters and freelist address as its struct slab holds them; undefined without those fields. */
  read(cache: SlabCache, j: number): { counters: number; freelist: number } | undefined {
    if (this.counters < 0 || this.freelist < 0) return undefined;
    const u = this.structSlabs.u32[cache.slabDescChunk[j]!]!;
    const b = cache.slabDescByte[j]!;
    return { counters: u[(b + this.counters) >>> 2]!, freelist: get64(u, b + this.freelist) };
  }

  /** Writes `slab->slab_cache` of the struct slab at byte `byte` of chunk `u`. */
  writeSlabCache(u: Uint32Array, byte: number, kmemCache: number): void {
    if (this.slabCache >= 0) put64(u, byte + this.slabCache, kmemCache);
  }

  /** `slab->slab_cache` of the struct slab at byte `byte` of chunk `u`, undefined without that field. */
  readSlabCache(u: Uint32Array, byte: number): number | undefined {
    return this.slabCache < 0 ? undefined : get64(u, byte + this.slabCache);
  }
}
