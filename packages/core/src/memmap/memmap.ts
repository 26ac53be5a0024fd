import type { PictureInput } from "../bill/picture.js";
import { type MemoryUse, memoryUseNames } from "../bill/uses.js";
import { miscSubtypes } from "../design/builtin.js";
import { MAX_PAGE_ORDER, PAGE_SIZE as pageSize } from "../kernel/constants.js";
import { fieldsByPath } from "../layout/fields.js";
import type { Layout } from "../layout/types.js";
import type { AnyDescriptor } from "../plugin/define.js";
import type { Registry } from "../registry/registry.js";
import { BuddyAllocator } from "./buddy.js";
import { hex, MemmapError } from "./errors.js";
import { grown } from "./grow.js";
import type { SimulationHooks, SimulationMachine, SlabGeometryRequest, SlabGeometryResult } from "./hooks.js";
import { PerCpuPages } from "./pcp.js";
import { Rcu, type RcuSink, RCU_SLAB as rcuSlab } from "./rcu.js";
import {
  DIRECT_MAP_BASE as directMapBase,
  DIRECT_MAP_HI as directMapHi,
  META_ORDER_SHIFT as metaOrderShift,
  META_USE_SHIFT as metaUseShift,
  OBJ_FREE as objFree,
  OBJ_LIVE as objLive,
  OBJ_RCU as objRcu,
  SlabCache,
  SLAB_ACTIVE as slabActive,
  SLAB_DYING as slabDying,
} from "./slab-cache.js";

// Imported bindings are live: optimized code reloads and checks them at every use. Module-level constants fold.
const PAGE_SIZE = pageSize;
const RCU_SLAB = rcuSlab;
const DIRECT_MAP_BASE = directMapBase;
const DIRECT_MAP_HI = directMapHi;
const META_ORDER_SHIFT = metaOrderShift;
const META_USE_SHIFT = metaUseShift;
const OBJ_FREE = objFree;
const OBJ_LIVE = objLive;
const OBJ_RCU = objRcu;
const SLAB_ACTIVE = slabActive;
const SLAB_DYING = slabDying;

/**
 * Where descriptors live: the x86-64 direct map, PAGE_OFFSET 0xffff888000000000 without its sign-extension bits
 * so every address is an exact double. A descriptor's address is its slab page's direct-map address plus its
 * offset in the slab, as `page_address(slab) + i * s->size` is in the kernel.
 */
export { DIRECT_MAP_BASE };
/** Simulated `struct kmem_cache` addresses: static, like the kernel's boot caches (they are not descriptors). */
export const KMEM_CACHE_BASE = 0x820000000000;
const KMEM_CACHE_STRIDE = 512;
/** The most PFNs a memmap models: 2^28 pages, 1 TiB of 4 KiB pages. */
export const MAX_MEMMAP_PAGES = 2 ** 28;
/** Use index of pages that hold descriptors (slab pages of descriptor caches): the metadata itself. */
const USE_META = 255;
const TWO32 = 4294967296;
const INV_PAGE_SIZE = 1 / PAGE_SIZE;
/** PFNs per leaf of the table that finds a descriptor slab from a PFN. */
const LEAF_SHIFT = 6;
const LEAF = 1 << LEAF_SHIFT;
/** `sysctl_stat_interval`: vmstat's work runs once a second (simulated ms). */
const VMSTAT_INTERVAL = 1000;

export interface MemmapOptions {
  /** Pages of RAM (4 KiB each), at most 2^28. */
  readonly pages: number;
  /** NUMA nodes; the PFN range is split evenly on MAX_PAGE_ORDER boundaries (default 1). */
  readonly nodes?: number;
  /** The buddy allocator's largest order (default MAX_PAGE_ORDER, 10). */
  readonly maxOrder?: number;
  /** CPUs, for SLUB's objects-per-slab minimum (default 64). */
  readonly nrCpus?: number;
  /** Length of an RCU grace period in simulated ms (default 10). */
  readonly gracePeriod?: number;
}

/** What `lookup(pfn)` finds. */
export interface PageInfo {
  readonly pfn: number;
  readonly node: number;
  readonly state: "free" | "allocated";
  readonly kind: string;
  readonly tag: number;
  /** The descriptor the word points at (pointer kinds). */
  readonly descriptor?: number;
  readonly headPfn: number;
  readonly order: number;
  /** The memory use the allocation was made for. */
  readonly use?: MemoryUse | "memdesc";
  /** For slab pages: the cache the slab belongs to. */
  readonly cache?: string;
  /** For Misc pages: the subtype's name. */
  readonly subtype?: string;
  /** For free pages: true when the block is on a per-CPU list (`per_cpu_pages`) rather than in buddy's lists. */
  readonly pcp?: boolean;
}

/** The descriptor memory of one cache: what the memdesc design's descriptors cost in slab pages. */
export interface CacheMemory {
  readonly name: string;
  readonly kind: string;
  readonly variant: string;
  readonly objectSize: number;
  /** `s->size`. */
  readonly stride: number;
  readonly order: number;
  readonly objectsPerSlab: number;
  readonly slabs: number;
  readonly slabPages: number;
  readonly liveObjects: number;
  /** Freed objects waiting for a grace period (SLAB_TYPESAFE_BY_RCU). */
  readonly rcuObjects: number;
  /** `liveObjects × objectSize`. */
  readonly usedBytes: number;
  /** `slabPages × PAGE_SIZE`. */
  readonly allocatedBytes: number;
}

export interface DescriptorMemory {
  readonly caches: readonly CacheMemory[];
  readonly slabPages: number;
  readonly usedBytes: number;
  readonly allocatedBytes: number;
  /** Share of the descriptor slab pages not holding a live descriptor: partial slabs, RCU-waiting objects, waste. */
  readonly fragmentation: number;
}

interface KindInfo {
  readonly name: string;
  readonly index: number;
  readonly tag: number;
  readonly storage: "pointer" | "inline";
  readonly hooks: SimulationHooks | undefined;
  /** The cache that holds this kind's descriptors for each order (by variant). */
  readonly byOrder: (SlabCache | undefined)[];
  /** `byOrder[0]`, what most allocations use (undefined for inline kinds). */
  cache0: SlabCache | undefined;
  /** `hooks.init`. */
  readonly init: SimulationHooks["init"];
  readonly caches: SlabCache[];
  readonly use: number;
  /** Scratch space for the kind's hooks on this memmap (field offsets they look up once). */
  readonly state: Record<string, unknown>;
}

interface FieldInfo {
  readonly offset: number;
  readonly size: number;
  readonly bitOffset: number;
  readonly bitSize: number;
  readonly signed: boolean;
  readonly path: string;
}

const signedType =
  /^(signed |)(char|short|int|long|long long|s8|s16|s32|s64|atomic_t|atomic_long_t|atomic64_t)$/;

/**
 * SLUB's geometry when no plugin gives one: the smallest order holding at least 8 objects (or one) with at most
 * 1/8 of the slab wasted, up to PAGE_ALLOC_COSTLY_ORDER. The slab plugin replaces it with calculate_order().
 */
function fallbackGeometry(req: SlabGeometryRequest, m: SimulationMachine): SlabGeometryResult {
  const size = Math.ceil(req.objectSize / req.align) * req.align;
  for (let order = 0; order <= Math.min(3, m.maxOrder); order++) {
    const bytes = m.pageSize * 2 ** order;
    const objects = Math.floor(bytes / size);
    if (objects >= 8 && bytes - objects * size <= bytes / 8) return { size, order, objects };
  }
  let order = 0;
  while (m.pageSize * 2 ** order < size) order++;
  return { size, order, objects: Math.floor((m.pageSize * 2 ** order) / size) };
}

/**
 * The simulated physical memory of a registry: one memdesc word per PFN in a typed array, encoded in the
 * registry's design (the entry's bytes per page, so memdesc-8 pays 8 bytes a page); a per-node buddy allocator
 * keeping its data in the words, behind per-CPU page lists (`per_cpu_pages`); descriptors as real bytes at their
 * layout's offsets in slab caches (one per kind and variant, each with a CPU slab, `kmem_cache_cpu`) whose slab
 * pages come from the page allocator and are described by `struct slab` descriptors from the struct-slab cache,
 * which hosts its own; and RCU for SLAB_TYPESAFE_BY_RCU frees, run in batches (`kmem_cache_free_bulk`).
 *
 * One simulated CPU, on node 0, does all the work, so the per-CPU structures are single: what a CPU's fast
 * paths do is modelled exactly, and other CPUs' (remote frees, their own lists) are not.
 *
 * Handles are numbers: descriptor addresses (`0` is NULL) and PFNs (`-1`: none), so the allocation paths
 * allocate no JavaScript objects.
 */
export class Memmap implements RcuSink {
  readonly registry: Registry<readonly AnyDescriptor[]>;
  readonly pages: number;
  readonly nodes: number;
  readonly maxOrder: number;
  readonly nrCpus: number;
  /** u32 halves per page entry (entryBytes / 4); the word is the first two. */
  readonly stride: number;
  readonly words: Uint32Array;
  readonly buddy: BuddyAllocator;
  /** The page allocator's per-CPU front end: every page allocation and free goes through it. */
  readonly pcp: PerCpuPages;
  readonly rcu: Rcu;
  /** Bytes of the direct map: descriptor addresses lie below `DIRECT_MAP_BASE + limit`. */
  private readonly limit: number;
  /** Every cache: the struct-slab cache first, then the descriptor caches, then workload caches. */
  readonly caches: SlabCache[] = [];
  /** The struct-slab cache (`kmem_cache` of struct slab), which holds its own slabs' descriptors. */
  readonly slabCache: SlabCache;
  /** Allocations that failed (no memory). */
  allocFailures = 0;

