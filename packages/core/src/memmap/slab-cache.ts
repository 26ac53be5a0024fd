import type { Layout } from "../layout/types.js";
import { grown } from "./grow.js";

/** Object states of a descriptor cache. */
export const OBJ_FREE = 0;
export const OBJ_LIVE = 1;
/** Freed, waiting for a grace period before it can be handed out again (SLAB_TYPESAFE_BY_RCU). */
export const OBJ_RCU = 2;

/** Slab states. */
export const SLAB_UNUSED = 0;
export const SLAB_ACTIVE = 1;
/** Empty, its pages waiting for a grace period before they go back to the buddy allocator. */
export const SLAB_DYING = 2;

/** Bytes of simulated slab memory held per backing chunk: allocated lazily, shared by many slabs. */
const CHUNK_BYTES = 1 << 20;

/** What a cache is made of: SLUB's stride, order and objects per slab. */
export interface SlabCacheGeometry {
  /** `s->size`: the stride between objects. */
  readonly size: number;
  readonly order: number;
  /** Objects per slab (`oo_objects`). */
  readonly objects: number;
}

export interface SlabCacheOptions extends SlabCacheGeometry {
  readonly id: number;
  readonly name: string;
  /** The descriptor kind whose objects it holds, or undefined for a workload cache (dentry, kmalloc-64). */
  readonly kind: string | undefined;
  readonly variant: string;
  /** `s->object_size`: the descriptor's size rounded to the design's alignment, or the workload's object size. */
  readonly objectSize: number;
  /** Descriptor caches keep real bytes; workload caches only count objects. */
  readonly backed: boolean;
  readonly typesafeByRcu: boolean;
  /** Where a free object keeps its free pointer, from the object's start. */
  readonly freeptrOffset: number;
  /** The struct-slab cache: each of its slabs holds its own struct slab in its first object. */
  readonly selfHosting: boolean;
  /** The simulated `struct kmem_cache *`. */
  readonly address: number;
  readonly layout: Layout | undefined;
}

/**
 * One `kmem_cache`: per-slab state in growable typed arrays indexed by the cache's slab number `j`, a stack of
 * partial slabs, and for descriptor caches the objects' bytes (in 1 MiB chunks holding whole slabs), a free list
 * threaded through free objects at `freeptrOffset` as SLUB threads it, and per-object state: live, free or
 * waiting for RCU, plus the head PFN, order and memory use of the pages a live descriptor describes (which the
 * memdesc-era ptdesc, ioptdesc and slab do not store). The memmap moves slabs in and out; this class carves
 * objects.
 */
export class SlabCache {
  readonly id: number;
  readonly name: string;
  readonly kind: string | undefined;
  readonly variant: string;
  readonly objectSize: number;
  readonly size: number;
  /** `1 / size`, for finding an object from an address without a division. */
  readonly invSize: number;
  readonly order: number;
  readonly objects: number;
  readonly slabBytes: number;
  readonly backed: boolean;
  readonly typesafeByRcu: boolean;
  readonly freeptrOffset: number;
  readonly selfHosting: boolean;
  readonly address: number;
  readonly layout: Layout | undefined;
  /** The word tag of this cache's kind (set by the memmap). */
  tag = 0;

  slabPfn = new Uint32Array(16);
  /** Objects not free: live, or waiting for RCU. */
  slabInuse = new Int32Array(16);
  /** First object of the slab's free list (-1: none). */
  slabFree = new Int32Array(16);
  /** Objects below this index have been carved; above it the slab is untouched (SLUB's lazy freelist). */
  slabNext = new Int32Array(16);
  /** The slab's struct slab: its address, and its object number in the struct-slab cache. */
  slabDesc = new Float64Array(16);
  slabDescObj = new Int32Array(16);
  /** Where the struct slab's bytes are: its chunk in the struct-slab cache and byte offset there. */
  slabDescChunk = new Int32Array(16);
  slabDescByte = new Int32Array(16);
  slabState = new Uint8Array(16);
  /** Position in `partial` (-1: not partial), and in `live` (workload caches pick random slabs from it). */
  slabPartialPos = new Int32Array(16);
  slabLivePos = new Int32Array(16);
  partial = new Int32Array(16);
  partialTop = 0;
  live = new Int32Array(16);
  liveTop = 0;
  private freeIds = new Int32Array(16);
  private freeIdTop = 0;
  /** Slab numbers handed out so far. */
  slabHigh = 0;

  objState = new Uint8Array(0);
  objPfn = new Uint32Array(0);
  objOrder = new Uint8Array(0);
  objUse = new Uint8Array(0);
  liveObjects = 0;
  rcuObjects = 0;
  /** Slabs that hold pages (active or dying). */
  slabs = 0;

  /** Backing chunks: `chunkShift` bits of the slab number pick the slab inside a chunk. */
  readonly chunkShift: number;
  readonly chunkMask: number;
  u8: Uint8Array[] = [];
  u32: Uint32Array[] = [];
  i32: Int32Array[] = [];

  constructor(o: SlabCacheOptions) {
    this.id = o.id;
    this.name = o.name;
    this.kind = o.kind;
    this.variant = o.variant;
    this.objectSize = o.objectSize;
    this.size = o.size;
    this.invSize = 1 / o.size;
    this.order = o.order;
    this.objects = o.objects;
    this.slabBytes = 4096 * 2 ** o.order;
    this.backed = o.backed;
    this.typesafeByRcu = o.typesafeByRcu;
    this.freeptrOffset = o.freeptrOffset;
    this.selfHosting = o.selfHosting;
    this.address = o.address;
    this.layout = o.layout;
    let shift = 0;
    while (this.slabBytes * 2 ** (shift + 1) <= CHUNK_BYTES) shift++;
    this.chunkShift = shift;
    this.chunkMask = 2 ** shift - 1;
  }

