import {
  type DescriptorContext,
  defineSimulation,
  inferred,
  kernel,
  plan,
  SimulationError,
} from "@memdesc/core";

/*
 * struct folio's behaviour in a memory simulation: the FolioAlloc initialisation, folio_get/folio_put (freed on
 * the last put), the mapcount, and splitting to a lower order. Fields are read and written as real bytes at the
 * memdesc-era layout's offsets through the context the simulator hands the kind's hooks; folios are addresses
 * (numbers).
 */

/** Byte offsets of the folio fields this module touches, per kind and machine (small and large share them). */
export interface FolioOffsets {
  readonly flags: number;
  readonly mapping: number;
  readonly index: number;
  readonly refcount: number;
  readonly mapcount: number;
  readonly pincount: number;
  readonly order: number;
  readonly pfn: number;
  /** Large folios only (-1 in a layout without them). */
  readonly largeMapcount: number;
  readonly entireMapcount: number;
  readonly nrPagesMapped: number;
  readonly nrPages: number;
}

/** What the folio hooks are handed: a folio kind's context, its state the offsets of its fields. */
export type FolioContext = DescriptorContext<FolioOffsets>;

/** The offsets of a folio kind's fields on a machine: its hooks' state, looked up once. */
function offsets(ctx: Omit<DescriptorContext, "state">): FolioOffsets {
  const at = (path: string, order: number) => ctx.offsetOf(path, order);
  const large = Math.min(1, ctx.maxOrder);
  const o: FolioOffsets = {
    flags: at("flags", 0),
    mapping: at("mapping", 0),
    index: at("index", 0),
    refcount: at("_refcount", 0),
    mapcount: at("_mapcount", 0),
    pincount: at("_pincount", 0),
    order: at("order", 0),
    pfn: at("pfn", 0),
    largeMapcount: at("_large_mapcount.counter", large),
    entireMapcount: at("_entire_mapcount.counter", large),
    nrPagesMapped: at("_nr_pages_mapped.counter", large),
    nrPages: at("_nr_pages", large),
  };
  if (o.refcount < 0 || o.mapcount < 0)
    throw new SimulationError(
      "UNKNOWN_FIELD",
      `kind ${ctx.kind} has no _refcount or _mapcount: not a folio layout`,
    );
  return o;
}

/**
 * The FolioAlloc initialisation of a new folio (docs/kernel.md, "The planned folio"): `flags` from the PFN's node
 * and zone, `pfn`, `order`, `_mapcount = -1`, `_pincount = 0`, for large folios `_entire_mapcount = -1`,
 * `_nr_pages_mapped = 0` and `_nr_pages`, and last `_refcount = 1`. The simulator zeroes the object first, so
 * `mapping`, `private` and `index` start at 0 (the kernel's `index = -1` is left out: nothing here reads it). As
 * the kind's `init` hook it gets the descriptor's bytes (`byte` in `ctx.view32`/`ctx.view8`); called on its own,
 * it finds them with `viewOf`.
 */
export function folioInit(ctx: FolioContext, folio: number, order: number, pfn: number, byte?: number): void {
  const o = ctx.state;
  // Straight into the bytes: this runs on every folio allocation.
  const b = byte ?? ctx.viewOf(folio);
  const v = ctx.view32;
  // node in bits 54.., ZONE_NORMAL (2) in bits 51..53, as in page->flags and the Misc word: the high half.
  if (o.flags >= 0)
    v[(b + o.flags + 4) >>> 2] = (ctx.nodes === 1 ? 0 : ctx.nodeOf(pfn)) * 2 ** 22 + 2 * 2 ** 19;
  if (o.order >= 0) ctx.view8[b + o.order] = order;
  v[(b + o.mapcount) >>> 2] = 0xffffffff;
  if (order > 0) {
    if (o.largeMapcount >= 0) v[(b + o.largeMapcount) >>> 2] = 0xffffffff;
    if (o.entireMapcount >= 0) v[(b + o.entireMapcount) >>> 2] = 0xffffffff;
    if (o.nrPages >= 0) v[(b + o.nrPages) >>> 2] = 2 ** order;
  }
  v[(b + o.refcount) >>> 2] = 1;
}

/** `folio_ref_count()`. */
export function folioRefCount(ctx: FolioContext, folio: number): number {
  return ctx.readI32(folio, ctx.state.refcount);
}

/** `folio_get()`: takes a reference; a folio with none left may not be revived (VM_BUG_ON_FOLIO). */
export function folioGet(ctx: FolioContext, folio: number): number {
  const o = ctx.state;
  if (ctx.readI32(folio, o.refcount) <= 0)
    throw new SimulationError(
      "REFCOUNT_UNDERFLOW",
      `folio_get() on folio 0x${folio.toString(16)} with no references left`,
    );
  return ctx.addI32(folio, o.refcount, 1);
}

/**
 * `folio_try_get()`: take a reference unless the refcount is already 0 (the folio is being freed, or is free).
 * Inside an RCU read-side critical section it may be called on a folio found through a page's word that was freed
 * and reused meanwhile (SLAB_TYPESAFE_BY_RCU keeps it a folio, maybe of other memory): the reference is then to
 * that other folio, and the caller must revalidate (`folioLookupRcu` does). Returns whether it got one.
 */
export function folioTryGet(ctx: FolioContext, folio: number): boolean {
  return ctx.tryGetSpeculative(folio, ctx.state.refcount);
}

