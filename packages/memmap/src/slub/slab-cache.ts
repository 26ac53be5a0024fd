import type { Layout } from "@memdesc/core";
import { grown } from "../util/grow.js";

/**
 * Where descriptors live: the x86-64 direct map, PAGE_OFFSET 0xffff888000000000 without its sign-extension bits
 * so every address is an exact double. A descriptor's address is its slab page's direct-map address plus its
 * offset in the slab, `DIRECT_MAP_BASE + pfn * 4096 + i * size`, as `page_address(slab) + i * s->size` is.
 */
export const DIRECT_MAP_BASE = 0x888000000000;
/**
 * The high half of `DIRECT_MAP_BASE`, whose low half is 0: the address of byte `b` of PFN `p` has the low half
 * `(p << 12 >>> 0) + b` and the high half `DIRECT_MAP_HI + (p >>> 20)`, in integer arithmetic.
 */
export const DIRECT_MAP_HI = 0x8880;
const TWO32 = 4294967296;

/** Object states of a descriptor cache. */
export const OBJ_FREE = 0;
export const OBJ_LIVE = 1;
/** Freed by `kfree_rcu()`: waiting for a grace period before it can be handed out again. */
export const OBJ_RCU = 2;

/** Where an object's order and memory use sit in `objMeta`. */
export const META_ORDER_SHIFT = 2;
export const META_USE_SHIFT = 6;

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
  /** Where a descriptor keeps the PFN of its memory (its way back), from the object's start; -1: none. */
  readonly pfnOffset: number;
  /** The way-back field's size: 8 (an `unsigned long` on lp64) or 4. */
  readonly pfnSize: number;
  /** The struct-slab cache: each of its slabs holds its own struct slab in its first object. */
  readonly selfHosting: boolean;
  /** The simulated `struct kmem_cache *`. */
  readonly address: number;
  readonly layout: Layout | undefined;
}

