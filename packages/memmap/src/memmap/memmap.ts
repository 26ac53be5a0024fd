import type {
  AnyDescriptor,
  DescriptorAllocOptions,
  DescriptorContext,
  MemoryUse,
  miscSubtypes,
  PictureInput,
  Registry,
} from "@memdesc/core";
import { MemmapError } from "../errors.js";
import { BuddyAllocator } from "../page-alloc/buddy.js";
import { allocPagesMisc, freePagesMisc } from "../page-alloc/misc-pages.js";
import { PerCpuPages } from "../page-alloc/pcp.js";
import { buddyFormat, tailWords } from "../page-alloc/words.js";
import { RCU_SLAB, Rcu, type RcuSink } from "../rcu/rcu.js";
import { checkReaders, rcuDereference, rcuRevalidate, tryGetSpeculative } from "../rcu/rcu-reader.js";
import { RcuReaders } from "../rcu/readers.js";
import {
  createDescriptorCaches,
  kmemCacheCreate,
  type SlabGeometry,
  slabGeometryOf,
} from "../slub/kmem-cache.js";
import { DescriptorLocator } from "../slub/locate.js";
import {
  DIRECT_MAP_HI as directMapHi,
  META_ORDER_SHIFT as metaOrderShift,
  META_USE_SHIFT as metaUseShift,
  OBJ_LIVE as objLive,
  OBJ_RCU as objRcu,
  type SlabCache,
} from "../slub/slab-cache.js";
import {
  bootstrapSlabCache,
  doSlabFree,
  freeSlab,
  kmemCacheFreeBulk,
  kmemCacheShrink,
  shrinkAll,
} from "../slub/slub.js";
import { StructSlabFields } from "../slub/struct-slab.js";
import { kmemCacheAllocBulk, kmemCacheFreeRandom } from "../slub/workload-cache.js";
import { get64, put64 } from "../util/u64.js";
import { allocDescriptor, memdescAllocNode, refuseFree } from "./alloc.js";
import { KindContext } from "./context.js";
import { UseCounters } from "./counters.js";
import { descriptorBytes, fieldOffset, readField, viewOf, writeField } from "./fields.js";
import { cacheOf, KindTable } from "./kinds.js";
import { lookup, type PageInfo, pageDescriptor } from "./lookup.js";
import { type MemmapOptions, machineOf, nodeStarts } from "./options.js";
import {
  buddyCounts,
  buddyinfo,
  type DescriptorMemory,
  descriptorMemory,
  hostBytes,
  picture,
  zoneinfo,
} from "./report.js";
import { split } from "./split.js";
import type { MemmapState } from "./state.js";

export { KMEM_CACHE_BASE } from "../slub/kmem-cache.js";
export { DIRECT_MAP_BASE, OBJ_FREE, OBJ_LIVE, OBJ_RCU } from "../slub/slab-cache.js";
// Names this module has always exported, defined in the modules beside it.
export { USE_META } from "./counters.js";
export type { PageInfo } from "./lookup.js";
export { type DescriptorFree, MAX_MEMMAP_PAGES, type MemmapOptions } from "./options.js";
export type { CacheMemory, DescriptorMemory } from "./report.js";

// Imported bindings are live: optimized code reloads and checks them at every use. Module-level constants fold.
const DIRECT_MAP_HI = directMapHi;
const META_ORDER_SHIFT = metaOrderShift;
const META_USE_SHIFT = metaUseShift;
const OBJ_LIVE = objLive;
const OBJ_RCU = objRcu;
/** `sysctl_stat_interval`: vmstat's work runs once a second (simulated ms). */
const VMSTAT_INTERVAL = 1000;