  /** A slab number for a new slab whose pages start at `pfn`, with backing bytes if the cache keeps them. */
  takeSlabId(pfn: number): number {
    let j: number;
    if (this.freeIdTop > 0) j = this.freeIds[--this.freeIdTop]!;
    else {
      j = this.slabHigh++;
      this.ensureSlabs(j + 1);
    }
    this.slabPfn[j] = pfn;
    this.slabInuse[j] = 0;
    this.slabFree[j] = -1;
    this.slabNext[j] = 0;
    this.slabState[j] = SLAB_ACTIVE;
    this.slabPartialPos[j] = -1;
    this.live = grown(this.live, this.liveTop + 1);
    this.slabLivePos[j] = this.liveTop;
    this.live[this.liveTop++] = j;
    this.slabs++;
    return j;
  }

  /** Gives a slab number back once its pages are freed. */
  releaseSlabId(j: number): void {
    if (this.slabPartialPos[j]! >= 0) this.removePartial(j);
    const pos = this.slabLivePos[j]!;
    const last = this.live[--this.liveTop]!;
    this.live[pos] = last;
    this.slabLivePos[last] = pos;
    this.slabState[j] = SLAB_UNUSED;
    this.freeIds = grown(this.freeIds, this.freeIdTop + 1);
    this.freeIds[this.freeIdTop++] = j;
    this.slabs--;
  }

  addPartial(j: number): void {
    this.partial = grown(this.partial, this.partialTop + 1);
    this.slabPartialPos[j] = this.partialTop;
    this.partial[this.partialTop++] = j;
  }

  removePartial(j: number): void {
    const pos = this.slabPartialPos[j]!;
    const last = this.partial[--this.partialTop]!;
    this.partial[pos] = last;
    this.slabPartialPos[last] = pos;
    this.slabPartialPos[j] = -1;
  }

  /** The simulated address of object `i` of slab `j`. */
  objectAddress(directMapBase: number, j: number, i: number): number {
    return directMapBase + this.slabPfn[j]! * 4096 + i * this.size;
  }

  /** Byte offset of object `i` of slab `j` inside its backing chunk. */
  byteOffset(j: number, i: number): number {
    return (j & this.chunkMask) * this.slabBytes + i * this.size;
  }

  /**
   * Takes a free object from slab `j` (which has one): its free list first, then the next never-used one. Returns
   * its index in the slab. Objects waiting for RCU are not on the free list, so only a grace period makes them
   * reusable, and then only by this cache: by the same kind.
   */
  carve(j: number, directMapBase: number): number {
    let i = this.slabFree[j]!;
    if (i >= 0) {
      const x = (this.byteOffset(j, i) + this.freeptrOffset) >>> 2;
      const u = this.u32[j >>> this.chunkShift]!;
      const next = u[x]! + u[x + 1]! * 4294967296;
      this.slabFree[j] = next === 0 ? -1 : (next - directMapBase - this.slabPfn[j]! * 4096) / this.size;
    } else i = this.slabNext[j]!++;
    const inuse = ++this.slabInuse[j]!;
    if (inuse === this.objects) this.removePartial(j);
    return i;
  }

  /** Puts object `i` of slab `j` on the slab's free list, writing the free pointer into its bytes. */
  uncarve(j: number, i: number, directMapBase: number): void {
    const head = this.slabFree[j]!;
    const next = head < 0 ? 0 : directMapBase + this.slabPfn[j]! * 4096 + head * this.size;
    const x = (this.byteOffset(j, i) + this.freeptrOffset) >>> 2;
    const u = this.u32[j >>> this.chunkShift]!;
    u[x] = next >>> 0;
    u[x + 1] = next === 0 ? 0 : Math.floor(next / 4294967296);
    this.slabFree[j] = i;
    const inuse = --this.slabInuse[j]!;
    if (inuse === this.objects - 1 && this.slabState[j] === SLAB_ACTIVE) this.addPartial(j);
  }

  /** Makes sure the per-slab, per-object and backing arrays reach slab `n - 1`. */
  private ensureSlabs(n: number): void {
    if (n > this.slabPfn.length) {
      this.slabPfn = grown(this.slabPfn, n);
      this.slabInuse = grown(this.slabInuse, n);
      this.slabFree = grown(this.slabFree, n);
      this.slabNext = grown(this.slabNext, n);
      this.slabDesc = grown(this.slabDesc, n);
      this.slabDescObj = grown(this.slabDescObj, n);
      this.slabDescChunk = grown(this.slabDescChunk, n);
      this.slabDescByte = grown(this.slabDescByte, n);
      this.slabState = grown(this.slabState, n);
      this.slabPartialPos = grown(this.slabPartialPos, n);
      this.slabLivePos = grown(this.slabLivePos, n);
    }
    if (!this.backed) return;
    const objs = n * this.objects;
    if (objs > this.objState.length) {
      this.objState = grown(this.objState, objs);
      this.objPfn = grown(this.objPfn, objs);
      this.objOrder = grown(this.objOrder, objs);
      this.objUse = grown(this.objUse, objs);
    }
    const chunks = ((n - 1) >>> this.chunkShift) + 1;
    while (this.u8.length < chunks) {
      const buf = new ArrayBuffer((this.chunkMask + 1) * this.slabBytes);
      this.u8.push(new Uint8Array(buf));
      this.u32.push(new Uint32Array(buf));
      this.i32.push(new Int32Array(buf));
    }
  }

  /** Bytes of backing memory this cache holds (its chunks). */
  get backingBytes(): number {
    return this.u8.length * (this.chunkMask + 1) * this.slabBytes;
  }
}
