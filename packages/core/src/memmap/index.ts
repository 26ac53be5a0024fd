export { type ReportedBehaviour, simulatedBehaviours } from "./behaviours.js";
export {
  BuddyAllocator,
  type BuddyWordFormat,
  FREE_AREA_BASE,
  PCP_LISTS_BASE,
  VMEMMAP_BASE,
} from "./buddy.js";
export { type CheckReport, check } from "./check.js";
export { MemmapError, type MemmapErrorCode } from "./errors.js";
export type {
  IommuHook,
  IommuParams,
  PageTablesHook,
  PageTablesParams,
  SimulatedBehaviour,
  SimulationHooks,
  SimulationMachine,
  SlabGeometryRequest,
  SlabGeometryResult,
  WorkloadContext,
} from "./hooks.js";
export {
  type CacheMemory,
  createMemmap,
  type DescriptorFree,
  type DescriptorMemory,
  DIRECT_MAP_BASE,
  KMEM_CACHE_BASE,
  MAX_MEMMAP_PAGES,
  Memmap,
  type MemmapOptions,
  type PageInfo,
} from "./memmap.js";
export { PCP_MAX_ORDER, PCP_THP_ORDER, type PcpSizes, PerCpuPages, pcpSizes } from "./pcp.js";
export { Rcu, type RcuSink } from "./rcu.js";
export { SlabCache } from "./slab-cache.js";