/**
 * The simulated physical memory of a registry: one memdesc word per PFN in a typed array, encoded in the
 * registry's design (the entry's bytes per page, so memdesc-8 pays 8 bytes a page); a per-node buddy allocator
 * keeping its data in the words, behind per-CPU page lists (`per_cpu_pages`); descriptors as real bytes at their
 * layout's offsets in slab caches (one per kind and variant, each with a CPU slab, `kmem_cache_cpu`) whose slab
 * pages come from the page allocator and are described by `struct slab` descriptors from the struct-slab cache,
 * which hosts its own. Descriptor caches are SLAB_TYPESAFE_BY_RCU: a freed descriptor is reusable at once (as
 * another of its kind), an emptied slab's pages wait a grace period, and RCU page walkers revalidate what they
 * find (`rcuDereference`, `tryGetSpeculative`, `rcuRevalidate`); `descriptorFree: "kfree-rcu"` makes every freed
 * descriptor wait a grace period instead, run in batches (`kmem_cache_free_bulk`). Every descriptor keeps the PFN
 * of its memory in its own way-back field (`pfn`).
 *
 * One simulated CPU, on node 0, does all the work, so the per-CPU structures are single: what a CPU's fast
 * paths do is modelled exactly, and other CPUs' (remote frees, their own lists) are not.
 *
 * Handles are numbers: descriptor addresses (`0` is NULL) and PFNs (`-1`: none), so the allocation paths
 * allocate no JavaScript objects. The class holds the state and the entry points; the work is done by the
 * modules beside it (alloc, slub, locate, fields, split, misc, lookup, report), plain functions of the memmap.
 */
export class Memmap implements RcuSink, MemmapState {
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
  /** What RCU readers have looked up in the current read-side critical section, for the debug check. */
  readonly readers = new RcuReaders();
  /** `descriptorFree: "kfree-rcu"`: a freed descriptor waits a grace period before reuse. */
  readonly deferDescriptorFrees: boolean;
  /** CONFIG_TRANSPARENT_HUGEPAGE: order 9 uses the per-CPU lists too. */
  readonly thp: boolean;
  /** Every cache: the struct-slab cache first, then the descriptor caches, then workload caches. */
  readonly caches: SlabCache[] = [];
  /** The struct-slab cache (`kmem_cache` of struct slab), which holds its own slabs' descriptors. */
  readonly slabCache: SlabCache;
  /** Allocations that failed (no memory). */
  allocFailures = 0;

  readonly buddyTag: number;
  readonly miscTag: number;
  readonly slabTag: number;
  /** The low half of a free block's tail page. */
  readonly tailLo: number;
  readonly usePages: Float64Array;
  readonly useDescriptors: Float64Array;
  /** `useOrders[use * (maxOrder + 1) + order]`: descriptors by order. */
  readonly useOrders: Float64Array;
  /** Pages of descriptor caches' slabs (the descriptors' own memory). */
  metaPages = 0;
  /** The chunk holding the descriptor last given to `viewOf()` (or an `init` hook), as u32s and as bytes. */
  view32: Uint32Array = new Uint32Array(0);
  view8: Uint8Array = new Uint8Array(0);

  /** @internal The registry's kinds by index, name and tag. */
  readonly kindTable: KindTable;
  /** @internal The per-use counters `usePages`, `useDescriptors` and `useOrders` are views of. */
  readonly counters: UseCounters;
  /** @internal Descriptor address → cache, slab and object. */
  readonly locator: DescriptorLocator;
  /** @internal Where `struct slab` keeps `counters`, `freelist` and `slab_cache`. */
  readonly structSlabFields: StructSlabFields;
  /** @internal SLUB's geometry for the caches the memmap creates. */
  readonly slabGeometry: SlabGeometry;
  /** @internal Misc words packed once per node, subtype and order. */
  readonly miscWords = new Map<number, number>();
  /** When vmstat next decays the per-CPU lists (simulated ms). */
  private nextVmstat = VMSTAT_INTERVAL;