  readonly buddyTag: number;
  readonly miscTag: number;
  readonly slabTag: number;
  readonly tailLo: number;
  /** The `pcp` bit of a buddy word's low half, and where its order sits. */
  readonly pcpBit: number;
  readonly orderShift: number;
  private readonly typeMask: number;
  private readonly kinds: KindInfo[];
  private readonly kindByName = new Map<string, KindInfo>();
  /** The kind `memdescAllocNode()` was last asked for. */
  private lastKind: KindInfo;
  private readonly tagKind: Int16Array;
  private readonly useIndex = new Map<string, number>();
  readonly usePages: Float64Array;
  readonly useDescriptors: Float64Array;
  /** `useOrders[use * (maxOrder + 1) + order]`: descriptors by order. */
  readonly useOrders: Float64Array;
  /** The three above are views of this one array (pages, descriptors, orders), for the hot paths. */
  private readonly useStats: Float64Array;
  /** Where `useDescriptors` and `useOrders` start in `useStats`. */
  private readonly descsAt: number;
  private readonly ordersAt: number;
  /** Pages of descriptor caches' slabs (the descriptors' own memory). */
  metaPages = 0;
  private readonly dir: Int32Array;
  private leaves = new Uint32Array(LEAF * 16);
  private leafCount = 0;
  private readonly geometry: (req: SlabGeometryRequest, m: SimulationMachine) => SlabGeometryResult;
  private readonly fieldCache = new Map<SlabCache, Map<string, FieldInfo>>();
  private readonly slabCounters: number;
  private readonly slabFreelist: number;
  private readonly slabCacheField: number;
  private readonly miscWords = new Map<number, number>();
  private readonly miscUses: number[] = [];

  // The last descriptor located: its cache, object number, slab, and bytes.
  private lc!: SlabCache;
  private lo = 0;
  private lj = 0;
  private lu32!: Uint32Array;
  private lu8!: Uint8Array;
  private lbyte = 0;
  /** The byte offset of the last object located in its slab. */
  private loff = 0;
  /** A live descriptor whose location the `l*` fields hold, so repeated field accesses skip the lookup. */
  private ld = 0;
  /**
   * The descriptor slab `locate()` last found, a one-entry TLB: its cache, number, first PFN, and the address
   * range of its pages (empty: none).
   */
  private lpCache!: SlabCache;
  private lpSlab = 0;
  private lpPfn = 0;
  private lpBase = 0.5;
  private lpEnd = 0.5;
  /** When vmstat next decays the per-CPU lists (simulated ms). */
  private nextVmstat = VMSTAT_INTERVAL;

  /** Use `createMemmap()`, which takes a registry of any plugin tuple. */
  constructor(registry: Registry<readonly AnyDescriptor[]>, options: MemmapOptions) {
    this.registry = registry;
    const design = registry.design;
    if (design.typeBits === 0)
      throw new MemmapError(
        "NO_WORD",
        `design ${design.name} has no memdesc word to simulate (descriptors overlay struct page); bill a simulated picture under it instead`,
      );
    if (design.wordBits !== 64 || design.entryBytes % 4 !== 0)
      throw new MemmapError(
        "NO_WORD",
        `the simulator models 64-bit words in whole u32s; design ${design.name} has ${design.wordBits}-bit words in ${design.entryBytes}-byte entries`,
      );
    const pages = options.pages;
    if (!Number.isInteger(pages) || pages < 1 || pages > MAX_MEMMAP_PAGES)
      throw new MemmapError(
        "BAD_OPTIONS",
        `pages must be a whole number from 1 to 2^28 (1 TiB), not ${pages}`,
      );
    const maxOrder = options.maxOrder ?? MAX_PAGE_ORDER;
    if (!Number.isInteger(maxOrder) || maxOrder < 0 || maxOrder > 14)
      throw new MemmapError(
        "BAD_OPTIONS",
        `maxOrder must be 0..14 (the buddy word has 4 order bits), not ${maxOrder}`,
      );
    const nodes = options.nodes ?? 1;
    const block = 2 ** maxOrder;
    if (!Number.isInteger(nodes) || nodes < 1 || nodes > 64 || nodes * block > pages)
      throw new MemmapError(
        "BAD_OPTIONS",
        `nodes must be 1..64 with at least one order-${maxOrder} block (${block} pages) each; ${pages} pages cannot have ${nodes}`,
      );
    this.pages = pages | 0;
    this.limit = pages * PAGE_SIZE;
    this.nodes = nodes | 0;
    this.maxOrder = maxOrder | 0;
    this.nrCpus = (options.nrCpus ?? 64) | 0;
    this.stride = (design.entryBytes / 4) | 0;
    this.typeMask = ((1 << design.typeBits) - 1) | 0;

    // The buddy word: order and tail bit in the low half, free-list slot in the high half.
    const payload = registry.plugin("buddy").payload ?? [];
    const field = (name: string) => payload.find((f) => f.name === name);
    const order = field("order");
    const tail = field("tail");
    const pcpBit = field("pcp");
    const slot = field("slot");
    if (
      !order ||
      order.bit + order.width > 32 ||
      order.width < 4 ||
      !tail ||
      tail.bit >= 32 ||
      !pcpBit ||
      pcpBit.bit >= 32 ||
      !slot ||
      slot.bit !== 32 ||
      slot.width !== 32
    )
      throw new MemmapError(
        "BUDDY_PAYLOAD",
        "the buddy word needs inline fields order (low half, 4 bits), tail and pcp (low half) and slot (bits 32-63)",
      );
    this.buddyTag = registry.tagOf("buddy")!;
    this.miscTag = registry.tagOf("misc")!;
    this.tailLo = (this.buddyTag | (1 << tail.bit)) >>> 0;

    this.kinds = registry.kinds.map((name, index) => {
      const p = registry.plugin(name);
      const use = p.uses[0] ?? p.fallbackUses[0] ?? "kernel";
      const info: KindInfo = {
        name,
        index,
        tag: registry.tagOf(name)!,
        storage: p.storage,
        hooks: p.simulation,
        byOrder: [],
        cache0: undefined,
        init: p.simulation?.init,
        caches: [],
        use: memoryUseNames.indexOf(use),
        state: {},
      };
      this.kindByName.set(name, info);
      return info;
    });
    this.lastKind = this.kinds[0]!;
    this.tagKind = new Int16Array(2 ** design.typeBits).fill(-1);
    for (const k of this.kinds) this.tagKind[k.tag] = k.index;
    for (const [i, u] of memoryUseNames.entries()) this.useIndex.set(u, i);
    const uses = memoryUseNames.length;
    this.useStats = new Float64Array(uses * (maxOrder + 3));
    this.descsAt = uses;
    this.ordersAt = 2 * uses;
    this.usePages = this.useStats.subarray(0, uses);
    this.useDescriptors = this.useStats.subarray(uses, 2 * uses);
    this.useOrders = this.useStats.subarray(2 * uses);

    const slabKind = this.kindByName.get("slab");
    if (slabKind?.storage !== "pointer")
      throw new MemmapError(
        "NO_SLAB_KIND",
        "the memmap keeps descriptors in slab caches, whose pages need struct slab: compose a slab plugin (@memdesc/slab)",
      );
    this.slabTag = slabKind.tag;

    // Every page starts free: tails everywhere, then the blocks' first pages.
    this.words = new Uint32Array(pages * this.stride);
    if (this.stride === 2) {
      const pattern = new Float64Array(new Uint32Array([this.tailLo, 0]).buffer)[0]!;
      new Float64Array(this.words.buffer).fill(pattern);
    } else for (let p = 0; p < pages; p++) this.words[p * this.stride] = this.tailLo;
    const starts: number[] = [];
    for (let n = 0; n < nodes; n++) starts.push(Math.floor((n * pages) / nodes / block) * block);
    starts.push(pages);
    this.buddy = new BuddyAllocator(
      this.words,
      this.stride,
      { tag: this.buddyTag, orderShift: order.bit, tailLo: this.tailLo },
      starts,
      maxOrder,
    );
    for (let n = 0; n < nodes; n++) this.buddy.freeBootRange(n, starts[n]!, starts[n + 1]!);
    this.pcp = new PerCpuPages(
      this.buddy,
      this.words,
      this.stride,
      { tag: this.buddyTag, orderShift: order.bit, pcpShift: pcpBit.bit, tailLo: this.tailLo },
      this.nrCpus,
    );
    this.pcpBit = 1 << pcpBit.bit;
    this.orderShift = order.bit | 0;
    this.dir = new Int32Array(Math.ceil(pages / LEAF));
    this.rcu = new Rcu(options.gracePeriod ?? 10, this);

    const geometryHook = registry.plugins.find((p) => p.simulation?.slabGeometry)?.simulation?.slabGeometry;
    this.geometry = geometryHook ?? fallbackGeometry;

    // The struct-slab cache first (kmem_cache_init's boot cache), then one cache per descriptor kind and variant.
    this.slabCache = this.createDescriptorCache(
      slabKind,
      "default",
      registry.memdescLayouts("slab").default,
      true,
    );
    for (let o = 0; o <= maxOrder; o++) slabKind.byOrder[o] = this.slabCache;
    slabKind.cache0 = this.slabCache;
    for (const k of this.kinds) {
      if (k.storage !== "pointer" || k === slabKind) continue;
      const layouts = registry.memdescLayouts(name(k));
      const byVariant = new Map<string, SlabCache>();
      for (let o = 0; o <= maxOrder; o++) {
        const v = registry.descriptorSize(name(k), o)?.variant;
        if (v === undefined) continue;
        let cache = byVariant.get(v);
        if (!cache) {
          cache = this.createDescriptorCache(k, v, layouts[v], false);
          byVariant.set(v, cache);
        }
        k.byOrder[o] = cache;
        if (o === 0) k.cache0 = cache;
      }
    }
    const slabLayout = this.slabCache.layout;
    const off = (p: string) => (slabLayout ? (fieldsByPath(slabLayout).get(p)?.offset ?? -1) : -1);
    this.slabCounters = off("counters");
    this.slabFreelist = off("freelist");
    this.slabCacheField = off("slab_cache");
    this.bootstrapSlabCache();
  }

  // ---------------------------------------------------------------------------------------------------------
  // Kinds and caches

  /** The registry's kinds, by index (`kindId`), for the number-only allocation path. */
  kindId(kind: string): number {
    return this.kindInfo(kind).index;
  }

  /** Scratch space the kind's hooks keep on this memmap (what `init` gets as `state`). */
  kindState(kind: string): Record<string, unknown> {
    return this.kindInfo(kind).state;
  }

  /** The simulation hooks of a kind's plugin. */
  hooksOf(kind: string): SimulationHooks | undefined {
    return this.kindInfo(kind).hooks;
  }

  /** The cache holding a kind's descriptors for allocations of `order`. */
  cacheFor(kind: string, order = 0): SlabCache {
    const k = this.kindInfo(kind);
    const c = k.byOrder[order];
    if (!c)
      throw new MemmapError(
        k.storage === "inline" ? "INLINE_KIND" : "BAD_ORDER",
        k.storage === "inline"
          ? `kind ${kind} is stored inline in the word; it has no descriptors`
          : `order ${order} is outside 0..${this.maxOrder}`,
      );
    return c;
  }

