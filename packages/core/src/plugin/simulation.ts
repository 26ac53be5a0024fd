import type { z } from "zod";
import type { MemoryUse } from "../bill/uses.js";
import { MemdescError, type MemdescErrorData } from "../errors.js";
import type { Provenance } from "../provenance/provenance.js";

/*
 * What a descriptor plugin may tell a simulator about its kind, through the optional `simulation` member of its
 * manifest, and what the simulator hands its hooks: one context per kind and simulated machine
 * (`DescriptorContext`), as a web framework hands a handler one request context and not its internals. The
 * contract names no simulator; `@memdesc/memmap` implements it.
 */

/** What a simulation's debug checks (the kernel's VM_BUG_ON and debug_pagealloc) and argument checks report. */
export type SimulationErrorCode =
  | "BAD_OPTIONS"
  | "NO_WORD"
  | "NO_SLAB_KIND"
  | "BUDDY_PAYLOAD"
  | "BAD_PFN"
  | "BAD_ORDER"
  | "BAD_NODE"
  | "UNKNOWN_KIND"
  | "INLINE_KIND"
  | "DESCRIPTOR_SIZE"
  | "BAD_DESCRIPTOR"
  | "DOUBLE_FREE"
  | "WRONG_ORDER"
  | "WRONG_KIND"
  | "USE_AFTER_FREE"
  | "REFCOUNT_UNDERFLOW"
  | "KIND_MISMATCH"
  | "CORRUPT_WORD"
  | "UNKNOWN_FIELD"
  | "FIELD_VALUE"
  | "RCU_DEADLOCK"
  | "RCU_UNBALANCED"
  | "RCU_UNLOCKED"
  | "STALE_DESCRIPTOR"
  | "NO_WAY_BACK"
  | "SLAB_LIMIT"
  | "ACTION_CONFLICT"
  | "INVARIANT";

/**
 * A misuse of simulated memory (a double free, a refcount underflow, a write to another kind's descriptor) or a
 * broken invariant: what a simulator and the hooks it runs throw.
 */
export class SimulationError extends MemdescError {
  declare readonly code: SimulationErrorCode;
  constructor(code: SimulationErrorCode, detail: string | MemdescErrorData) {
    super(code, detail);
  }
}

/** A cache the simulator is about to create, as `kmem_cache_create()` would be asked for it. */
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

/** A behaviour a simulator models, and whether it is the kernel's, the plan's, inferred or a proposal. */
export interface SimulatedBehaviour {
  readonly name: string;
  readonly what: string;
  readonly provenance: Provenance;
}

/** RCU as hooks use it: read-side critical sections and callbacks after a grace period. */
export interface RcuContext {
  /** Simulated time, ms. */
  readonly now: number;
  /** `rcu_read_lock()`. */
  readLock(): void;
  /** `rcu_read_unlock()`. */
  readUnlock(): void;
  /** `call_rcu()`: runs `fn` once every reader that might still see the object has left. */
  callRcu(fn: () => void): void;
  /** `synchronize_rcu()`: waits a grace period, running what was due. */
  synchronize(): void;
}

/** What `alloc` takes: `memdesc_alloc_node(gfp, order, nid, size)` and the use the pages count as. */
export interface DescriptorAllocOptions {
  readonly order?: number;
  /** The node to allocate on (-1, the default: any). */
  readonly nid?: number;
  /** The smallest variant holding this many bytes (`sizeof(struct ioptdesc)`), instead of the one for `order`. */
  readonly size?: number;
  /** The memory use the pages count as (default: the kind's first). */
  readonly use?: MemoryUse;
  /** Field values written after `init`, by C path. */
  readonly init?: Readonly<Record<string, number | bigint>>;
}

/**
 * What a kind's simulation hooks may do on the simulated memory: allocate, free and split descriptors of their
 * own kind; read any descriptor and write their own kind's, as real bytes at their layout's offsets; ask what a
 * page or a descriptor is; use RCU; and keep their kind's own `state` on this machine, of the type their hooks'
 * `state()` makes. Descriptors are addresses (numbers, 0 is NULL) and pages PFNs, so hooks allocate no objects.
 */