  /** Use `createMemmap()`, which takes a registry of any plugin tuple. */
  constructor(registry: Registry<readonly AnyDescriptor[]>, options: MemmapOptions) {
    this.registry = registry;
    const machine = machineOf(registry.design, options);
    this.pages = machine.pages;
    this.nodes = machine.nodes;
    this.maxOrder = machine.maxOrder;
    this.nrCpus = machine.nrCpus;
    this.stride = machine.stride;
    this.deferDescriptorFrees = machine.descriptorFree === "kfree-rcu";
    this.thp = machine.thp;
    // How free pages are written: the design's buddy encoding.
    const format = buddyFormat(registry);
    this.buddyTag = registry.tagOf("buddy")!;
    this.miscTag = registry.tagOf("misc")!;
    this.tailLo = format.tailLo;
    this.kindTable = new KindTable(registry);
    this.counters = new UseCounters(registry.uses, this.maxOrder);
    this.usePages = this.counters.pages;
    this.useDescriptors = this.counters.descriptors;
    this.useOrders = this.counters.orders;
    // The kind that describes slab pages describes the descriptor caches' own slabs.
    const slabOwner = registry.ownerOf("slab");
    const slabKind = slabOwner === undefined ? undefined : this.kindTable.find(slabOwner);
    if (slabKind?.storage !== "pointer")
      throw new MemmapError(
        "NO_SLAB_KIND",
        'the memmap keeps descriptors in slab caches, whose pages need a descriptor: compose a plugin that describes slab pages (uses: ["slab"]), such as @memdesc/slab',
      );
    this.slabTag = slabKind.tag;

    // Every page starts free: tails everywhere, then the blocks' first pages.
    this.words = tailWords(this.pages, this.stride, this.tailLo);
    const starts = nodeStarts(this.pages, this.nodes, this.maxOrder);
    this.buddy = new BuddyAllocator(this.words, this.stride, format, starts, this.maxOrder);
    for (let n = 0; n < this.nodes; n++) this.buddy.freeBootRange(n, starts[n]!, starts[n + 1]!);
    this.pcp = new PerCpuPages(this.buddy, this.words, this.stride, this.nrCpus, this.thp);
    this.rcu = new Rcu(options.gracePeriod ?? 10, this);
    this.locator = new DescriptorLocator(this.pages, this.caches, this.rcu);

    this.slabGeometry = slabGeometryOf(registry);
    this.slabCache = createDescriptorCaches(this, slabKind);
    this.structSlabFields = new StructSlabFields(this.slabCache);
    bootstrapSlabCache(this);

    // What each kind's hooks are handed, then the state their `state()` makes for this machine.
    for (const k of this.kindTable.byIndex) if (k.hooks) k.context = new KindContext(this, k);
    for (const k of this.kindTable.byIndex) if (k.hooks?.state) k.context!.state = k.hooks.state(k.context!);
  }

  // ---------------------------------------------------------------------------------------------------------
  // Kinds and caches

  /** The registry's kinds, by index (`kindId`), for the number-only allocation path. */
  kindId(kind: string): number {
    return this.kindTable.get(kind).index;
  }

  /**
   * What a kind's simulation hooks are handed on this memmap, for calling a plugin's own functions on it
   * (`folioGet(m.context("folio"), folio)`); a kind without hooks gets one made now.
   */
  context<State = unknown>(kind: string): DescriptorContext<State> {
    const k = this.kindTable.get(kind);
    k.context ??= new KindContext(this, k);
    return k.context as DescriptorContext<State>;
  }

  /** The cache holding a kind's descriptors for allocations of `order` (made for `use`, when given). */
  cacheFor(kind: string, order = 0, use?: MemoryUse): SlabCache {
    return cacheOf(this.kindTable.get(kind), order, this.maxOrder, use === undefined ? -1 : this.useOf(use));
  }

