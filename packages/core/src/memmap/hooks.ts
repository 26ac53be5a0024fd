import type { MemoryUse } from "../bill/uses.js";
import type { Provenance } from "../provenance/provenance.js";
import type { Memmap } from "./memmap.js";

/*
 * What a descriptor plugin tells the simulator about its kind, through the optional `simulation` member of its
 * manifest. Core cannot import plugins, so the slab plugin's SLUB arithmetic, the folio's refcounting and the
 * page-table and IOMMU plugins' workloads reach the memmap and the workload runner this way, by kind.
 */

/** A cache the memmap is about to create, as `kmem_cache_create()` would be asked for it. */
export interface SlabGeometryRequest {
  readonly name: string;
  /** `s->object_size`. */
  readonly objectSize: number;
  /** The alignment asked for (the design's descriptor alignment for descriptor caches). */
  readonly align: number;
  readonly typesafeByRcu: boolean;
  /** `kmem_cache_args.freeptr_offset`, when the free pointer may live inside the object. */
  readonly freeptrOffset?: number;
}

/** The machine the caches are sized for. */
export interface SimulationMachine {
  /** `num_present_cpus()`: SLUB's minimum objects per slab grows with it. */
  readonly nrCpus: number;
  readonly maxOrder: number;
  readonly pageSize: number;
}

/** SLUB's answer: the stride between objects, the slab order and objects per slab. */
export interface SlabGeometryResult {
  readonly size: number;
  readonly order: number;
  readonly objects: number;
}

/** What a workload hands a kind's action hook. */
export interface WorkloadContext {
  readonly memmap: Memmap;
  /** The kind doing the work (the owner of the action's memory use). */
  readonly kind: string;
  readonly use: MemoryUse;
  /** Uniform in [0, 1), from the workload's seed. */
  random(): number;
  /** The node to allocate on (-1: any). */
  readonly nid: number;
  /** Remembers a descriptor the workload may later free, split or reclaim. */
  track(desc: number): void;
  /** Pages of this use allocated so far, and the action's target. */
  readonly target: number;
  pages(): number;
  /** Counts an allocation that failed (the machine is full). */
  failed(what: string): void;
}

/** Page tables for processes: `processes` address spaces, each mapping `bytes` with leaves of the given sizes. */
export interface PageTablesParams {
  readonly processes: number;
  readonly bytes: number;
  /** Share of each process's mapping by leaf size (4k needs PTE tables, 2m PMD tables, 1g PUD tables). */
  readonly leaves: Readonly<Record<"4k" | "2m" | "1g", number>>;
  readonly levels: 4 | 5;
  /** Split page-table pages into this many fragments (powerpc PTE_FRAG_NR); 1 on x86-64. */
  readonly fragments: number;
}

/** IOMMU page tables: `domains` domains mapping `bytes` each, tables of these sizes by share. */
export interface IommuParams {
  readonly domains: number;
  readonly bytes: number;
  /** Table sizes in bytes (256 = 1/16 page, 1024 = 1/4 page, 4096 …) and their share of tables. */
  readonly tableSizes: Readonly<Record<string, number>>;
  /** Share of tables unmapped again, freed as one iommu_pages_list after an IOTLB flush. */
  readonly unmap: number;
}

export type PageTablesHook = (ctx: WorkloadContext, params: PageTablesParams) => void;
export type IommuHook = (ctx: WorkloadContext, params: IommuParams) => void;

/** A behaviour the simulator models, and whether it is the kernel's, the plan's, inferred or a proposal. */
export interface SimulatedBehaviour {
  readonly name: string;
  readonly what: string;
  readonly provenance: Provenance;
}

/** The simulation hooks a descriptor plugin may give in its manifest's `simulation` member. */
export interface SimulationHooks {
  /** The behaviours these hooks model, each with its source: shown in `memdesc simulate`'s report. */
  readonly behaviours?: readonly SimulatedBehaviour[];
  /** SLUB geometry for every cache the memmap creates (the slab plugin's `calculate_sizes`/`calculate_order`). */
  readonly slabGeometry?: (cache: SlabGeometryRequest, machine: SimulationMachine) => SlabGeometryResult;
  /**
   * The field of this kind's descriptor where a freed object keeps its free pointer (`freeptr_offset`): one RCU
   * readers never trust, so the object stays its rounded size. Default: the word at offset 8.
   */
  readonly freePointer?: string;
  /**
   * Sets up a new, zeroed descriptor of `kind` for pages [pfn, pfn + 2^order) (folio: refcount 1, mapcount -1,
   * …). It runs on every allocation, so it gets the bytes directly: `memmap.view32`/`view8` are pointed at the
   * descriptor's chunk and `byte` is its first byte there (what `memmap.viewOf(desc)` would return).
   */
  readonly init?: (
    memmap: Memmap,
    desc: number,
    order: number,
    pfn: number,
    kind: string,
    /** Per-kind scratch space on this memmap (`memmap.kindState(kind)`), for offsets looked up once. */
    state: Record<string, unknown>,
    byte: number,
  ) => void;
  /** Drops the workload's reference (`folio_put`); the default frees the descriptor and its pages. */
  readonly release?: (memmap: Memmap, desc: number) => void;
  /** Splits to a lower order, all or nothing: the pieces' descriptors, or null when they cannot be had. */
  readonly split?: (memmap: Memmap, desc: number, newOrder: number) => readonly number[] | null;
  /** Workload actions the kind carries out itself. */
  readonly actions?: {
    readonly pagetables?: PageTablesHook;
    readonly iommu?: IommuHook;
  };
}