  private kindInfo(kind: string): KindInfo {
    const k = this.kindByName.get(kind);
    if (!k)
      throw new MemmapError(
        "UNKNOWN_KIND",
        `no kind "${kind}" in this registry (kinds: ${this.registry.kinds.join(", ")})`,
      );
    return k;
  }

  private createDescriptorCache(
    k: KindInfo,
    variant: string,
    layout: Layout | undefined,
    selfHosting: boolean,
  ): SlabCache {
    const align = this.registry.design.descriptorAlign;
    if (!layout)
      throw new MemmapError(
        "UNKNOWN_KIND",
        `kind ${k.name} has no memdesc-era layout for variant ${variant}`,
      );
    const objectSize = Math.ceil(layout.size / align) * align;
    const fp = k.hooks?.freePointer;
    let freeptrOffset = 8;
    if (fp !== undefined) {
      const f = fieldsByPath(layout).get(fp);
      if (!f || f.offset % 8 !== 0 || f.offset + 8 > objectSize)
        throw new MemmapError(
          "UNKNOWN_FIELD",
          `kind ${k.name}: freePointer names ${fp}, which is not an 8-byte-aligned field of ${variant}`,
        );
      freeptrOffset = f.offset;
    }
    const name = variant === "default" ? k.name : `${k.name}_${variant}`;
    const geo = this.geometry(
      { name, objectSize, align, typesafeByRcu: true, freeptrOffset },
      { nrCpus: this.nrCpus, maxOrder: this.maxOrder, pageSize: PAGE_SIZE },
    );
    const cache = this.addCache(
      name,
      k.name,
      variant,
      objectSize,
      geo,
      true,
      true,
      freeptrOffset,
      selfHosting,
      layout,
    );
    cache.tag = k.tag;
    k.caches.push(cache);
    return cache;
  }

  private addCache(
    name: string,
    kind: string | undefined,
    variant: string,
    objectSize: number,
    geo: SlabGeometryResult,
    backed: boolean,
    typesafeByRcu: boolean,
    freeptrOffset: number,
    selfHosting: boolean,
    layout: Layout | undefined,
  ): SlabCache {
    if (
      geo.order > this.maxOrder ||
      geo.objects < 1 ||
      geo.size < objectSize ||
      geo.objects * geo.size > PAGE_SIZE * 2 ** geo.order
    )
      throw new MemmapError(
        "BAD_OPTIONS",
        `cache ${name}: slab geometry ${JSON.stringify(geo)} does not hold ${objectSize}-byte objects within order ${this.maxOrder}`,
      );
    if (selfHosting && geo.objects < 2)
      throw new MemmapError(
        "BAD_OPTIONS",
        `cache ${name} must hold at least two objects per slab to host its own struct slab`,
      );
    const id = this.caches.length;
    if (id >= 255) throw new MemmapError("SLAB_LIMIT", "at most 255 slab caches");
    const cache = new SlabCache({
      id,
      name,
      kind,
      variant,
      objectSize,
      size: geo.size,
      order: geo.order,
      objects: geo.objects,
      backed,
      typesafeByRcu,
      freeptrOffset,
      selfHosting,
      address: KMEM_CACHE_BASE + id * KMEM_CACHE_STRIDE,
      layout,
    });
    this.caches.push(cache);
    return cache;
  }

  /**
   * `kmem_cache_create()` for a workload cache (dentry, kmalloc-64): objects are counted, not stored, and its
   * slabs are described by struct slab descriptors like every other slab. Geometry from the slab plugin.
   */
  kmemCacheCreate(name: string, objectSize: number, align = 8): SlabCache {
    const existing = this.caches.find((c) => c.name === name && c.kind === undefined);
    if (existing) return existing;
    if (!Number.isInteger(objectSize) || objectSize < 1)
      throw new MemmapError(
        "BAD_OPTIONS",
        `cache ${name}: object size ${objectSize} is not a whole number ≥ 1`,
      );
    const geo = this.geometry(
      { name, objectSize, align, typesafeByRcu: false },
      { nrCpus: this.nrCpus, maxOrder: this.maxOrder, pageSize: PAGE_SIZE },
    );
    return this.addCache(name, undefined, "default", objectSize, geo, false, false, 0, false, undefined);
  }

  /**
   * The bootstrap (kmem_cache_init's boot caches): the struct-slab cache's first slab cannot get its struct slab
   * from a cache that has no slab yet, so it takes its own first object. Every later slab of that cache does the
   * same, so the cache never needs itself to grow; every other cache's slabs get their struct slab from it. The
   * first slab becomes the cache's CPU slab.
   */
  private bootstrapSlabCache(): void {
    const j = this.newSlab(this.slabCache, -1);
    if (j < 0)
      throw new MemmapError(
        "BAD_OPTIONS",
        `${this.pages} pages cannot hold the first slab of the struct-slab cache`,
      );
    this.freezeSlab(this.slabCache, j);
  }

  // ---------------------------------------------------------------------------------------------------------
  // Slab machinery (mm/slub.c)

  /**
   * `new_slab()` → `allocate_slab()`: a struct slab from the struct-slab cache (or the slab's own first object,
   * for that cache), the slab's pages from the page allocator, their words pointing at the struct slab, and for a
   * descriptor cache its freelist threaded through every free object. The slab is on no list; the caller freezes
   * it as the CPU slab or adds it to the partial list. Returns its number, or -1 when memory is out.
   */
  private newSlab(cache: SlabCache, nid: number): number {
    const S = this.slabCache;
    const n = 2 ** cache.order;
    let so = -1;
    if (!cache.selfHosting) {
      so = this.cacheAlloc(S, nid);
      if (so < 0) return -1;
    }
    const pfn = this.pcp.allocPages(cache.order, nid);
    if (pfn < 0) {
      if (so >= 0) this.cacheFreeNow(S, so);
      return -1;
    }
    const j = cache.takeSlabId(pfn);
    if (j >= 2 ** 24) throw new MemmapError("SLAB_LIMIT", `cache ${cache.name} has 2^24 slabs`);
    if (cache.selfHosting) {
      so = j * cache.objects;
      cache.liveObjects++;
      cache.slabInuse[j] = 1;
    }
    if (cache.backed) {
      cache.buildFreelist(j, cache.emptyInuse);
      this.mapSlab(pfn, cache.order, cache.id, j);
      this.metaPages += n;
    } else this.count(this.useIndex.get("slab")!, n, cache.order, 1);
    // The struct slab: its pages, then the slab pages' words.
    const sj = S.slabOf(so);
    const si = so - sj * S.objects;
    S.objPfn[so] = pfn;
    S.objMeta[so] =
      OBJ_LIVE |
      (cache.order << META_ORDER_SHIFT) |
      ((cache.backed ? USE_META : this.useIndex.get("slab")!) << META_USE_SHIFT);
    const sdesc = S.objectAddress(DIRECT_MAP_BASE, sj, si);
    const sbyte = S.byteOffset(sj, si);
    S.u8[sj >>> S.chunkShift]!.fill(0, sbyte, sbyte + S.objectSize);
    cache.slabDesc[j] = sdesc;
    cache.slabDescObj[j] = so;
    cache.slabDescChunk[j] = sj >>> S.chunkShift;
    cache.slabDescByte[j] = sbyte;
    this.writePointerWords(pfn, n, this.slabTag, sdesc);
    if (this.slabCacheField >= 0)
      this.put64(S.u32[sj >>> S.chunkShift]!, sbyte + this.slabCacheField, cache.address);
    this.mirrorSlab(cache, j);
    return j;
  }

  /**
   * Writes a slab's counters (`inuse`, `objects`, `frozen`) and `freelist` into its struct slab, as SLUB keeps
   * them there: when a slab is created, frozen, unfrozen or deactivated, and on a free outside the CPU slab.
   */
  private mirrorSlab(cache: SlabCache, j: number): void {
    if (this.slabCounters < 0) return;
    const u = this.slabCache.u32[cache.slabDescChunk[j]!]!;
    const b = cache.slabDescByte[j]!;
    const frozen = j === cache.cpuSlab ? 0x80000000 : 0;
    u[(b + this.slabCounters) >>> 2] = (cache.slabInuse[j]! | (cache.objects << 16) | frozen) >>> 0;
    if (this.slabFreelist >= 0) {
      const f = cache.slabFree[j]!;
      const x = (b + this.slabFreelist) >>> 2;
      if (f < 0) {
        u[x] = 0;
        u[x + 1] = 0;
      } else {
        const a = DIRECT_MAP_BASE + cache.slabPfn[j]! * PAGE_SIZE + f * cache.size;
        u[x] = a >>> 0;
        u[x + 1] = (a - (a >>> 0)) / 4294967296;
      }
    }
  }

  private put64(u: Uint32Array, byte: number, v: number): void {
    u[byte >>> 2] = v >>> 0;
    u[(byte >>> 2) + 1] = Math.floor(v / TWO32);
  }

  /**
   * `slab_alloc_node()`: an object from the CPU freelist (the fast path, which touches neither `struct slab` nor
   * any list), else `___slab_alloc()`. Returns its object number, in the CPU slab, or -1 when memory is out.
   */
  private cacheAlloc(cache: SlabCache, nid: number): number {
    let o = cache.cpuPop();
    if (o < 0) {
      o = this.slabAllocSlow(cache, nid);
      if (o < 0) return -1;
    }
    cache.objMeta[o] = OBJ_LIVE;
    cache.liveObjects++;
    return o;
  }

  /**
   * `___slab_alloc()`: the CPU freelist is empty. Objects freed into the CPU slab's own `freelist` meanwhile are
   * taken (`get_freelist()`); otherwise the full CPU slab is unfrozen onto no list, and a partial slab
   * (`get_partial()`) or a new one (`new_slab()`) is frozen as the CPU slab. Returns the popped object.
   */
  private slabAllocSlow(cache: SlabCache, nid: number): number {
    const j = cache.cpuSlab;
    if (j >= 0) {
      if (cache.slabFree[j]! >= 0) {
        cache.cpuFreelist = j * cache.objects + cache.slabFree[j]!;
        cache.slabFree[j] = -1;
        this.mirrorSlab(cache, j);
        return cache.cpuPop();
      }
      cache.setCpuSlab(-1);
      this.mirrorSlab(cache, j);
    }
    let k: number;
    if (cache.partialTop > 0) {
      k = cache.partial[cache.partialTop - 1]!;
      cache.removePartial(k);
    } else {
      k = this.newSlab(cache, nid);
      if (k < 0) return -1;
    }
    this.freezeSlab(cache, k);
    return cache.cpuPop();
  }