  /**
   * `kmem_cache_create()` for a workload cache (dentry, kmalloc-64): objects are counted, not stored, and its
   * slabs are described by struct slab descriptors like every other slab. Geometry from the slab plugin.
   */
  kmemCacheCreate(name: string, objectSize: number, align = 8): SlabCache {
    return kmemCacheCreate(this, name, objectSize, align);
  }

  /**
   * `kmem_cache_shrink()`: flushes the CPU slab (`flush_all()` → `deactivate_slab()`), then discards every empty
   * slab on the partial list (`__kmem_cache_do_shrink()`), after a grace period for SLAB_TYPESAFE_BY_RCU.
   */
  kmemCacheShrink(cache: SlabCache): void {
    kmemCacheShrink(this, cache);
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
    shrinkAll(this);
  }

  // ---------------------------------------------------------------------------------------------------------
  // RCU's deferred work (RcuSink)

  /** @internal RCU frees whose grace period has ended, handed to `kmem_cache_free_bulk()`. */
  rcuFreeBulk(cacheIds: Int32Array, objects: Int32Array, start: number, count: number, mask: number): void {
    kmemCacheFreeBulk(this, cacheIds, objects, start, count, mask);
  }

  /** @internal The outermost RCU read-side critical section ended: the readers' debug check. */
  rcuReadUnlocked(): void {
    checkReaders(this);
  }

  /** @internal A callback-ring entry: an emptied TYPESAFE_BY_RCU slab's deferred release. */
  rcuRun(type: number, a: number, b: number): void {
    if (type === RCU_SLAB) freeSlab(this, this.caches[a]!, b);
  }

  /**
   * @internal Time moved on: vmstat's work (`vmstat_update`, every `sysctl_stat_interval`, 1 s) decays the
   * per-CPU lists' `high` and gives back what is above it.
   */
  rcuTick(now: number): void {
    if (now < this.nextVmstat) return;
    for (let k = 0; k < 64 && now >= this.nextVmstat; k++) {
      this.pcp.decayHigh();
      this.nextVmstat += VMSTAT_INTERVAL;
    }
    if (now >= this.nextVmstat) this.nextVmstat = Math.floor(now / VMSTAT_INTERVAL + 1) * VMSTAT_INTERVAL;
  }

  // ---------------------------------------------------------------------------------------------------------
  // Descriptors

  /** The kind of the descriptor at `desc` (also for a freed one an RCU reader still holds). */
  kindOfDescriptor(desc: number): string {
    this.locator.access(desc, false);
    return this.locator.cache.kind!;
  }

  /** Whether `desc` is a live descriptor. */
  isLive(desc: number): boolean {
    const l = this.locator;
    try {
      l.locate(desc);
    } catch {
      return false;
    }
    return (l.cache.objMeta[l.object]! & 3) === OBJ_LIVE;
  }

  /** The first PFN of the pages a descriptor describes: what it keeps in its way-back field (`pfn`). */
  descriptorPfn(desc: number): number {
    this.locator.access(desc, false);
    return this.locator.cache.pfnOf(this.locator.object);
  }

  /** The order of the allocation a live descriptor describes. */
  descriptorOrder(desc: number): number {
    this.locator.access(desc, false);
    return this.locator.cache.orderOf(this.locator.object);
  }

  /** The memory use a live descriptor's allocation was made for. */
  descriptorUse(desc: number): MemoryUse {
    this.locator.access(desc, false);
    return this.registry.uses[this.locator.cache.useOf(this.locator.object)] ?? "kernel";
  }

  /** The descriptor a page's word points at, or 0 for free and inline (Misc) pages. */
  pageDescriptor(pfn: number): number {
    return pageDescriptor(this, pfn);
  }

  // ---------------------------------------------------------------------------------------------------------
  // RCU page walkers

  /**
   * `rcu_dereference(page->memdesc)` inside `rcu.readLock()`: the descriptor page `pfn` points at (0 for free and
   * inline pages), remembered for the debug check at `rcu.readUnlock()`.
   */
  rcuDereference(pfn: number): number {
    return rcuDereference(this, pfn);
  }

