import type { AnyDescriptor, DescriptorAllocOptions, Registry, SimulationHooks } from "@memdesc/core";
import type { BuddyAllocator } from "../page-alloc/buddy.js";
import type { PerCpuPages } from "../page-alloc/pcp.js";
import type { Rcu } from "../rcu/rcu.js";
import type { RcuReaders } from "../rcu/readers.js";
import type { DescriptorLocator } from "../slub/locate.js";
import type { SlabCache } from "../slub/slab-cache.js";
import type { StructSlabFields } from "../slub/struct-slab.js";
import type { UseCounters } from "./counters.js";
import type { KindTable } from "./kinds.js";

/**
 * A simulated memmap's state as the modules that do its work see it: `Memmap` holds it and implements this, and
 * those modules (allocation, SLUB, splitting, lookups, reports) are plain functions of it, so they need not know
 * the facade that calls them.
 */
export interface MemmapState {
  readonly registry: Registry<readonly AnyDescriptor[]>;
  readonly pages: number;
  readonly nodes: number;
  readonly maxOrder: number;
  readonly nrCpus: number;
  /** u32 halves per page entry (entryBytes / 4); the word is the first two. */
  readonly stride: number;
  readonly words: Uint32Array;
  readonly buddy: BuddyAllocator;
  readonly pcp: PerCpuPages;
  readonly rcu: Rcu;
  readonly readers: RcuReaders;
  readonly deferDescriptorFrees: boolean;
  /** Every cache: the struct-slab cache first, then the descriptor caches, then workload caches. */
  readonly caches: SlabCache[];
  readonly slabCache: SlabCache;
  allocFailures: number;
  readonly buddyTag: number;
  readonly miscTag: number;
  readonly slabTag: number;
  readonly usePages: Float64Array;
  readonly useDescriptors: Float64Array;
  readonly useOrders: Float64Array;
  /** Pages of descriptor caches' slabs (the descriptors' own memory). */
  metaPages: number;
  /** The chunk holding the descriptor last given to `viewOf()`, as u32s and as bytes. */
  view32: Uint32Array;
  view8: Uint8Array;
  readonly kindTable: KindTable;
  readonly counters: UseCounters;
  readonly locator: DescriptorLocator;
  readonly structSlabFields: StructSlabFields;
  /** SLUB's geometry for the caches the memmap creates (a plugin's, or the fallback). */
  readonly slabGeometry: NonNullable<SimulationHooks["slabGeometry"]>;
  /** Misc words packed once per node, subtype and order. */
  readonly miscWords: Map<number, number>;
  /** Free pages: in the buddy allocator's lists and on the per-CPU lists. */
  readonly freePageCount: number;
  /** The descriptor a page's word points at, or 0 for free and inline pages. */
  pageDescriptor(pfn: number): number;
  /** `memdesc_alloc_node()` (see `Memmap.memdescAllocNode`). */
  memdescAllocNode(kind: string, options?: DescriptorAllocOptions): number;
  /** Frees a descriptor and its pages (see `Memmap.free`). */
  free(desc: number, kind?: string, order?: number): void;
  /** Splits an allocation (see `Memmap.split`). */
  split(
    desc: number,
    newOrder: number,
    copy?: (from: number, to: number, index: number) => void,
  ): number[] | null;
}