/**
 * One `kmem_cache`: per-slab state in growable typed arrays indexed by the cache's slab number `j`, a stack of
 * partial slabs, and for descriptor caches the objects' bytes (in 1 MiB chunks holding whole slabs), free lists
 * threaded through free objects at `freeptrOffset` as real addresses, as SLUB threads them, and per-object state
 * (the simulator's shadow, like KASAN's): live, free or waiting for RCU, plus the order and memory use of the pages a
 * live descriptor describes. The PFN of those pages is not shadowed: each descriptor keeps it in its own way-back
 * field (`pfn`) at `pfnOffset`, as a separately allocated descriptor must.
 *
 * Descriptor caches have the simulated CPU's `struct kmem_cache_cpu`: a CPU slab (`c->slab`, frozen) and its
 * lockless freelist (`c->freelist`). Allocation pops `c->freelist` (`get_freepointer()`), and a free of an object
 * of the CPU slab pushes onto it, neither touching `struct slab`; the slab's `freelist` and `counters` (`inuse`
 * = all objects, `frozen` = 1 while it is the CPU slab) are written only when a slab is frozen, unfrozen or
 * deactivated, or when an object of another slab is freed (`__slab_free`). The memmap moves slabs in and out;
 * this class reads and writes free pointers.
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
  /** `1 / objects`, for an object number's slab. */
  readonly invObjects: number;
  /**
   * For each 16 bytes of a slab, the object starting there, or -1: byte offset → object index with a shift and a
   * load (objects are 16-byte aligned), for free pointers and descriptor addresses. Descriptor caches only.
   */
  readonly objectAt: Int16Array;
  readonly order: number;
  readonly objects: number;
  readonly slabBytes: number;
  readonly backed: boolean;
  readonly typesafeByRcu: boolean;
  readonly freeptrOffset: number;
  readonly pfnOffset: number;
  readonly pfnSize: number;
  readonly selfHosting: boolean;
  readonly address: number;
  readonly layout: Layout | undefined;
  /** The word tag of this cache's kind (set by the memmap). */
  tag = 0;
  /** `inuse` of an empty slab: the struct-slab cache's slabs hold their own struct slab. */
  readonly emptyInuse: number;
  /**
   * `s->min_partial`: empty slabs kept on the partial list rather than discarded, `ilog2(size) / 2` clamped to
   * MIN_PARTIAL..MAX_PARTIAL (5..10).
   */
  readonly minPartial: number;

  /** `kmem_cache_cpu.slab`: the CPU slab, frozen (-1: none). */
  cpuSlab = -1;
  /** `kmem_cache_cpu.freelist`: the object number of its first object (-1: NULL). */
  cpuFreelist = -1;
  /** The CPU slab's first object number, direct-map address, byte offset in its chunk, and the chunk. */
  cpuObj0 = 0;
  cpuBase = 0;
  /** The low and high halves of `cpuBase`, the low one also as a signed 32-bit integer. */
  cpuLo0 = 0;
  cpuLo0s = 0;
  cpuHi = 0;
  cpuByte0 = 0;
  cpuU32: Uint32Array = new Uint32Array(0);
  cpuI32: Int32Array = new Int32Array(0);
  cpuU8: Uint8Array = new Uint8Array(0);
  cpuF64: Float64Array = new Float64Array(0);

  slabPfn = new Uint32Array(16);
  /** Objects not free: live, or waiting for RCU. */
  slabInuse = new Int32Array(16);
  /** First object of the slab's free list (-1: none). */
  slabFree = new Int32Array(16);
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

  /**
   * Per object: its state (OBJ_FREE, OBJ_LIVE, OBJ_RCU) in the low 2 bits, the order of the pages it describes in
   * the next 4 and their memory use above (META_ORDER_SHIFT, META_USE_SHIFT), one load on the free path.
   */
  objMeta = new Uint16Array(0);
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
  f64: Float64Array[] = [];

  constructor(o: SlabCacheOptions) {
    // `| 0` keeps the integer fields small integers in V8, so the hot paths do integer arithmetic on them.
    this.id = o.id | 0;
    this.name = o.name;
    this.kind = o.kind;
    this.variant = o.variant;
    this.objectSize = o.objectSize | 0;
    this.size = o.size | 0;
    this.invSize = 1 / o.size;
    this.invObjects = 1 / o.objects;
    this.emptyInuse = o.selfHosting ? 1 : 0;
    this.minPartial = Math.min(10, Math.max(5, Math.floor(Math.floor(Math.log2(o.size)) / 2))) | 0;
    this.order = o.order | 0;
    this.objects = o.objects | 0;
    this.slabBytes = (4096 << o.order) | 0;
    this.backed = o.backed;
    this.typesafeByRcu = o.typesafeByRcu;
    this.freeptrOffset = o.freeptrOffset | 0;
    this.pfnOffset = o.pfnOffset | 0;
    this.pfnSize = o.pfnSize | 0;
    this.selfHosting = o.selfHosting;
    this.address = o.address;
    this.layout = o.layout;
    let shift = 0;
    while (this.slabBytes * 2 ** (shift + 1) <= CHUNK_BYTES) shift++;
    this.chunkShift = shift;
    this.chunkMask = ((1 << shift) - 1) | 0;
    this.objectAt = new Int16Array(o.backed ? this.slabBytes >>> 4 : 0).fill(-1);
    if (o.backed)
      for (let i = 0; i < this.objects; i++)
        if ((i * this.size) % 16 === 0) this.objectAt[(i * this.size) >>> 4] = i;
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

  /** Object `o`'s state: OBJ_FREE, OBJ_LIVE or OBJ_RCU. */
  stateOf(o: number): number {
    return this.objMeta[o]! & 3;
  }

  /** The order of the pages live (or RCU-waiting) object `o` describes. */
  orderOf(o: number): number {
    return (this.objMeta[o]! >>> META_ORDER_SHIFT) & 15;
  }

  /** The memory use index of the pages live (or RCU-waiting) object `o` describes. */
  useOf(o: number): number {
    return this.objMeta[o]! >>> META_USE_SHIFT;
  }

  /** The PFN object `o` keeps in its way-back field (its memory's first page). */
  pfnOf(o: number): number {
    const j = this.slabOf(o);
    const x =
      ((j & this.chunkMask) * this.slabBytes + (o - j * this.objects) * this.size + this.pfnOffset) >>> 2;
    return this.u32[j >>> this.chunkShift]![x]!;
  }

  /** Writes object `o`'s way-back field: the PFN of its memory (an `unsigned long`; simulated PFNs are below 2^28). */
  setPfn(o: number, pfn: number): void {
    const j = this.slabOf(o);
    const x =
      ((j & this.chunkMask) * this.slabBytes + (o - j * this.objects) * this.size + this.pfnOffset) >>> 2;
    const u = this.u32[j >>> this.chunkShift]!;
    u[x] = pfn;
    if (this.pfnSize === 8) u[x + 1] = 0;
  }

  /** The slab of object number `o`. */
  slabOf(o: number): number {
    return (o * this.invObjects + 1e-7) | 0;
  }

  /**
   * `get_freepointer()`: the object number the free pointer of free object `o` (of slab `j`) points at, -1 for
   * NULL. The pointer is the next object's direct-map address, as SLUB stores it.
   */
  freepointer(j: number, o: number): number {
    const j0 = j * this.objects;
    const x = ((j & this.chunkMask) * this.slabBytes + (o - j0) * this.size + this.freeptrOffset) >>> 2;
    const u = this.u32[j >>> this.chunkShift]!;
    const lo = u[x]!;
    const hi = u[x + 1]!;
    if (lo === 0 && hi === 0) return -1;
    return j0 + (((lo + hi * TWO32 - DIRECT_MAP_BASE - this.slabPfn[j]! * 4096) * this.invSize + 1e-7) | 0);
  }

  /** `set_freepointer()`: points free object `o` of slab `j` at object `next` of the same slab (-1: NULL). */
  setFreepointer(j: number, o: number, next: number): void {
    const j0 = j * this.objects;
    const x = ((j & this.chunkMask) * this.slabBytes + (o - j0) * this.size + this.freeptrOffset) >>> 2;
    const u = this.u32[j >>> this.chunkShift]!;
    if (next < 0) {
      u[x] = 0;
      u[x + 1] = 0;
    } else {
      const pfn = this.slabPfn[j]!;
      u[x] = ((pfn << 12) + (next - j0) * this.size) | 0;
      u[x + 1] = DIRECT_MAP_HI + (pfn >>> 20);
    }
  }

  /**
   * `slab_alloc_node()`'s fast path: pops `c->freelist` (reading the next pointer from the object's bytes);
   * -1 when it is empty. The object is in the CPU slab.
   */
  cpuPop(): number {
    const o = this.cpuFreelist;
    if (o < 0) return -1;
    const x = (this.cpuByte0 + (o - this.cpuObj0) * this.size + this.freeptrOffset) >>> 2;
    // A slab's objects share their address's high half (nonzero in the direct map), so NULL is a zero high half
    // and the low half alone gives the object.
    this.cpuFreelist =
      this.cpuU32[x + 1] === 0
        ? -1
        : this.cpuObj0 + this.objectAt[((this.cpuI32[x]! - this.cpuLo0s) | 0) >>> 4]!;
    return o;
  }

  /** `do_slab_free()`'s fast path: a list `head`..`tail` of the CPU slab's objects onto `c->freelist`. */
  cpuPush(head: number, tail: number): void {
    this.setFreepointer(this.cpuSlab, tail, this.cpuFreelist);
    this.cpuFreelist = head;
  }

  /**
   * `allocate_slab()`'s freelist: objects `first`.. of a new slab `j`, each pointing at the next, the last at
   * NULL; `slab->freelist` is the first.
   */
  buildFreelist(j: number, first: number): void {
    const u = this.u32[j >>> this.chunkShift]!;
    const byte0 = (j & this.chunkMask) * this.slabBytes + this.freeptrOffset;
    const base = DIRECT_MAP_BASE + this.slabPfn[j]! * 4096;
    const hi = Math.floor(base / TWO32);
    // Objects of a slab share the high half of their addresses (a slab is at most 2^14 pages, aligned).
    const lo0 = base - hi * TWO32;
    for (let i = first; i < this.objects - 1; i++) {
      const x = (byte0 + i * this.size) >>> 2;
      u[x] = lo0 + (i + 1) * this.size;
      u[x + 1] = hi;
    }
    if (first < this.objects) {
      const x = (byte0 + (this.objects - 1) * this.size) >>> 2;
      u[x] = 0;
      u[x + 1] = 0;
    }
    this.slabFree[j] = first < this.objects ? first : -1;
  }

  /** Makes slab `j` the CPU slab for the fast paths (the caller sets `cpuFreelist`). */
  setCpuSlab(j: number): void {
    this.cpuSlab = j;
    if (j < 0) {
      this.cpuFreelist = -1;
      return;
    }
    this.cpuObj0 = j * this.objects;
    this.cpuBase = DIRECT_MAP_BASE + this.slabPfn[j]! * 4096;
    this.cpuLo0 = (this.slabPfn[j]! << 12) >>> 0;
    this.cpuLo0s = this.slabPfn[j]! << 12;
    this.cpuHi = DIRECT_MAP_HI + (this.slabPfn[j]! >>> 20);
    this.cpuByte0 = (j & this.chunkMask) * this.slabBytes;
    this.cpuU32 = this.u32[j >>> this.chunkShift]!;
    this.cpuI32 = this.i32[j >>> this.chunkShift]!;
    this.cpuU8 = this.u8[j >>> this.chunkShift]!;
    this.cpuF64 = this.f64[j >>> this.chunkShift]!;
  }

  /** Makes sure the per-slab, per-object and backing arrays reach slab `n - 1`. */
  private ensureSlabs(n: number): void {
    if (n > this.slabPfn.length) {
      this.slabPfn = grown(this.slabPfn, n);
      this.slabInuse = grown(this.slabInuse, n);
      this.slabFree = grown(this.slabFree, n);
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
    if (objs > this.objMeta.length) this.objMeta = grown(this.objMeta, objs);
    const chunks = ((n - 1) >>> this.chunkShift) + 1;
    while (this.u8.length < chunks) {
      const buf = new ArrayBuffer((this.chunkMask + 1) * this.slabBytes);
      this.u8.push(new Uint8Array(buf));
      this.u32.push(new Uint32Array(buf));
      this.i32.push(new Int32Array(buf));
      this.f64.push(new Float64Array(buf));
    }
  }

  /** Bytes of backing memory this cache holds (its chunks). */
  get backingBytes(): number {
    return this.u8.length * (this.chunkMask + 1) * this.slabBytes;
  }
}