  /**
   * `atomic_inc_not_zero()` of the reference count at byte `offset` of `desc`: a reader's speculative reference
   * (`folio_try_get()`), refused (false) on a count of 0. Inside an RCU critical section it may land on a freed or
   * reused descriptor of the same kind: revalidate with `rcuRevalidate` before trusting it.
   */
  tryGetSpeculative(desc: number, offset: number): boolean {
    return tryGetSpeculative(this, desc, offset);
  }

  /** Whether `desc` still describes page `pfn` (the page's word and the descriptor's pfn agree): a reader's recheck. */
  rcuRevalidate(desc: number, pfn: number): boolean {
    return rcuRevalidate(this, desc, pfn);
  }

  // ---------------------------------------------------------------------------------------------------------
  // Fields

  /** The byte offset of a field of a kind's descriptor (the variant for `order`), for the typed accessors. */
  fieldOffset(kind: string, path: string, order = 0): number {
    return fieldOffset(this, kind, path, order);
  }

  /** Reads a field by its C path: a number for fields up to 4 bytes, a bigint for 8-byte ones. */
  readField(desc: number, path: string): number | bigint {
    return readField(this.locator, desc, path);
  }

  /** Writes a field by its C path; the value must fit the field (negative values for signed ones). */
  writeField(desc: number, path: string, value: number | bigint): void {
    writeField(this.locator, desc, path, value);
  }

  // The typed accessors and `free()` keep their bodies here: callers' loops inline a method this size, and
  // would only call a function it forwarded to.

  /** A signed 32-bit field at a byte offset (atomic_t, `_mapcount`): the typed path plugins' hot code uses. */
  readI32(desc: number, offset: number): number {
    const l = this.locator;
    l.access(desc, false);
    return l.u32[(l.byte + offset) >>> 2]! | 0;
  }

  writeI32(desc: number, offset: number, v: number): void {
    const l = this.locator;
    l.access(desc, true);
    l.u32[(l.byte + offset) >>> 2] = v >>> 0;
  }

  /** Adds to a signed 32-bit field and returns the new value (`atomic_add_return`). */
  addI32(desc: number, offset: number, delta: number): number {
    const l = this.locator;
    l.access(desc, true);
    const x = (l.byte + offset) >>> 2;
    const v = (l.u32[x]! + delta) | 0;
    l.u32[x] = v >>> 0;
    return v;
  }

  readU8(desc: number, offset: number): number {
    const l = this.locator;
    l.access(desc, false);
    return l.u8[l.byte + offset]!;
  }

  writeU8(desc: number, offset: number, v: number): void {
    const l = this.locator;
    l.access(desc, true);
    l.u8[l.byte + offset] = v;
  }

  /** An unsigned 64-bit field as a number (exact below 2^53: PFNs, pointers). */
  readU64(desc: number, offset: number): number {
    const l = this.locator;
    l.access(desc, false);
    return get64(l.u32, l.byte + offset);
  }

  writeU64(desc: number, offset: number, v: number): void {
    const l = this.locator;
    l.access(desc, true);
    put64(l.u32, l.byte + offset, v);
  }

  /**
   * For kinds' hot paths (an `init` hook): checks `desc` may be written and returns the byte offset of its first
   * byte in `view32`/`view8`, which it points at its chunk. Field `f` is then `view32[(offset + f) >>> 2]`; writes
   * must stay inside the descriptor.
   */
  viewOf(desc: number): number {
    return viewOf(this, desc);
  }

  /** A copy of a descriptor's bytes (tests, the explorer). */
  descriptorBytes(desc: number): Uint8Array {
    return descriptorBytes(this.locator, desc);
  }

  // ---------------------------------------------------------------------------------------------------------
  // Allocation