export interface DescriptorContext<State = unknown> {
  /** The kind these hooks serve here (one plugin's hooks may serve several kinds: folio and anon). */
  readonly kind: string;
  /** This kind's own state on this machine, made once by the hooks' `state()`. */
  readonly state: State;
  /** Pages of simulated RAM. */
  readonly pages: number;
  readonly nodes: number;
  readonly maxOrder: number;
  /** The NUMA node of a page. */
  nodeOf(pfn: number): number;
  /** `page_address()`: a page's address in the direct map, where tables carved from it live. */
  pageAddress(pfn: number): number;
  /** `virt_to_pfn()`: the page a direct-map address is in, or -1 for one outside simulated RAM. */
  virtToPfn(virt: number): number;
  readonly rcu: RcuContext;

  /**
   * `memdesc_alloc_node()` of a descriptor of this kind: the descriptor first, then `2^order` pages, every page's
   * word pointed at it, `init` run on it; 0 (NULL) when either cannot be had, and then nothing stays allocated.
   */
  alloc(options?: DescriptorAllocOptions): number;
  /** Frees a descriptor of this kind and its pages (`order`, when given, is checked as `free_pages()` would). */
  free(desc: number, order?: number): void;
  /**
   * Splits an allocation of this kind into `2^(order - newOrder)` of `newOrder`, all or nothing (null when a new
   * descriptor cannot be had); `copy(from, to, index)` fills each new descriptor before the old one is freed.
   */
  split(
    desc: number,
    newOrder: number,
    copy?: (from: number, to: number, index: number) => void,
  ): number[] | null;
  /** The byte offset of a field of this kind's descriptor (the variant for `order`), or -1 when it has none. */
  offsetOf(path: string, order?: number): number;
  /** The size in bytes of this kind's descriptor for an allocation of `order` made for `use`. */
  sizeOf(order?: number, use?: MemoryUse): number;

  /** Whether `desc` is a live descriptor. */
  isLive(desc: number): boolean;
  /** The kind of a descriptor (also of a freed one an RCU reader still holds). */
  kindOf(desc: number): string;
  /** The first PFN of a descriptor's memory: what its way-back field holds. */
  pfnOf(desc: number): number;
  /** The order of the allocation a live descriptor describes. */
  orderOf(desc: number): number;
  /** The descriptor a page's word points at, or 0 for free and inline pages. */
  pageDescriptor(pfn: number): number;

  /** A signed 32-bit field at a byte offset of a descriptor (`atomic_t`, `_mapcount`). */
  readI32(desc: number, offset: number): number;
  writeI32(desc: number, offset: number, v: number): void;
  /** Adds to a signed 32-bit field and returns the new value (`atomic_add_return`). */
  addI32(desc: number, offset: number, delta: number): number;
  readU8(desc: number, offset: number): number;
  writeU8(desc: number, offset: number, v: number): void;
  /** An unsigned 64-bit field as a number (exact below 2^53: PFNs, pointers). */
  readU64(desc: number, offset: number): number;
  writeU64(desc: number, offset: number, v: number): void;
  /** A field by its C path: a number for fields up to 4 bytes, a bigint for 8-byte ones. */
  readField(desc: number, path: string): number | bigint;
  writeField(desc: number, path: string, value: number | bigint): void;
  /**
   * For hot paths: checks `desc` (of this kind) may be written and returns the offset of its first byte in
   * `view32`/`view8`, which it points at the descriptor's memory. Field `f` is `view32[(offset + f) >>> 2]`.
   */
  viewOf(desc: number): number;
  readonly view32: Uint32Array;
  readonly view8: Uint8Array;

  /** `rcu_dereference(page->memdesc)` inside `rcu.readLock()`: the descriptor page `pfn` points at, or 0. */
  rcuDereference(pfn: number): number;
  /**
   * `atomic_inc_not_zero()` of the count at byte `offset` of `desc`: a reader's speculative reference, refused on
   * 0. Inside a read-side critical section it may land on a reused descriptor: revalidate before trusting it.
   */
  tryGetSpeculative(desc: number, offset: number): boolean;
  /** Whether `desc` still describes page `pfn`: a reader's recheck after a speculative reference. */
  rcuRevalidate(desc: number, pfn: number): boolean;
}