  /**
   * Freezes slab `j` as the CPU slab (`freeze_slab()`): its whole `freelist` moves to `c->freelist`, and its
   * struct slab says `freelist` NULL, `inuse` = objects, `frozen` 1 until it is unfrozen or deactivated.
   */
  private freezeSlab(cache: SlabCache, j: number): void {
    cache.setCpuSlab(j);
    const f = cache.slabFree[j]!;
    cache.cpuFreelist = f < 0 ? -1 : j * cache.objects + f;
    cache.slabFree[j] = -1;
    cache.slabInuse[j] = cache.objects;
    this.mirrorSlab(cache, j);
  }

  /**
   * `deactivate_slab()`: unfreezes the CPU slab, splicing `c->freelist` back onto the slab's `freelist` and taking
   * its length off `inuse`, writing the counters back; then the slab is discarded if empty, put on the partial
   * list if it has free objects, or left on no list if full.
   */
  private deactivateSlab(cache: SlabCache): void {
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
      const prior = cache.slabFree[j]!;
      cache.setFreepointer(j, tail, prior < 0 ? -1 : j * cache.objects + prior);
      cache.slabFree[j] = head - j * cache.objects;
      cache.slabInuse[j]! -= n;
    }
    this.mirrorSlab(cache, j);
    if (cache.slabInuse[j] === cache.emptyInuse && cache.partialTop >= cache.minPartial)
      this.discardSlab(cache, j);
    else if (cache.slabFree[j]! >= 0) cache.addPartial(j);
  }

  /**
   * `kmem_cache_shrink()`: flushes the CPU slab (`flush_all()` → `deactivate_slab()`), then discards every empty
   * slab on the partial list (`__kmem_cache_do_shrink()`), after a grace period for SLAB_TYPESAFE_BY_RCU.
   */
  kmemCacheShrink(cache: SlabCache): void {
    this.deactivateSlab(cache);
    for (let k = cache.partialTop - 1; k >= 0; k--) {
      const j = cache.partial[k]!;
      if (cache.slabInuse[j] !== cache.emptyInuse) continue;
      cache.removePartial(j);
      this.discardSlab(cache, j);
    }
  }

  /** `drain_all_pages()`: every page on the per-CPU lists back to the buddy allocator. */
  drainAllPages(): void {
    this.pcp.drainAll();
  }

  /**
   * Gives back everything cached rather than used: waits out RCU, `kmem_cache_shrink()`s every cache (the
   * struct-slab cache last, once the others' slabs have returned their struct slabs), waits again, and
   * `drain_all_pages()`. Afterwards only what is allocated (and the struct slabs of slabs holding it) is not free.
   */
  shrinkAll(): void {
    this.rcu.drain();
    for (const c of this.caches) if (c !== this.slabCache) this.kmemCacheShrink(c);
    this.rcu.drain();
    this.kmemCacheShrink(this.slabCache);
    this.rcu.drain();
    this.pcp.drainAll();
  }

  /** Returns an object nobody has seen (an allocation that failed half way) without waiting for RCU. */
  private cacheFreeNow(cache: SlabCache, o: number): void {
    this.ld = 0;
    cache.objMeta[o] = OBJ_FREE;
    cache.liveObjects--;
    this.doSlabFree(cache, cache.slabOf(o), o, o, 1);
  }

  /**
   * Frees a published object: descriptor caches are all SLAB_TYPESAFE_BY_RCU, so it waits in the RCU ring for a
   * grace period before the cache may hand it out again (still of its kind meanwhile; its order and use stay for
   * RCU readers' `descriptorPfn()`).
   */
  private cacheFree(cache: SlabCache, o: number): void {
    this.ld = 0;
    cache.liveObjects--;
    cache.objMeta[o] = (cache.objMeta[o]! & ~3) | OBJ_RCU;
    cache.rcuObjects++;
    this.rcu.deferObject(cache.id, o);
  }

  /**
   * @internal The RCU object bulk (RcuSink): `kmem_cache_free_bulk()` of frees whose grace period has ended.
   * Consecutive objects of one slab are linked into a detached freelist (`build_detached_freelist()`), written
   * through their free pointers, and each list is handed to its slab in one go (`do_slab_free()`).
   */
  rcuFreeBulk(cacheIds: Int32Array, objects: Int32Array, start: number, count: number, mask: number): void {
    let c = this.slabCache;
    let id = -1;
    let j = -1;
    let head = -1;
    let tail = -1;
    let n = 0;
    // The current slab: its first object, chunk, the free pointer's byte in object 0, and address halves.
    let j0 = 0;
    let u = c.u32[0]!;
    let byte0 = 0;
    let lo0 = 0;
    let hi = 0;
    let size = 0;
    for (let k = 0; k < count; k++) {
      const s = (start + k) & mask;
      const o = objects[s]!;
      if (cacheIds[s] === id && o >= j0 && o < j0 + c.objects) {
        c.objMeta[o] = OBJ_FREE;
        // set_freepointer(o, head): a slab's objects share their address's high half.
        const x = (byte0 + (o - j0) * size) >>> 2;
        u[x] = (lo0 + (head - j0) * size) | 0;
        u[x + 1] = hi;
        head = o;
        n++;
        continue;
      }
      if (n > 0) {
        c.rcuObjects -= n;
        this.doSlabFree(c, j, head, tail, n);
      }
      if (cacheIds[s] !== id) {
        id = cacheIds[s]!;
        c = this.caches[id]!;
        size = c.size;
      }
      c.objMeta[o] = OBJ_FREE;
      j = c.slabOf(o);
      j0 = j * c.objects;
      u = c.u32[j >>> c.chunkShift]!;
      byte0 = (j & c.chunkMask) * c.slabBytes + c.freeptrOffset;
      const pfn = c.slabPfn[j]!;
      lo0 = pfn << 12;
      hi = DIRECT_MAP_HI + (pfn >>> 20);
      head = o;
      tail = o;
      n = 1;
    }
    if (n > 0) {
      c.rcuObjects -= n;
      this.doSlabFree(c, j, head, tail, n);
    }
  }

  /** @internal A callback-ring entry (RcuSink): an emptied TYPESAFE_BY_RCU slab's deferred release. */
  rcuRun(type: number, a: number, b: number): void {
    if (type === RCU_SLAB) this.releaseSlab(this.caches[a]!, b);
  }

  /**
   * @internal Time moved on (RcuSink): vmstat's work (`vmstat_update`, every `sysctl_stat_interval`, 1 s) decays
   * the per-CPU lists' `high` and gives back what is above it.
   */
  rcuTick(now: number): void {
    if (now < this.nextVmstat) return;
    for (let k = 0; k < 64 && now >= this.nextVmstat; k++) {
      this.pcp.decayHigh();
      this.nextVmstat += VMSTAT_INTERVAL;
    }
    if (now >= this.nextVmstat) this.nextVmstat = Math.floor(now / VMSTAT_INTERVAL + 1) * VMSTAT_INTERVAL;
  }

  /**
   * `do_slab_free()`: a list `head`..`tail` of `count` objects of slab `j`. Objects of the CPU slab go onto the
   * CPU freelist (the fast path: no `struct slab` write); others take `__slab_free()`.
   */
  private doSlabFree(cache: SlabCache, j: number, head: number, tail: number, count: number): void {
    if (j === cache.cpuSlab) {
      cache.cpuPush(head, tail);
      return;
    }
    this.slabFreeSlow(cache, j, head, tail, count);
  }

  /**
   * `__slab_free()`: the list goes onto the slab's own `freelist` and `inuse` drops by its length, written into
   * the struct slab. A full slab that gets a free object joins the partial list; an empty one is discarded unless
   * the partial list has fewer than `min_partial` slabs, where it stays.
   */
  private slabFreeSlow(cache: SlabCache, j: number, head: number, tail: number, count: number): void {
    const j0 = j * cache.objects;
    const prior = cache.slabFree[j]!;
    if (cache.backed) cache.setFreepointer(j, tail, prior < 0 ? -1 : j0 + prior);
    cache.slabFree[j] = head - j0;
    const inuse = cache.slabInuse[j]! - count;
    cache.slabInuse[j] = inuse;
    this.mirrorSlab(cache, j);
    if (inuse === cache.emptyInuse && cache.partialTop >= cache.minPartial) {
      if (cache.slabPartialPos[j]! >= 0) cache.removePartial(j);
      this.discardSlab(cache, j);
    } else if (prior < 0) cache.addPartial(j);
  }

  /**
   * `discard_slab()`: an empty slab's pages go back. For SLAB_TYPESAFE_BY_RCU they wait one more grace period
   * (`rcu_free_slab`): a reader may still hold a pointer into them and must find objects of the same kind there.
   */
  private discardSlab(cache: SlabCache, j: number): void {
    if (cache.typesafeByRcu) {
      cache.slabState[j] = SLAB_DYING;
      this.rcu.defer(RCU_SLAB, cache.id, j);
    } else this.releaseSlab(cache, j);
  }

  /** Gives an empty slab's pages back to the page allocator and frees its struct slab. */
  private releaseSlab(cache: SlabCache, j: number): void {
    this.ld = 0;
    const pfn = cache.slabPfn[j]!;
    const n = 2 ** cache.order;
    if (cache.backed) {
      this.mapSlab(pfn, cache.order, -1, 0);
      this.metaPages -= n;
    } else this.count(this.useIndex.get("slab")!, -n, cache.order, -1);
    const so = cache.slabDescObj[j]!;
    if (cache.selfHosting) {
      // Its struct slab is inside it and goes with it.
      cache.objMeta[so] = OBJ_FREE;
      cache.liveObjects--;
    }
    this.pcp.freePages(pfn, cache.order);
    cache.releaseSlabId(j);
    if (!cache.selfHosting) this.cacheFree(this.slabCache, so);
  }

  /** Points the PFN → descriptor-slab table at slab `j` of cache `id` (or clears it with id -1). */
  private mapSlab(pfn: number, order: number, id: number, j: number): void {
    this.lpEnd = this.lpBase;
    const v = id < 0 ? 0 : ((id + 1) * 2 ** 24 + j) >>> 0;
    for (let p = pfn, end = pfn + 2 ** order; p < end; p++) {
      const d = p >>> LEAF_SHIFT;
      let leaf = this.dir[d]!;
      if (leaf === 0) {
        if (v === 0) continue;
        this.leaves = grown(this.leaves, (this.leafCount + 1) * LEAF);
        leaf = ++this.leafCount;
        this.dir[d] = leaf;
      }
      this.leaves[(leaf - 1) * LEAF + (p & (LEAF - 1))] = v;
    }
  }

  private count(use: number, pages: number, order: number, descriptors: number): void {
    this.usePages[use]! += pages;
    this.useDescriptors[use]! += descriptors;
    this.useOrders[use * (this.maxOrder + 1) + order]! += descriptors;
  }

  private writePointerWords(pfn: number, n: number, tag: number, address: number): void {
    const lo = ((address >>> 0) | tag) >>> 0;
    const hi = Math.floor(address / TWO32);
    const w = this.words;
    const st = this.stride;
    for (let x = pfn * st, end = (pfn + n) * st; x < end; x += st) {
      w[x] = lo;
      w[x + 1] = hi;
    }
  }

  // ---------------------------------------------------------------------------------------------------------
  // Locating descriptors

  /**
   * Finds the cache, object and bytes of a descriptor address, or throws BAD_DESCRIPTOR: `virt_to_slab()`, with
   * the PFN → slab table standing for the slab page's word and struct slab, and the last page found remembered.
   * Sets the `l*` fields rather than returning an object, so the hot paths allocate nothing.
   */
  private locate(desc: number): void {
    const o = this.locateObject(desc);
    const c = this.lpCache;
    const j = this.lpSlab;
    this.lc = c;
    this.lj = j;
    this.lo = o;
    this.lu32 = c.u32[j >>> c.chunkShift]!;
    this.lu8 = c.u8[j >>> c.chunkShift]!;
    this.lbyte = c.byteOffset(j, o - j * c.objects);
  }

  /**
   * `locate()` without the bytes: the object number of `desc`; its cache, slab and the slab's first PFN are
   * `lpCache`, `lpSlab` and `lpPfn`, its byte offset in the slab `loff`.
   */
  private locateObject(desc: number): number {
    this.ld = 0;
    // The slab last found covers most lookups (objects are freed near where others were): two compares.
    if (!(desc >= this.lpBase && desc < this.lpEnd)) this.findSlab(desc);
    const c = this.lpCache;
    const off = desc - this.lpBase;
    const offI = off | 0;
    // The object starting there, if one does (16-byte aligned, an integer).
    const i = c.objectAt[offI >>> 4]!;
    if (i < 0 || (offI & 15) !== 0 || offI !== off) this.badDescriptor(desc);
    this.loff = offI;
    return this.lpSlab * c.objects + i;
  }

  /** Finds the descriptor slab holding `desc` (the PFN → slab table) and remembers it; throws if none does. */
  private findSlab(desc: number): void {
    const rel = desc - DIRECT_MAP_BASE;
    if (!(rel >= 0 && rel < this.limit)) this.badDescriptor(desc);
    const p = Math.floor(rel * INV_PAGE_SIZE);
    const leaf = this.dir[p >>> LEAF_SHIFT]!;
    const v = leaf === 0 ? 0 : this.leaves[(leaf - 1) * LEAF + (p & (LEAF - 1))]!;
    if (v === 0) this.badDescriptor(desc);
    const c = this.caches[(v >>> 24) - 1]!;
    const j = v & 0xffffff;
    this.lpCache = c;
    this.lpSlab = j;
    this.lpPfn = c.slabPfn[j]!;
    this.lpBase = DIRECT_MAP_BASE + this.lpPfn * PAGE_SIZE;
    this.lpEnd = this.lpBase + c.slabBytes;
  }

  /** Why `desc` is no descriptor (kept out of `locateObject()`, which stays small enough to inline): throws. */
  private badDescriptor(desc: number): never {
    const rel = desc - DIRECT_MAP_BASE;
    if (!(rel >= 0 && rel < this.limit))
      throw new MemmapError(
        "BAD_DESCRIPTOR",
        `${hex(desc)} is not an address in the direct map of this memmap`,
      );
    const p = Math.floor(rel * INV_PAGE_SIZE);
    const leaf = this.dir[p >>> LEAF_SHIFT]!;
    const v = leaf === 0 ? 0 : this.leaves[(leaf - 1) * LEAF + (p & (LEAF - 1))]!;
    if (v === 0)
      throw new MemmapError(
        "BAD_DESCRIPTOR",
        `${hex(desc)} is not inside a slab page of a descriptor cache (PFN ${hex(p)})`,
      );
    const c = this.caches[(v >>> 24) - 1]!;
    throw new MemmapError(
      "BAD_DESCRIPTOR",
      `${hex(desc)} is not the start of an object in cache ${c.name} (objects are ${c.size} bytes apart, 16-byte aligned)`,
    );
  }

  /** Locates and checks that the descriptor may be read (live, or RCU-freed under the read lock) or written. */
  private access(desc: number, write: boolean): void {
    if (desc === this.ld) return;
    this.locate(desc);
    const st = this.lc.objMeta[this.lo]! & 3;
    if (st === OBJ_LIVE) {
      this.ld = desc;
      return;
    }
    if (st === OBJ_RCU && !write && this.rcu.reading) return;
    throw new MemmapError(
      "USE_AFTER_FREE",
      `descriptor ${hex(desc)} (${this.lc.kind}) was freed${st === OBJ_RCU ? " and is waiting for a grace period; only an RCU reader may still look at it" : ""}`,
    );
  }

  /** The kind of the descriptor at `desc` (also for a freed one an RCU reader still holds). */
  kindOfDescriptor(desc: number): string {
    this.access(desc, false);
    return this.lc.kind!;
  }

  /** Whether `desc` is a live descriptor. */
  isLive(desc: number): boolean {
    try {
      this.locate(desc);
    } catch {
      return false;
    }
    return (this.lc.objMeta[this.lo]! & 3) === OBJ_LIVE;
  }

  /** The first PFN of the pages a live descriptor describes. */
  descriptorPfn(desc: number): number {
    this.access(desc, false);
    return this.lc.objPfn[this.lo]!;
  }

  /** The order of the allocation a live descriptor describes. */
  descriptorOrder(desc: number): number {
    this.access(desc, false);
    return this.lc.orderOf(this.lo);
  }

  /** The memory use a live descriptor's allocation was made for. */
  descriptorUse(desc: number): MemoryUse {
    this.access(desc, false);
    return memoryUseNames[this.lc.useOf(this.lo)] ?? "kernel";
  }

  /** The descriptor a page's word points at, or 0 for free and inline (Misc) pages. */
  pageDescriptor(pfn: number): number {
    this.checkPfn(pfn);
    const x = pfn * this.stride;
    const lo = this.words[x]!;
    const tag = this.registry.codec.readTag(lo);
    const k = this.kinds[this.tagKind[tag]!];
    if (k?.storage !== "pointer") return 0;
    return ((lo & ~this.typeMask) >>> 0) + this.words[x + 1]! * TWO32;
  }

  // ---------------------------------------------------------------------------------------------------------
  // Fields

  private fieldInfo(cache: SlabCache, path: string): FieldInfo {
    let m = this.fieldCache.get(cache);
    if (!m) {
      m = new Map();
      this.fieldCache.set(cache, m);
    }
    let f = m.get(path);
    if (!f) {
      const field = cache.layout ? fieldsByPath(cache.layout).get(path) : undefined;
      if (!field || field.size > 8 || ![1, 2, 4, 8].includes(field.size))
        throw new MemmapError(
          "UNKNOWN_FIELD",
          field
            ? `${cache.name}.${path} is ${field.size} bytes; fields of 1, 2, 4 or 8 bytes can be read and written`
            : `struct ${cache.layout?.name ?? cache.name} (${cache.name}) has no field ${path}`,
        );
      f = {
        offset: field.offset,
        size: field.size,
        bitOffset: field.bitOffset ?? 0,
        bitSize: field.bitSize ?? 0,
        signed: signedType.test(field.typeName),
        path,
      };
      m.set(path, f);
    }
    return f;
  }

  /** The byte offset of a field of a kind's descriptor (the variant for `order`), for the typed accessors. */
  fieldOffset(kind: string, path: string, order = 0): number {
    const cache = this.cacheFor(kind, order);
    const f = cache.layout ? fieldsByPath(cache.layout).get(path) : undefined;
    if (!f)
      throw new MemmapError(
        "UNKNOWN_FIELD",
        `struct ${cache.layout?.name ?? cache.name} (${cache.name}) has no field ${path}`,
      );
    return f.offset;
  }

  /** Reads a field by its C path: a number for fields up to 4 bytes, a bigint for 8-byte ones. */
  readField(desc: number, path: string): number | bigint {
    this.access(desc, false);
    const f = this.fieldInfo(this.lc, path);
    const b = this.lbyte + f.offset;
    if (f.size === 8) {
      const v = (BigInt(this.lu32[(b >>> 2) + 1]!) << 32n) | BigInt(this.lu32[b >>> 2]!);
      return f.signed ? BigInt.asIntN(64, v) : v;
    }
    let v = this.readUnit(b, f.size);
    if (f.bitSize > 0) v = Math.floor(v / 2 ** f.bitOffset) % 2 ** f.bitSize;
    else if (f.signed && v >= 2 ** (8 * f.size - 1)) v -= 2 ** (8 * f.size);
    return v;
  }

  /** Writes a field by its C path; the value must fit the field (negative values for signed ones). */
  writeField(desc: number, path: string, value: number | bigint): void {
    this.access(desc, true);
    const f = this.fieldInfo(this.lc, path);
    const b = this.lbyte + f.offset;
    if (f.size === 8) {
      const v = BigInt.asUintN(64, BigInt(value));
      if (BigInt(value) >= 2n ** 64n || BigInt(value) < -(2n ** 63n))
        throw new MemmapError("FIELD_VALUE", `${this.lc.name}.${path} = ${value} does not fit in 64 bits`);
      this.lu32[b >>> 2] = Number(v & 0xffffffffn);
      this.lu32[(b >>> 2) + 1] = Number(v >> 32n);
      return;
    }
    const n = Number(value);
    const bits = f.bitSize > 0 ? f.bitSize : 8 * f.size;
    const min = f.signed && f.bitSize === 0 ? -(2 ** (bits - 1)) : 0;
    if (!Number.isInteger(n) || n < min || n >= 2 ** bits)
      throw new MemmapError(
        "FIELD_VALUE",
        `${this.lc.name}.${path} = ${value} does not fit in ${bits} ${f.signed ? "signed " : ""}bits`,
      );
    if (f.bitSize > 0) {
      const unit = this.readUnit(b, f.size);
      const shift = 2 ** f.bitOffset;
      const old = Math.floor(unit / shift) % 2 ** f.bitSize;
      this.writeUnit(b, f.size, unit + (n - old) * shift);
    } else this.writeUnit(b, f.size, n < 0 ? n + 2 ** bits : n);
  }

  private readUnit(b: number, size: number): number {
    if (size === 4) return this.lu32[b >>> 2]!;
    if (size === 2) return this.lu8[b]! | (this.lu8[b + 1]! << 8);
    return this.lu8[b]!;
  }

  private writeUnit(b: number, size: number, v: number): void {
    if (size === 4) this.lu32[b >>> 2] = v >>> 0;
    else if (size === 2) {
      this.lu8[b] = v & 0xff;
      this.lu8[b + 1] = (v >>> 8) & 0xff;
    } else this.lu8[b] = v;
  }

  /** A signed 32-bit field at a byte offset (atomic_t, `_mapcount`): the typed path plugins' hot code uses. */
  readI32(desc: number, offset: number): number {
    this.access(desc, false);
    return this.lu32[(this.lbyte + offset) >>> 2]! | 0;
  }

  writeI32(desc: number, offset: number, v: number): void {
    this.access(desc, true);
    this.lu32[(this.lbyte + offset) >>> 2] = v >>> 0;
  }

  /** Adds to a signed 32-bit field and returns the new value (`atomic_add_return`). */
  addI32(desc: number, offset: number, delta: number): number {
    this.access(desc, true);
    const x = (this.lbyte + offset) >>> 2;
    const v = (this.lu32[x]! + delta) | 0;
    this.lu32[x] = v >>> 0;
    return v;
  }

  readU8(desc: number, offset: number): number {
    this.access(desc, false);
    return this.lu8[this.lbyte + offset]!;
  }

  writeU8(desc: number, offset: number, v: number): void {
    this.access(desc, true);
    this.lu8[this.lbyte + offset] = v;
  }

  /** An unsigned 64-bit field as a number (exact below 2^53: PFNs, pointers). */
  readU64(desc: number, offset: number): number {
    this.access(desc, false);
    const x = (this.lbyte + offset) >>> 2;
    return this.lu32[x]! + this.lu32[x + 1]! * TWO32;
  }

  writeU64(desc: number, offset: number, v: number): void {
    this.access(desc, true);
    this.put64(this.lu32, this.lbyte + offset, v);
  }

  /** The chunk holding the descriptor last given to `viewOf()`, as u32s and as bytes. */
  view32: Uint32Array = new Uint32Array(0);
  view8: Uint8Array = new Uint8Array(0);

  /**
   * For kinds' hot paths (an `init` hook): checks `desc` may be written and returns the byte offset of its first
   * byte in `view32`/`view8`, which it points at its chunk. Field `f` is then `view32[(offset + f) >>> 2]`; writes
   * must stay inside the descriptor.
   */
  viewOf(desc: number): number {
    this.access(desc, true);
    this.view32 = this.lu32;
    this.view8 = this.lu8;
    return this.lbyte;
  }

  /** A copy of a descriptor's bytes (tests, the explorer). */
  descriptorBytes(desc: number): Uint8Array {
    this.access(desc, false);
    return this.lu8.slice(this.lbyte, this.lbyte + this.lc.objectSize);
  }

  // ---------------------------------------------------------------------------------------------------------
  // Allocation

  /**
   * `memdesc_alloc_node(gfp, order, nid, size)`: allocates the descriptor first (from its kind's cache, the
   * variant for `order`, or the smallest variant holding `size` bytes), then `2^order` pages on `nid` (-1: any),
   * and points every page's word at the descriptor. If either fails nothing stays allocated and it returns 0
   * (NULL). The kind's `init` hook runs on the zeroed descriptor, then `init`'s field values are written.
   */
  memdescAllocNode(
    kind: string,
    options?: {
      readonly order?: number;
      readonly nid?: number;
      readonly size?: number;
      readonly use?: MemoryUse;
      readonly init?: Readonly<Record<string, number | bigint>>;
    },
  ): number {
    // The kind asked for last time is most likely asked for again: a string compare, not a map lookup.
    if (kind !== this.lastKind.name) this.lastKind = this.kindInfo(kind);
    const k = this.lastKind;
    if (options === undefined) {
      const cache = k.cache0;
      if (cache === undefined) this.cacheFor(kind, 0);
      return this.allocFrom(k, cache!, 0, -1, k.use);
    }
    const order = options.order ?? 0;
    this.checkOrder(order);
    const nid = options.nid ?? -1;
    this.checkNid(nid);
    let cache = this.cacheFor(kind, order);
    if (options.size !== undefined) cache = this.cacheHolding(k, options.size);
    const use = options.use === undefined ? k.use : this.useOf(options.use);
    const desc = this.allocFrom(k, cache, order, nid, use);
    if (desc !== 0 && options.init)
      for (const [path, v] of Object.entries(options.init)) this.writeField(desc, path, v);
    return desc;
  }

  /** The cache of the smallest variant of kind `k` that holds `size` bytes. */
  private cacheHolding(k: KindInfo, size: number): SlabCache {
    const fits = k.caches.filter((c) => c.objectSize >= size).sort((a, b) => a.objectSize - b.objectSize)[0];
    if (!fits)
      throw new MemmapError(
        "DESCRIPTOR_SIZE",
        `no ${k.name} descriptor holds ${size} bytes (sizes: ${k.caches.map((c) => c.objectSize).join(", ")})`,
      );
    return fits;
  }

  /**
   * The number-only allocation path (`kindId()` once, then this per allocation): the descriptor for `order`
   * from the kind's cache, the pages, the words; 0 when memory runs out.
   */
  allocDescriptor(kindId: number, order: number, nid: number, use: number): number {
    const k = this.kinds[kindId]!;
    const cache = order === 0 ? k.cache0 : k.byOrder[order];
    if (cache === undefined) {
      this.cacheFor(k.name, order);
      return 0;
    }
    return this.allocFrom(k, cache, order, nid, use < 0 ? k.use : use);
  }

  /**
   * The allocation: the object from the cache's CPU freelist (`slab_alloc_node()`), the pages through the per-CPU
   * lists (`rmqueue_pcplist()`), the object zeroed (`kmem_cache_zalloc`), every page's word pointed at it, the
   * counters, then the kind's `init`.
   */
  private allocFrom(k: KindInfo, cache: SlabCache, order: number, nid: number, use: number): number {
    let o = cache.cpuPop();
    if (o < 0) {
      o = this.slabAllocSlow(cache, nid);
      if (o < 0) {
        this.allocFailures++;
        return 0;
      }
    }
    cache.objMeta[o] = OBJ_LIVE | (order << META_ORDER_SHIFT) | (use << META_USE_SHIFT);
    cache.liveObjects++;
    const pfn = this.pcp.allocPages(order, nid);
    if (pfn < 0) {
      this.cacheFreeNow(cache, o);
      this.allocFailures++;
      return 0;
    }
    // The object is in the CPU slab, whose address and bytes the cache keeps at hand.
    const off = (o - cache.cpuObj0) * cache.size;
    const desc = cache.cpuBase + off;
    const byte = cache.cpuByte0 + off;
    cache.objPfn[o] = pfn;
    // kmem_cache_zalloc: 8 bytes a store (objects are multiples of 16 bytes, 16-byte aligned).
    const f = cache.cpuF64;
    for (let x = byte >>> 3, end = x + (cache.objectSize >>> 3); x < end; x += 2) {
      f[x] = 0;
      f[x + 1] = 0;
    }
    const lo = (cache.cpuLo0s + off) | k.tag;
    const hi = cache.cpuHi;
    const w = this.words;
    if (order === 0) {
      const x = pfn * this.stride;
      w[x] = lo;
      w[x + 1] = hi;
    } else
      for (let x = pfn * this.stride, end = (pfn + (1 << order)) * this.stride; x < end; x += this.stride) {
        w[x] = lo;
        w[x + 1] = hi;
      }
    const u = this.useStats;
    u[use]! += 1 << order;
    u[this.descsAt + use]!++;
    u[this.ordersAt + use * (this.maxOrder + 1) + order]!++;
    const init = k.init;
    if (init !== undefined) {
      this.ld = 0;
      this.view32 = cache.cpuU32;
      this.view8 = cache.cpuU8;
      init(this, desc, order, pfn, k.name, k.state, byte);
    }
    return desc;
  }

  /**
   * Frees a descriptor and its pages: the pages go back to the buddy allocator at once, the descriptor after a
   * grace period (SLAB_TYPESAFE_BY_RCU). With `kind` and `order` given, they are checked as `free_pages()` would
   * be told them: a double free, a wrong order or kind, or a word that no longer points here is a MemmapError.
   */
  free(desc: number, kind?: string, order?: number): void {
    const o = this.locateObject(desc);
    const c = this.lpCache;
    const meta = c.objMeta[o]!;
    const ord = (meta >>> META_ORDER_SHIFT) & 15;
    if (
      (meta & 3) !== OBJ_LIVE ||
      c === this.slabCache ||
      (kind !== undefined && kind !== c.kind) ||
      (order !== undefined && order !== ord)
    )
      this.refuseFree(desc, kind, order);
    const pfn = c.objPfn[o]!;
    const x = pfn * this.stride;
    const sp = this.lpPfn;
    const lo = ((sp << 12) + this.loff) | c.tag;
    if ((this.words[x]! | 0) !== lo || this.words[x + 1] !== DIRECT_MAP_HI + (sp >>> 20))
      this.refuseFree(desc, kind, order);
    const use = meta >>> META_USE_SHIFT;
    const u = this.useStats;
    u[use]! -= 1 << ord;
    u[this.descsAt + use]!--;
    u[this.ordersAt + use * (this.maxOrder + 1) + ord]!--;
    this.pcp.freePages(pfn, ord);
    // cacheFree(), with the object's state at hand.
    c.liveObjects--;
    c.objMeta[o] = (meta & ~3) | OBJ_RCU;
    c.rcuObjects++;
    this.rcu.deferObject(c.id, o);
  }

  /** Why `free()` refuses `desc` (kept out of its body, which stays small enough to inline): always throws. */
  private refuseFree(desc: number, kind: string | undefined, order: number | undefined): never {
    this.locate(desc);
    const c = this.lc;
    const st = c.stateOf(this.lo);
    if (st !== OBJ_LIVE)
      throw new MemmapError(
        "DOUBLE_FREE",
        `descriptor ${hex(desc)} (${c.kind}) is already free${st === OBJ_RCU ? " (waiting for a grace period)" : ""}: double free`,
      );
    if (c === this.slabCache)
      throw new MemmapError(
        "WRONG_KIND",
        `${hex(desc)} is a struct slab; slab descriptors are freed by their cache`,
      );
    if (kind !== undefined && kind !== c.kind)
      throw new MemmapError(
        "WRONG_KIND",
        `freeing ${hex(desc)} as ${kind}, but it is a ${c.kind} descriptor`,
      );
    const ord = c.orderOf(this.lo);
    if (order !== undefined && order !== ord)
      throw new MemmapError(
        "WRONG_ORDER",
        `freeing ${hex(desc)} (${c.kind}) with order ${order}, but it was allocated with order ${ord}`,
      );
    const pfn = c.objPfn[this.lo]!;
    throw new MemmapError(
      "CORRUPT_WORD",
      `page ${hex(pfn)} of descriptor ${hex(desc)} (${c.kind}) no longer points at it`,
    );
  }

  /**
   * Splits an allocation into `2^(order - newOrder)` allocations of `newOrder`, all or nothing: every new
   * descriptor is allocated first (the first piece keeps the old one when its variant is the same), and if one
   * cannot be had, those taken are returned and nothing changes (null). `copy(from, to, index)` lets the kind
   * fill each new descriptor from the old one before the old one is freed. Returns the pieces' descriptors.
   */
  split(
    desc: number,
    newOrder: number,
    copy?: (from: number, to: number, index: number) => void,
  ): number[] | null {
    this.access(desc, true);
    const c = this.lc;
    const o = this.lo;
    const order = c.orderOf(o);
    if (!Number.isInteger(newOrder) || newOrder < 0 || newOrder >= order)
      throw new MemmapError("BAD_ORDER", `cannot split an order-${order} ${c.kind} to order ${newOrder}`);
    const k = this.kindByName.get(c.kind!)!;
    const target = k.byOrder[newOrder]!;
    const keep = target === c;
    const pieces = 2 ** (order - newOrder);
    const pfn = c.objPfn[o]!;
    const use = c.useOf(o);
    const nid = this.buddy.nodeOf(pfn);
    const taken: number[] = [];
    for (let p = keep ? 1 : 0; p < pieces; p++) {
      const t = this.cacheAlloc(target, nid);
      if (t < 0) {
        for (const u of taken) this.cacheFreeNow(target, u);
        this.allocFailures++;
        return null;
      }
      taken.push(t);
    }
    const out: number[] = [];
    if (keep) {
      c.objMeta[o] = OBJ_LIVE | (newOrder << META_ORDER_SHIFT) | (use << META_USE_SHIFT);
      out.push(desc);
    }
    for (const t of taken) {
      const j = Math.floor(t / target.objects);
      const i = t - j * target.objects;
      const b = target.byteOffset(j, i);
      target.u8[j >>> target.chunkShift]!.fill(0, b, b + target.objectSize);
      target.objPfn[t] = pfn + out.length * 2 ** newOrder;
      target.objMeta[t] = OBJ_LIVE | (newOrder << META_ORDER_SHIFT) | (use << META_USE_SHIFT);
      out.push(target.objectAddress(DIRECT_MAP_BASE, j, i));
    }
    out.forEach((d, p) => {
      const init = k.hooks?.init;
      if (init && (!keep || p > 0))
        init(this, d, newOrder, pfn + p * 2 ** newOrder, k.name, k.state, this.viewOf(d));
      copy?.(desc, d, p);
      this.writePointerWords(pfn + p * 2 ** newOrder, 2 ** newOrder, k.tag, d);
    });
    this.count(use, 0, order, -1);
    this.count(use, 0, newOrder, pieces);
    if (!keep) {
      this.locate(desc);
      this.cacheFree(this.lc, this.lo);
    }
    return out;
  }

  /** Allocates `2^order` pages with an inline Misc word (reserved, vmalloc, kmalloc_large …); -1 when none. */
  allocPagesMisc(
    subtype: keyof typeof miscSubtypes | number,
    order: number,
    nid = -1,
    use?: MemoryUse,
  ): number {
    this.checkOrder(order);
    this.checkNid(nid);
    const st = typeof subtype === "number" ? subtype : miscSubtypes[subtype];
    if (st === undefined || !Number.isInteger(st) || st < 0 || st > 127)
      throw new MemmapError("BAD_OPTIONS", `unknown Misc subtype ${String(subtype)}`);
    const pfn = this.pcp.allocPages(order, nid);
    if (pfn < 0) {
      this.allocFailures++;
      return -1;
    }
    const node = this.buddy.nodeOf(pfn);
    const key = (node * 128 + st) * 16 + order;
    let packed = this.miscWords.get(key);
    if (packed === undefined) {
      const [lo, hi] = this.registry.codec.packInline({ kind: "misc", fields: { subtype: st, order, node } });
      packed = lo + hi * TWO32;
      this.miscWords.set(key, packed);
    }
    const lo = packed % TWO32;
    const hi = Math.floor(packed / TWO32);
    for (let x = pfn * this.stride, end = (pfn + 2 ** order) * this.stride; x < end; x += this.stride) {
      this.words[x] = lo;
      this.words[x + 1] = hi;
    }
    const u = use === undefined ? this.miscUse(st) : this.useOf(use);
    this.count(u, 2 ** order, order, 0);
    return pfn;
  }

  /** Frees Misc pages; the word must be Misc of that order (`free_pages(addr, order)`). */
  freePagesMisc(pfn: number, order: number, use?: MemoryUse): void {
    this.checkPfn(pfn);
    const x = pfn * this.stride;
    const lo = this.words[x]!;
    const tag = this.registry.codec.readTag(lo);
    if (tag !== this.miscTag)
      throw new MemmapError(
        tag === this.buddyTag ? "DOUBLE_FREE" : "WRONG_KIND",
        tag === this.buddyTag
          ? `page ${hex(pfn)} is already free: double free`
          : `page ${hex(pfn)} is ${this.registry.kindOf(tag) ?? `tag ${tag}`}, not Misc`,
      );
    const d = this.registry.codec.decode(BigInt(lo) + (BigInt(this.words[x + 1]!) << 32n));
    const fields = d.storage === "inline" ? d.fields : {};
    const ord = Number(fields.order ?? 0n);
    if (ord !== order || pfn % 2 ** ord !== 0)
      throw new MemmapError(
        "WRONG_ORDER",
        `freeing Misc page ${hex(pfn)} with order ${order}, but it was allocated with order ${ord}`,
      );
    const u = use === undefined ? this.miscUse(Number(fields.subtype ?? 0n)) : this.useOf(use);
    this.count(u, -(2 ** order), order, 0);
    this.pcp.freePages(pfn, order);
  }

  /** The memory use of Misc pages of a subtype (reserved, zero and offline are uses of their own). */
  private miscUse(subtype: number): number {
    let u = this.miscUses[subtype];
    if (u === undefined) {
      const name = Object.entries(miscSubtypes).find(([, v]) => v === subtype)?.[0];
      const use = name === "reserved" || name === "zero" || name === "offline" ? name : "kernel";
      u = this.useIndex.get(use)!;
      this.miscUses[subtype] = u;
    }
    return u;
  }

  // ---------------------------------------------------------------------------------------------------------
  // Workload slab caches

  /** `kmem_cache_alloc()` of `count` objects from a workload cache; returns how many it got. */
  kmemCacheAllocBulk(cache: SlabCache, count: number, nid = -1): number {
    if (cache.backed)
      throw new MemmapError("BAD_OPTIONS", `cache ${cache.name} holds descriptors; use memdescAllocNode`);
    let got = 0;
    while (got < count) {
      if (cache.partialTop === 0) {
        const j = this.newSlab(cache, nid);
        if (j < 0) {
          this.allocFailures++;
          break;
        }
        cache.addPartial(j);
      }
      const j = cache.partial[cache.partialTop - 1]!;
      const take = Math.min(count - got, cache.objects - cache.slabInuse[j]!);
      cache.slabInuse[j]! += take;
      if (cache.slabInuse[j] === cache.objects) cache.removePartial(j);
      got += take;
      this.mirrorSlab(cache, j);
    }
    cache.liveObjects += got;
    return got;
  }

  /**
   * `kmem_cache_free()` of `count` random objects of a workload cache: each object equally likely, so slabs
   * empty only when every object in them goes, and the rest stay partly used (slab fragmentation).
   */
  kmemCacheFreeRandom(cache: SlabCache, count: number, random: () => number): number {
    let freed = 0;
    while (freed < count && cache.liveObjects > 0) {
      const j = cache.live[Math.floor(random() * cache.liveTop)]!;
      const inuse = cache.slabInuse[j]!;
      if (cache.slabState[j] !== SLAB_ACTIVE || inuse === 0 || random() * cache.objects >= inuse) continue;
      cache.slabInuse[j] = inuse - 1;
      cache.liveObjects--;
      freed++;
      if (inuse === cache.objects) cache.addPartial(j);
      this.mirrorSlab(cache, j);
      if (inuse === 1) this.releaseSlab(cache, j);
    }
    return freed;
  }

  // ---------------------------------------------------------------------------------------------------------
  // Lookup, accounting, reports

  /**
   * What a PFN is: free (its buddy block), Misc (inline order), or a descriptor's page (its kind, descriptor, head
   * PFN and order). A word whose descriptor is freed, of another kind than its tag, or not covering the page is
   * a MemmapError (USE_AFTER_FREE, KIND_MISMATCH, CORRUPT_WORD).
   */
  lookup(pfn: number): PageInfo {
    this.checkPfn(pfn);
    const node = this.buddy.nodeOf(pfn);
    const x = pfn * this.stride;
    const lo = this.words[x]!;
    const hi = this.words[x + 1]!;
    const tag = this.registry.codec.readTag(lo);
    const kindIndex = this.tagKind[tag]!;
    const k = this.kinds[kindIndex];
    if (tag === this.buddyTag) {
      for (let o = 0; o <= this.maxOrder; o++) {
        const head = pfn - (pfn % 2 ** o);
        const hl = this.words[head * this.stride]!;
        if (hl !== this.tailLo && this.registry.codec.readTag(hl) === this.buddyTag) {
          const order = (hl >>> this.orderShift) & 15;
          if (head + 2 ** order > pfn)
            return {
              pfn,
              node,
              state: "free",
              kind: "buddy",
              tag,
              headPfn: head,
              order,
              use: "free",
              ...((hl & this.pcpBit) !== 0 ? { pcp: true } : {}),
            };
          break;
        }
      }
      throw new MemmapError("CORRUPT_WORD", `page ${hex(pfn)} is a free tail page outside any free block`);
    }
    if (!k)
      throw new MemmapError(
        "CORRUPT_WORD",
        `page ${hex(pfn)} has tag ${tag}, which no kind of this registry uses`,
      );
    if (k.storage === "inline") {
      const d = this.registry.codec.decode(BigInt(lo) + (BigInt(hi) << 32n));
      const f = d.storage === "inline" ? d.fields : {};
      const order = Number(f.order ?? 0n);
      const st = Number(f.subtype ?? 0n);
      const subtype = Object.entries(miscSubtypes).find(([, v]) => v === st)?.[0] ?? `subtype ${st}`;
      return {
        pfn,
        node,
        state: "allocated",
        kind: k.name,
        tag,
        headPfn: pfn - (pfn % 2 ** order),
        order,
        use: memoryUseNames[this.miscUse(st)]!,
        subtype,
      };
    }
    const desc = ((lo & ~this.typeMask) >>> 0) + hi * TWO32;
    try {
      this.locate(desc);
    } catch (e) {
      throw new MemmapError(
        "CORRUPT_WORD",
        `page ${hex(pfn)} (${k.name}) points at ${hex(desc)}: ${(e as Error).message}`,
      );
    }
    const c = this.lc;
    if (c.kind !== k.name)
      throw new MemmapError(
        "KIND_MISMATCH",
        `page ${hex(pfn)}'s word says ${k.name}, but it points at a ${c.kind} descriptor (${hex(desc)} in cache ${c.name})`,
      );
    const st = c.stateOf(this.lo);
    if (st !== OBJ_LIVE)
      throw new MemmapError(
        "USE_AFTER_FREE",
        `page ${hex(pfn)} points at freed ${c.kind} descriptor ${hex(desc)}`,
      );
    const headPfn = c.objPfn[this.lo]!;
    const order = c.orderOf(this.lo);
    if (pfn < headPfn || pfn >= headPfn + 2 ** order)
      throw new MemmapError(
        "CORRUPT_WORD",
        `page ${hex(pfn)} points at ${hex(desc)}, which describes ${hex(headPfn)}..+${2 ** order}`,
      );
    const useNo = c.useOf(this.lo);
    let cache: string | undefined;
    if (c === this.slabCache && this.slabCacheField >= 0) {
      const addr =
        this.lu32[(this.lbyte + this.slabCacheField) >>> 2]! +
        this.lu32[((this.lbyte + this.slabCacheField) >>> 2) + 1]! * TWO32;
      cache = this.caches[(addr - KMEM_CACHE_BASE) / KMEM_CACHE_STRIDE]?.name;
    }
    return {
      pfn,
      node,
      state: "allocated",
      kind: k.name,
      tag,
      descriptor: desc,
      headPfn,
      order,
      use: useNo === USE_META ? "memdesc" : memoryUseNames[useNo]!,
      ...(cache !== undefined ? { cache } : {}),
    };
  }

  /** Free pages: in the buddy allocator's lists and on the per-CPU lists. */
  get freePageCount(): number {
    return this.buddy.freePageCount + this.pcp.total;
  }

  /**
   * The memory picture now: pages, descriptors and descriptor orders per use, from counters kept on every
   * allocation and free. Free pages are the buddy lists' and the per-CPU lists'. The descriptor caches' own slab
   * pages are the metadata being billed, so they are not in the picture; `descriptorMemory()` reports them.
   */
  picture(source?: string): PictureInput {
    const uses: Record<string, { pages: number; descriptors: number; orders?: Record<string, number> }> = {};
    const free = this.freePageCount;
    if (free > 0) uses.free = { pages: free, descriptors: 0 };
    memoryUseNames.forEach((u, i) => {
      const pages = this.usePages[i]!;
      const descriptors = this.useDescriptors[i]!;
      if (pages === 0 && descriptors === 0) return;
      const orders: Record<string, number> = {};
      for (let o = 0; o <= this.maxOrder; o++) {
        const n = this.useOrders[i * (this.maxOrder + 1) + o]!;
        if (n > 0) orders[String(o)] = n;
      }
      uses[u] = { pages, descriptors, ...(descriptors > 0 ? { orders } : {}) };
    });
    return { pageSize: PAGE_SIZE, ...(source !== undefined ? { source } : {}), uses };
  }

  /**
   * `/proc/buddyinfo`: free blocks per order in the buddy allocator's lists, per node (one Normal zone each).
   * Pages on the per-CPU lists are not in them, as in the kernel; `zoneinfo()` counts those.
   */
  buddyinfo(): string {
    let out = "";
    for (let n = 0; n < this.nodes; n++) {
      out += `Node ${n}, zone ${"Normal".padStart(8)} `;
      for (let o = 0; o <= this.maxOrder; o++) out += `${String(this.buddy.freeBlocks(n, o)).padStart(6)} `;
      out += "\n";
    }
    return out;
  }

  /**
   * `/proc/zoneinfo`'s lines for the free pages of each node's Normal zone: `pages free` (the buddy lists,
   * NR_FREE_PAGES, which leaves the per-CPU lists out) and the simulated CPU's pageset (`count`, `high`, `batch`).
   */
  zoneinfo(): string {
    let out = "";
    for (let n = 0; n < this.nodes; n++) {
      const managed = this.buddy.nodeStart[n + 1]! - this.buddy.nodeStart[n]!;
      const ps = this.pcp.pageset(n);
      out += `Node ${n}, zone   Normal\n`;
      out += `  pages free     ${this.buddy.freePagesByNode[n]}\n`;
      out += `        high     ${ps.highWmark}\n`;
      out += `        managed  ${managed}\n`;
      out += "  pagesets\n    cpu: 0\n";
      out += `              count: ${ps.count}\n`;
      out += `              high:  ${ps.high}\n`;
      out += `              batch: ${ps.batch}\n`;
    }
    return out;
  }

  /** Free blocks by node and order, as numbers. */
  buddyCounts(): number[][] {
    return Array.from({ length: this.nodes }, (_, n) =>
      Array.from({ length: this.maxOrder + 1 }, (_, o) => this.buddy.freeBlocks(n, o)),
    );
  }

  /** The descriptors' own memory: each descriptor cache's slab pages, live objects and fragmentation. */
  descriptorMemory(): DescriptorMemory {
    const caches = this.caches
      .filter((c) => c.backed)
      .map(
        (c): CacheMemory => ({
          name: c.name,
          kind: c.kind!,
          variant: c.variant,
          objectSize: c.objectSize,
          stride: c.size,
          order: c.order,
          objectsPerSlab: c.objects,
          slabs: c.slabs,
          slabPages: c.slabs * 2 ** c.order,
          liveObjects: c.liveObjects,
          rcuObjects: c.rcuObjects,
          usedBytes: c.liveObjects * c.objectSize,
          allocatedBytes: c.slabs * c.slabBytes,
        }),
      );
    const usedBytes = caches.reduce((s, c) => s + c.usedBytes, 0);
    const allocatedBytes = caches.reduce((s, c) => s + c.allocatedBytes, 0);
    return {
      caches,
      slabPages: this.metaPages,
      usedBytes,
      allocatedBytes,
      fragmentation: allocatedBytes === 0 ? 0 : 1 - usedBytes / allocatedBytes,
    };
  }

  /** Host memory the simulation holds: the words, the table and the descriptors' backing chunks. */
  hostBytes(): number {
    return (
      this.words.byteLength +
      this.dir.byteLength +
      this.leaves.byteLength +
      this.pcp.bytes +
      this.caches.reduce((s, c) => s + c.backingBytes, 0)
    );
  }

  /** The use index of a memory use name. */
  useOf(use: MemoryUse): number {
    const i = this.useIndex.get(use);
    if (i === undefined) throw new MemmapError("BAD_OPTIONS", `unknown memory use ${use}`);
    return i;
  }

  private checkPfn(pfn: number): void {
    if (!Number.isInteger(pfn) || pfn < 0 || pfn >= this.pages)
      throw new MemmapError("BAD_PFN", `PFN ${pfn} is outside 0..${hex(this.pages - 1)}`);
  }

  private checkOrder(order: number): void {
    if (!Number.isInteger(order) || order < 0 || order > this.maxOrder)
      throw new MemmapError("BAD_ORDER", `order ${order} is outside 0..${this.maxOrder} (MAX_PAGE_ORDER)`);
  }

  private checkNid(nid: number): void {
    if (!Number.isInteger(nid) || nid < -1 || nid >= this.nodes)
      throw new MemmapError("BAD_NODE", `node ${nid} is outside -1 (any) and 0..${this.nodes - 1}`);
  }

  /** @internal For the invariant check: the object state and pages of the descriptor at `desc`. */
  probe(desc: number): {
    cache: SlabCache;
    object: number;
    state: number;
    pfn: number;
    order: number;
    use: number;
  } {
    this.locate(desc);
    const c = this.lc;
    return {
      cache: c,
      object: this.lo,
      state: c.stateOf(this.lo),
      pfn: c.objPfn[this.lo]!,
      order: c.orderOf(this.lo),
      use: c.useOf(this.lo),
    };
  }

  /**
   * @internal For the invariant check: the counters (`inuse | objects << 16 | frozen << 31`) and freelist address
   * slab `j` of `cache` has in its struct slab's bytes; undefined when the slab layout has no such fields.
   */
  structSlab(cache: SlabCache, j: number): { counters: number; freelist: number } | undefined {
    if (this.slabCounters < 0 || this.slabFreelist < 0) return undefined;
    const u = this.slabCache.u32[cache.slabDescChunk[j]!]!;
    const b = cache.slabDescByte[j]!;
    const x = (b + this.slabFreelist) >>> 2;
    return { counters: u[(b + this.slabCounters) >>> 2]!, freelist: u[x]! + u[x + 1]! * TWO32 };
  }

  /** @internal The slab number of the last probe. */
  get probedSlab(): number {
    return this.lj;
  }
}

const name = (k: KindInfo): string => k.name;

/** Creates the simulated memmap of a registry (see `Memmap`). */
export function createMemmap<Ps extends readonly AnyDescriptor[]>(
  registry: Registry<Ps>,
  options: MemmapOptions,
): Memmap {
  return new Memmap(registry as unknown as Registry<readonly AnyDescriptor[]>, options);
}

export { OBJ_FREE, OBJ_LIVE, OBJ_RCU, USE_META };