  /**
   * `memdesc_alloc_node(gfp, order, nid, size)`: allocates the descriptor first (from its kind's cache, the
   * variant for `order`, or the smallest variant holding `size` bytes), then `2^order` pages on `nid` (-1: any),
   * and points every page's word at the descriptor. If either fails nothing stays allocated and it returns 0
   * (NULL). The kind's `init` hook runs on the zeroed descriptor, then `init`'s field values are written.
   */
  memdescAllocNode(kind: string, options?: DescriptorAllocOptions): number {
    return memdescAllocNode(this, kind, options);
  }

  /**
   * The number-only allocation path (`kindId()` once, then this per allocation): the descriptor for `order`
   * from the kind's cache, the pages, the words; 0 when memory runs out.
   */
  allocDescriptor(kindId: number, order: number, nid: number, use: number): number {
    return allocDescriptor(this, kindId, order, nid, use);
  }

  /**
   * Frees a descriptor and its pages: the pages go back to the page allocator at once, and so does the descriptor
   * to its cache (SLAB_TYPESAFE_BY_RCU: reusable at once as another descriptor of its kind), or after a grace period
   * with `descriptorFree: "kfree-rcu"`. With `kind` and `order` given, they are checked as `free_pages()` would be
   * told them: a double free, a wrong order or kind, or a word that no longer points here is a MemmapError.
   */
  free(desc: number, kind?: string, order?: number): void {
    const l = this.locator;
    const o = l.locateObject(desc);
    const c = l.tlbCache;
    const meta = c.objMeta[o]!;
    const ord = (meta >>> META_ORDER_SHIFT) & 15;
    if (
      (meta & 3) !== OBJ_LIVE ||
      c === this.slabCache ||
      (kind !== undefined && kind !== c.kind) ||
      (order !== undefined && order !== ord)
    )
      refuseFree(this, desc, kind, order);
    // The descriptor's way back to its memory, and the first page's word must still point here: its address is
    // the slab's plus the object's offset.
    const sj = l.tlbSlab;
    const pfn =
      c.u32[sj >>> c.chunkShift]![((sj & c.chunkMask) * c.slabBytes + l.slabOffset + c.pfnOffset) >>> 2]!;
    const x = pfn * this.stride;
    const sp = l.tlbPfn;
    const lo = ((sp << 12) + l.slabOffset) | c.tag;
    if ((this.words[x]! | 0) !== lo || this.words[x + 1] !== DIRECT_MAP_HI + (sp >>> 20))
      refuseFree(this, desc, kind, order);
    // The counters and kfree_rcu() written out, not called: with them as calls, callers stop inlining this.
    const use = meta >>> META_USE_SHIFT;
    const cs = this.counters;
    const u = cs.stats;
    u[use]! -= 1 << ord;
    u[cs.descsAt + use]!--;
    u[cs.ordersAt + use * cs.ordersPerUse + ord]!--;
    this.pcp.freePages(pfn, ord);
    c.liveObjects--;
    if (this.deferDescriptorFrees) {
      c.objMeta[o] = (meta & ~3) | OBJ_RCU;
      c.rcuObjects++;
      this.rcu.deferObject(c.id, o);
    } else {
      // kmem_cache_free(): back on the slab's freelist now; its order and use stay for RCU readers.
      c.objMeta[o] = meta & ~3;
      doSlabFree(this, c, sj, o, o, 1);
    }
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
    return split(this, desc, newOrder, copy);
  }

  /** Allocates `2^order` pages with an inline Misc word (reserved, vmalloc, kmalloc_large …); -1 when none. */
  allocPagesMisc(
    subtype: keyof typeof miscSubtypes | number,
    order: number,
    nid = -1,
    use?: MemoryUse,
  ): number {
    return allocPagesMisc(this, subtype, order, nid, use);
  }

  /** Frees Misc pages; the word must be Misc of that order (`free_pages(addr, order)`). */
  freePagesMisc(pfn: number, order: number, use?: MemoryUse): void {
    freePagesMisc(this, pfn, order, use);
  }

