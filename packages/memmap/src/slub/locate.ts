import { PAGE_SIZE as pageSize } from "@memdesc/core";
import { hex, MemmapError } from "../errors.js";
import type { Rcu } from "../rcu/rcu.js";
import { grown } from "../util/grow.js";
import {
  DIRECT_MAP_BASE as directMapBase,
  OBJ_LIVE as objLive,
  OBJ_RCU as objRcu,
  type SlabCache,
} from "./slab-cache.js";

// Imported bindings are live: optimized code reloads and checks them at every use. Module-level constants fold.
const PAGE_SIZE = pageSize;
const INV_PAGE_SIZE = 1 / PAGE_SIZE;
const DIRECT_MAP_BASE = directMapBase;
const OBJ_LIVE = objLive;
const OBJ_RCU = objRcu;
/** PFNs per leaf of the PFN → descriptor-slab table. */
const LEAF_SHIFT = 6;
const LEAF = 1 << LEAF_SHIFT;

/**
 * Finds a descriptor from its address: `virt_to_slab()` and `obj_to_index()`, with a two-level table from PFN to
 * descriptor slab (a leaf per 64 PFNs, made as slabs appear) standing for the slab page's word and struct slab.
 * The slab found last is remembered (a one-entry TLB: objects are freed near where others were), and what was
 * located is left in fields rather than returned, so the hot paths allocate nothing.
 */
export class DescriptorLocator {
  /** The slab found last: its cache, number, first PFN, and the address range of its pages (empty: none). */
  tlbCache!: SlabCache;
  tlbSlab = 0;
  tlbPfn = 0;
  private tlbBase = 0.5;
  private tlbEnd = 0.5;
  /** The byte offset in its slab of the object `locateObject()` found last. */
  slabOffset = 0;
  /** The object `locate()` found last: its cache, slab, number, its chunk as u32s and bytes, and its first byte. */
  cache!: SlabCache;
  slab = 0;
  object = 0;
  u32!: Uint32Array;
  u8!: Uint8Array;
  byte = 0;
  /**
   * A descriptor `access()` let through that the fields above still locate, so repeated accesses to it skip the
   * lookup (0: none). Whatever frees or moves an object resets it.
   */
  checked = 0;
  /** Bytes of the direct map: descriptor addresses lie below `DIRECT_MAP_BASE + limit`. */
  private readonly limit: number;
  /** Leaf number (1-based, 0: none) per 64 PFNs, and the leaves: `(cache id + 1) << 24 | slab` per PFN. */
  private readonly dir: Int32Array;
  private leaves = new Uint32Array(LEAF * 16);
  private leafCount = 0;
  /** The memmap's caches, by id (the array grows as caches are created). */
  private readonly caches: readonly SlabCache[];
  private readonly rcu: Rcu;

  constructor(pages: number, caches: readonly SlabCache[], rcu: Rcu) {
    this.limit = pages * PAGE_SIZE;
    this.dir = new Int32Array(Math.ceil(pages / LEAF));
    this.caches = caches;
    this.rcu = rcu;
  }

  /** Points the table at slab `j` of cache `id` for pages [pfn, pfn + 2^order), or clears them (id -1). */
  map(pfn: number, order: number, id: number, j: number): void {
    this.tlbEnd = this.tlbBase;
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

  /** Locates `desc` (throwing BAD_DESCRIPTOR if it is no object of a descriptor cache) into the fields. */
  locate(desc: number): void {
    const o = this.locateObject(desc);
    const c = this.tlbCache;
    const j = this.tlbSlab;
    this.cache = c;
    this.slab = j;
    this.object = o;
    this.u32 = c.u32[j >>> c.chunkShift]!;
    this.u8 = c.u8[j >>> c.chunkShift]!;
    this.byte = c.byteOffset(j, o - j * c.objects);
  }

  /**
   * `locate()` without the bytes: returns the object number of `desc`; its cache, slab and the slab's first PFN
   * are then `tlbCache`, `tlbSlab` and `tlbPfn`, its byte offset in the slab `slabOffset`.
   */
  locateObject(desc: number): number {
    this.checked = 0;
    // The slab found last covers most lookups: two compares.
    if (!(desc >= this.tlbBase && desc < this.tlbEnd)) this.findSlab(desc);
    const c = this.tlbCache;
    const off = desc - this.tlbBase;
    const offI = off | 0;
    // The object starting there, if one does (16-byte aligned, an integer).
    const i = c.objectAt[offI >>> 4]!;
    if (i < 0 || (offI & 15) !== 0 || offI !== off) this.badDescriptor(desc);
    this.slabOffset = offI;
    return this.tlbSlab * c.objects + i;
  }

  /**
   * Locates `desc` and checks that it may be read or written (live), or read by an RCU reader though it was freed:
   * descriptor caches are SLAB_TYPESAFE_BY_RCU, so a freed descriptor's memory stays a descriptor of its kind (free,
   * reused, or waiting for a grace period) while a reader is inside. USE_AFTER_FREE otherwise.
   */
  access(desc: number, write: boolean): void {
    if (desc === this.checked) return;
    this.locate(desc);
    const st = this.cache.objMeta[this.object]! & 3;
    if (st === OBJ_LIVE) {
      this.checked = desc;
      return;
    }
    if (!write && this.rcu.reading) return;
    throw new MemmapError(
      "USE_AFTER_FREE",
      `descriptor ${hex(desc)} (${this.cache.kind}) was freed${st === OBJ_RCU ? " and is waiting for a grace period" : ""}; only an RCU reader may still look at it`,
    );
  }

  /** Host bytes of the table. */
  get bytes(): number {
    return this.dir.byteLength + this.leaves.byteLength;
  }

  /** Finds the descriptor slab holding `desc` and remembers it; throws if none does. */
  private findSlab(desc: number): void {
    const rel = desc - DIRECT_MAP_BASE;
    if (!(rel >= 0 && rel < this.limit)) this.badDescriptor(desc);
    const v = this.entry(Math.floor(rel * INV_PAGE_SIZE));
    if (v === 0) this.badDescriptor(desc);
    const c = this.caches[(v >>> 24) - 1]!;
    const j = v & 0xffffff;
    this.tlbCache = c;
    this.tlbSlab = j;
    this.tlbPfn = c.slabPfn[j]!;
    this.tlbBase = DIRECT_MAP_BASE + this.tlbPfn * PAGE_SIZE;
    this.tlbEnd = this.tlbBase + c.slabBytes;
  }

  /** The table's entry for a PFN: 0, or the cache id + 1 and slab number. */
  private entry(pfn: number): number {
    const leaf = this.dir[pfn >>> LEAF_SHIFT]!;
    return leaf === 0 ? 0 : this.leaves[(leaf - 1) * LEAF + (pfn & (LEAF - 1))]!;
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
    const v = this.entry(p);
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
}