/** What a workload action's `run` gets: its kind's context, and the run's amount, node and random numbers. */
export interface ActionContext<State = unknown> extends DescriptorContext<State> {
  /** The memory use the action's pages count as. */
  readonly use: MemoryUse;
  /** The node to allocate on (-1: any). */
  readonly nid: number;
  /** The action's amount in bytes (its `share` of RAM or its `size`; 0 for an action that takes none). */
  readonly bytes: number;
  /** Uniform in [0, 1), from the workload's seed. */
  random(): number;
  /** Remembers a descriptor the workload may later free (`reclaim`) or split. */
  track(desc: number): void;
  /** Pages of the action's use allocated now. */
  usePages(): number;
  /** Counts an allocation that failed (the machine is full), with a line for the report. */
  failed(what: string): void;
}

/**
 * A workload action a plugin contributes: its name in workload files, the parameters its zod schema takes (a
 * workload adds `action`, `nid` and, when `amount` says what it means, `share` or `size`), and what it does.
 */
export interface WorkloadActionDefinition<
  S extends z.ZodObject = z.ZodObject,
  // biome-ignore lint/suspicious/noExplicitAny: a hook's state type is the plugin's own
  State = any,
> {
  /** `pagetables`: lower-case letters, digits and dashes. */
  readonly name: string;
  /** What it allocates, in a sentence. */
  readonly description: string;
  /** The memory use its pages count as; the plugin must describe it. */
  readonly use: MemoryUse;
  /** What `share` or `size` measures for this action (`"virtual memory each process maps"`); none without. */
  readonly amount?: string;
  /** Its own parameters. */
  readonly schema: S;
  /** Parameters that make a small run of it (with `share` or `size` when it takes an amount), for tests and docs. */
  readonly example: Readonly<Record<string, unknown>>;
  readonly run: (ctx: ActionContext<State>, params: z.output<S>) => void;
}

/** The simulation hooks a descriptor plugin may give in its manifest's `simulation` member. */
// biome-ignore lint/suspicious/noExplicitAny: a hook's state type is the plugin's own
export interface SimulationHooks<State = any> {
  /** The behaviours these hooks model, each with its source: shown in a simulation's report. */
  readonly behaviours?: readonly SimulatedBehaviour[];
  /** Makes the kind's state on a new simulated machine (field offsets looked up once, allocator bookkeeping). */
  readonly state?: (ctx: Omit<DescriptorContext<undefined>, "state">) => State;
  /** SLUB geometry for every cache the simulator creates (the slab plugin's `calculate_sizes`/`calculate_order`). */
  readonly slabGeometry?: (cache: SlabGeometryRequest, machine: SimulationMachine) => SlabGeometryResult;
  /**
   * The field of this kind's descriptor where a freed object keeps its free pointer (`freeptr_offset`): one RCU
   * readers never trust, so the object stays its rounded size. Default: the word at offset 8.
   */
  readonly freePointer?: string;
  /**
   * Sets up a new, zeroed descriptor for pages [pfn, pfn + 2^order) (folio: refcount 1, mapcount -1, …). It runs on
   * every allocation, so it gets the bytes directly: `ctx.view32`/`ctx.view8` hold the descriptor, whose first byte
   * is at `byte`.
   */
  readonly init?: (
    ctx: DescriptorContext<State>,
    desc: number,
    order: number,
    pfn: number,
    byte: number,
  ) => void;
  /** Drops the workload's reference (`folio_put`); without it, the descriptor and its pages are freed. */
  readonly release?: (ctx: DescriptorContext<State>, desc: number) => void;
  /** Splits to a lower order, all or nothing: the pieces' descriptors, or null when they cannot be had. */
  readonly split?: (
    ctx: DescriptorContext<State>,
    desc: number,
    newOrder: number,
  ) => readonly number[] | null;
  /** Workload actions the kind carries out itself (`pagetables`, `iommu`). */
  readonly actions?: readonly WorkloadActionDefinition<z.ZodObject, State>[];
}

/** Types a plugin's simulation hooks, their state type inferred from `state()`. */
export function defineSimulation<State = undefined>(hooks: SimulationHooks<State>): SimulationHooks<State> {
  return hooks;
}

/** Types a workload action, its parameters inferred from its schema. */
export function defineAction<S extends z.ZodObject, State = unknown>(
  action: WorkloadActionDefinition<S, State>,
): WorkloadActionDefinition<S, State> {
  return action;
}
