import { inferred, kernel, type Memmap, MemmapError, plan, type SimulationHooks } from "@memdesc/core";

/*
 * struct folio's behaviour in the memmap simulator: the FolioAlloc initialisation, folio_get/folio_put (freed on
 * the last put), the mapcount, and splitting to a lower order. Fields are read and written as real bytes at the
 * memdesc-era layout's offsets through core's memmap; folios are addresses (numbers).
 */

/** Byte offsets of the folio fields this module touches, per memmap and kind (small and large share them). */
interface Offsets {
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

/** The offsets of a folio kind on a memmap, looked up once and kept in the kind's scratch space there. */
function offsets(m: Memmap, kind: string, state: Record<string, unknown> = m.kindState(kind)): Offsets {
  const known = state.folioOffsets as Offsets | undefined;
  if (known) return known;
  const at = (path: string, order: number) => {
    try {
      return m.fieldOffset(kind, path, order);
    } catch {
      return -1;
    }
  };
  const large = Math.min(1, m.maxOrder);
  const o: Offsets = {
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
    throw new MemmapError("UNKNOWN_FIELD", `kind ${kind} has no _refcount or _mapcount: not a folio layout`);
  state.folioOffsets = o;
  return o;
}

const of = (m: Memmap, folio: number) => offsets(m, m.kindOfDescriptor(folio));

/**
 * The FolioAlloc initialisation of a new folio (docs/kernel.md, "The planned folio"): `flags` from the PFN's node and zone,
 * `pfn`, `order`, `_mapcount = -1`, `_pincount = 0`, for large folios `_entire_mapcount = -1`,
 * `_nr_pages_mapped = 0` and `_nr_pages`, and last `_refcount = 1`. The memmap zeroes the object first, so
 * `mapping`, `private` and `index` start at 0 (the kernel's `index = -1` is left out: nothing here reads it).
 * As the memmap's `init` hook it gets the descriptor's bytes (`byte` in `m.view32`/`m.view8`); called on its own,
 * it finds them with `viewOf`.
 */
export function folioInit(
  m: Memmap,
  folio: number,
  order: number,
  pfn: number,
  kind?: string,
  state?: Record<string, unknown>,
  byte?: number,
): void {
  const o =
    (state?.folioOffsets as Offsets | undefined) ?? offsets(m, kind ?? m.kindOfDescriptor(folio), state);
  // Straight into the bytes: this runs on every folio allocation.
  const b = byte ?? m.viewOf(folio);
  const v = m.view32;
  // node in bits 54.., ZONE_NORMAL (2) in bits 51..53, as in page->flags and the Misc word: the high half.
  if (o.flags >= 0)
    v[(b + o.flags + 4) >>> 2] = (m.nodes === 1 ? 0 : m.buddy.nodeOf(pfn)) * 2 ** 22 + 2 * 2 ** 19;
  if (o.order >= 0) m.view8[b + o.order] = order;
  v[(b + o.mapcount) >>> 2] = 0xffffffff;
  if (order > 0) {
    if (o.largeMapcount >= 0) v[(b + o.largeMapcount) >>> 2] = 0xffffffff;
    if (o.entireMapcount >= 0) v[(b + o.entireMapcount) >>> 2] = 0xffffffff;
    if (o.nrPages >= 0) v[(b + o.nrPages) >>> 2] = 2 ** order;
  }
  v[(b + o.refcount) >>> 2] = 1;
}

/** `folio_ref_count()`. */
export function folioRefCount(m: Memmap, folio: number): number {
  return m.readI32(folio, of(m, folio).refcount);
}

/** `folio_get()`: takes a reference; a folio with none left may not be revived (VM_BUG_ON_FOLIO). */
export function folioGet(m: Memmap, folio: number): number {
  const o = of(m, folio);
  if (m.readI32(folio, o.refcount) <= 0)
    throw new MemmapError(
      "REFCOUNT_UNDERFLOW",
      `folio_get() on folio 0x${folio.toString(16)} with no references left`,
    );
  return m.addI32(folio, o.refcount, 1);
}

/**
 * `folio_try_get()`: take a reference unless the refcount is already 0 (the folio is being freed, or is free).
 * Inside an RCU read-side critical section it may be called on a folio found through a page's word that was freed
 * and reused meanwhile (SLAB_TYPESAFE_BY_RCU keeps it a folio, maybe of other memory): the reference is then to
 * that other folio, and the caller must revalidate (`folioLookupRcu` does). Returns whether it got one.
 */
export function folioTryGet(m: Memmap, folio: number): boolean {
  return m.tryGetSpeculative(folio, offsets(m, m.kindOfDescriptor(folio)).refcount);
}

/**
 * The lockless page-cache lookup pattern (`filemap_get_entry()`, GUP-fast): the folio of page `pfn` with a
 * reference, or 0 when the page holds no folio of `kind`. Under `rcu_read_lock()`: read the page's word, take a
 * speculative reference, and check the folio still describes the page; if it was freed and reused for other memory
 * meanwhile, drop the reference and look again.
 */
export function folioLookupRcu(m: Memmap, pfn: number, kind = "folio"): number {
  m.rcu.readLock();
  try {
    for (;;) {
      const folio = m.rcuDereference(pfn);
      if (folio === 0 || m.kindOfDescriptor(folio) !== kind) return 0;
      if (!folioTryGet(m, folio)) continue;
      if (m.rcuRevalidate(folio, pfn)) return folio;
      folioPut(m, folio);
    }
  } finally {
    m.rcu.readUnlock();
  }
}

/** `folio_put()`: drops a reference; the last one frees the folio and its pages. A put below zero is an error. */
export function folioPut(m: Memmap, folio: number): void {
  const o = of(m, folio);
  const r = m.readI32(folio, o.refcount);
  if (r <= 0)
    throw new MemmapError(
      "REFCOUNT_UNDERFLOW",
      `folio_put() on folio 0x${folio.toString(16)} whose refcount is ${r}: refcount underflow`,
    );
  if (r === 1) {
    m.writeI32(folio, o.refcount, 0);
    m.free(folio);
  } else m.addI32(folio, o.refcount, -1);
}

/** `folio_mapcount()`: page-table mappings of the folio (`_mapcount + 1`). */
export function folioMapcount(m: Memmap, folio: number): number {
  return m.readI32(folio, of(m, folio).mapcount) + 1;
}

/** `folio_add_*_rmap`: one more page-table mapping. */
export function folioMap(m: Memmap, folio: number): number {
  return m.addI32(folio, of(m, folio).mapcount, 1) + 1;
}

/** `folio_remove_rmap_*`: one mapping fewer; unmapping an unmapped folio is a mapcount underflow. */
export function folioUnmap(m: Memmap, folio: number): number {
  const o = of(m, folio);
  const c = m.readI32(folio, o.mapcount);
  if (c < 0)
    throw new MemmapError(
      "REFCOUNT_UNDERFLOW",
      `folio 0x${folio.toString(16)} is not mapped: mapcount underflow`,
    );
  return m.addI32(folio, o.mapcount, -1) + 1;
}

/** `folio_order()`, from the descriptor's `order` byte. */
export function folioOrderOf(m: Memmap, folio: number): number {
  const o = of(m, folio);
  return o.order >= 0 ? m.readU8(folio, o.order) : m.descriptorOrder(folio);
}

/**
 * `split_folio_to_order()`: splits a folio into folios of `newOrder`, all or nothing. Every new descriptor is
 * allocated before anything changes (small folios need the small variant, so splitting a large folio to order 0
 * needs `2^order` new ones); if they cannot be had, nothing has changed and it returns null. Each piece gets the
 * old folio's refcount, mapcount, mapping and flags, and `index + i × 2^newOrder`.
 */
export function folioSplit(m: Memmap, folio: number, newOrder: number): number[] | null {
  const kind = m.kindOfDescriptor(folio);
  const o = offsets(m, kind);
  const ref = m.readI32(folio, o.refcount);
  const map = m.readI32(folio, o.mapcount);
  const index = o.index >= 0 ? m.readU64(folio, o.index) : 0;
  const mapping = o.mapping >= 0 ? m.readU64(folio, o.mapping) : 0;
  return m.split(folio, newOrder, (_from, to, i) => {
    m.writeI32(to, o.refcount, ref);
    m.writeI32(to, o.mapcount, map);
    if (o.mapping >= 0) m.writeU64(to, o.mapping, mapping);
    if (o.index >= 0 && mapping !== 0) m.writeU64(to, o.index, index + i * 2 ** newOrder);
    if (o.order >= 0) m.writeU8(to, o.order, newOrder);
    if (o.nrPages >= 0 && newOrder > 0) m.writeI32(to, o.nrPages, 2 ** newOrder);
  });
}

/** What the folio plugins give the simulator: initialisation, `folio_put` for frees, and splitting. */
export const folioSimulation: SimulationHooks = {
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
};