  /** `kmem_cache_alloc()` of `count` objects from a workload cache; returns how many it got. */
  kmemCacheAllocBulk(cache: SlabCache, count: number, nid = -1): number {
    return kmemCacheAllocBulk(this, cache, count, nid);
  }

  /**
   * `kmem_cache_free()` of `count` random objects of a workload cache: each object equally likely, so slabs
   * empty only when every object in them goes, and the rest stay partly used (slab fragmentation).
   */
  kmemCacheFreeRandom(cache: SlabCache, count: number, random: () => number): number {
    return kmemCacheFreeRandom(this, cache, count, random);
  }

  // ---------------------------------------------------------------------------------------------------------
  // Lookup and reports

  /**
   * What a PFN is: free (its buddy block), Misc (inline order), or a descriptor's page (its kind, descriptor, head
   * PFN and order). A word whose descriptor is freed, of another kind than its tag, or not covering the page is
   * a MemmapError (USE_AFTER_FREE, KIND_MISMATCH, CORRUPT_WORD).
   */
  lookup(pfn: number): PageInfo {
    return lookup(this, pfn);
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
    return picture(this, source);
  }

  /**
   * `/proc/buddyinfo`: free blocks per order in the buddy allocator's lists, per node (one Normal zone each).
   * Pages on the per-CPU lists are not in them, as in the kernel; `zoneinfo()` counts those.
   */
  buddyinfo(): string {
    return buddyinfo(this);
  }

  /**
   * `/proc/zoneinfo`'s lines for the free pages of each node's Normal zone: `pages free` (the buddy lists,
   * NR_FREE_PAGES, which leaves the per-CPU lists out) and the simulated CPU's pageset (`count`, `high`, `batch`).
   */
  zoneinfo(): string {
    return zoneinfo(this);
  }

  /** Free blocks by node and order, as numbers. */
  buddyCounts(): number[][] {
    return buddyCounts(this);
  }

  /** The descriptors' own memory: each descriptor cache's slab pages, live objects and fragmentation. */
  descriptorMemory(): DescriptorMemory {
    return descriptorMemory(this);
  }

  /** Host memory the simulation holds: the words, the table and the descriptors' backing chunks. */
  hostBytes(): number {
    return hostBytes(this);
  }

  /** The use index of a memory use name. */
  useOf(use: MemoryUse): number {
    return this.counters.useOf(use);
  }

  // ---------------------------------------------------------------------------------------------------------
  // For the invariant check

  /** @internal The object state and pages of the descriptor at `desc`. */
  probe(desc: number): {
    cache: SlabCache;
    object: number;
    state: number;
    pfn: number;
    order: number;
    use: number;
  } {
    const l = this.locator;
    l.locate(desc);
    const c = l.cache;
    return {
      cache: c,
      object: l.object,
      state: c.stateOf(l.object),
      pfn: c.pfnOf(l.object),
      order: c.orderOf(l.object),
      use: c.useOf(l.object),
    };
  }

  /**
   * @internal The counters (`inuse | objects << 16 | frozen << 31`) and freelist address slab `j` of `cache` has
   * in its struct slab's bytes; undefined when the slab layout has no such fields.
   */
  structSlab(cache: SlabCache, j: number): { counters: number; freelist: number } | undefined {
    return this.structSlabFields.read(cache, j);
  }

  /** @internal The slab number of the last probe. */
  get probedSlab(): number {
    return this.locator.slab;
  }
}

/** Creates the simulated memmap of a registry (see `Memmap`). */
export function createMemmap<Ps extends readonly AnyDescriptor[]>(
  registry: Registry<Ps>,
  options: MemmapOptions,
): Memmap {
  return new Memmap(registry as unknown as Registry<readonly AnyDescriptor[]>, options);
}