/**
 * The lockless page-cache lookup pattern (`filemap_get_entry()`, GUP-fast): the folio of page `pfn` with a
 * reference, or 0 when the page holds no folio of `kind`. Under `rcu_read_lock()`: read the page's word, take a
 * speculative reference, and check the folio still describes the page; if it was freed and reused for other memory
 * meanwhile, drop the reference and look again.
 */
export function folioLookupRcu(ctx: FolioContext, pfn: number): number {
  ctx.rcu.readLock();
  try {
    for (;;) {
      const folio = ctx.rcuDereference(pfn);
      if (folio === 0 || ctx.kindOf(folio) !== ctx.kind) return 0;
      if (!folioTryGet(ctx, folio)) continue;
      if (ctx.rcuRevalidate(folio, pfn)) return folio;
      folioPut(ctx, folio);
    }
  } finally {
    ctx.rcu.readUnlock();
  }
}

/** `folio_put()`: drops a reference; the last one frees the folio and its pages. A put below zero is an error. */
export function folioPut(ctx: FolioContext, folio: number): void {
  const o = ctx.state;
  const r = ctx.readI32(folio, o.refcount);
  if (r <= 0)
    throw new SimulationError(
      "REFCOUNT_UNDERFLOW",
      `folio_put() on folio 0x${folio.toString(16)} whose refcount is ${r}: refcount underflow`,
    );
  if (r === 1) {
    ctx.writeI32(folio, o.refcount, 0);
    ctx.free(folio);
  } else ctx.addI32(folio, o.refcount, -1);
}

/** `folio_mapcount()`: page-table mappings of the folio (`_mapcount + 1`). */
export function folioMapcount(ctx: FolioContext, folio: number): number {
  return ctx.readI32(folio, ctx.state.mapcount) + 1;
}

/** `folio_add_*_rmap`: one more page-table mapping. */
export function folioMap(ctx: FolioContext, folio: number): number {
  return ctx.addI32(folio, ctx.state.mapcount, 1) + 1;
}

/** `folio_remove_rmap_*`: one mapping fewer; unmapping an unmapped folio is a mapcount underflow. */
export function folioUnmap(ctx: FolioContext, folio: number): number {
  const o = ctx.state;
  const c = ctx.readI32(folio, o.mapcount);
  if (c < 0)
    throw new SimulationError(
      "REFCOUNT_UNDERFLOW",
      `folio 0x${folio.toString(16)} is not mapped: mapcount underflow`,
    );
  return ctx.addI32(folio, o.mapcount, -1) + 1;
}

/** `folio_order()`, from the descriptor's `order` byte. */
export function folioOrderOf(ctx: FolioContext, folio: number): number {
  const o = ctx.state;
  return o.order >= 0 ? ctx.readU8(folio, o.order) : ctx.orderOf(folio);
}

/**
 * `split_folio_to_order()`: splits a folio into folios of `newOrder`, all or nothing. Every new descriptor is
 * allocated before anything changes (small folios need the small variant, so splitting a large folio to order 0
 * needs `2^order` new ones); if they cannot be had, nothing has changed and it returns null. Each piece gets the
 * old folio's refcount, mapcount, mapping and flags, and `index + i × 2^newOrder`.
 */
export function folioSplit(ctx: FolioContext, folio: number, newOrder: number): number[] | null {
  const o = ctx.state;
  const ref = ctx.readI32(folio, o.refcount);
  const map = ctx.readI32(folio, o.mapcount);
  const index = o.index >= 0 ? ctx.readU64(folio, o.index) : 0;
  const mapping = o.mapping >= 0 ? ctx.readU64(folio, o.mapping) : 0;
  return ctx.split(folio, newOrder, (_from, to, i) => {
    ctx.writeI32(to, o.refcount, ref);
    ctx.writeI32(to, o.mapcount, map);
    if (o.mapping >= 0) ctx.writeU64(to, o.mapping, mapping);
    if (o.index >= 0 && mapping !== 0) ctx.writeU64(to, o.index, index + i * 2 ** newOrder);
    if (o.order >= 0) ctx.writeU8(to, o.order, newOrder);
    if (o.nrPages >= 0 && newOrder > 0) ctx.writeI32(to, o.nrPages, 2 ** newOrder);
  });
}

/** What the folio plugins give the simulator: initialisation, `folio_put` for frees, and splitting. */
export const folioSimulation = defineSimulation<FolioOffsets>({
  state: offsets,
  init: folioInit,
  release: folioPut,
  split: folioSplit,
  behaviours: [
    {
      name: "folio allocation",
      what: "the descriptor from folio_small_slab or folio_large_slab, then the pages, then flags, order, _mapcount -1, _pincount 0, the large-folio counters and last _refcount 1",
      provenance: plan("kernelnewbies.org/MatthewWilcox/FolioAlloc", "last edited 2024-05-15"),
    },
    {
      name: "folio_put",
      what: "the last reference frees the folio: its pages and, at once, its descriptor",
      provenance: kernel("include/linux/mm.h (folio_put)", "6.18"),
    },
    {
      name: "folio split",
      what: "every new descriptor is allocated before anything changes; if one cannot be had the split fails and nothing changed",
      provenance: inferred(
        "the plan's rule that a descriptor buddy needs is allocated with the memory, and nothing on a free path, applied to splitting",
        "Wilcox, linux-mm design sketch, October 2021; BuddyAllocator page",
      ),
    },
  ],
});
