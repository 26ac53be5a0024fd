/**
 * `@memdesc/memmap`: a simulated memmap of a registry's design (core's simulation contract, implemented) and the
 * workload runner that drives it, with the actions plugins add.
 */
export { MemmapError, type MemmapErrorCode } from "./errors.js";
export { type ReportedBehaviour, simulatedBehaviours } from "./memmap/behaviours.js";
export { type CheckReport, check } from "./memmap/check.js";
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
} from "./memmap/memmap.js";
export {
  BuddyAllocator,
  type BuddyWordFormat,
  FREE_AREA_BASE,
  PCP_LISTS_BASE,
  VMEMMAP_BASE,
} from "./page-alloc/buddy.js";
export { PCP_MAX_ORDER, PCP_THP_ORDER, type PcpSizes, PerCpuPages, pcpSizes } from "./page-alloc/pcp.js";
export { Rcu, type RcuSink } from "./rcu/rcu.js";
export { SlabCache } from "./slub/slab-cache.js";
export { type ActionRun, actionContext } from "./workload/action-context.js";
export { seededRandom } from "./workload/random.js";
export {
  type SimulationResult,
  type SimulationSample,
  simulationResultSchema,
  simulationSampleSchema,
} from "./workload/result.js";
export { createSimulation, runWorkload, Simulation, type SimulationOptions } from "./workload/runner.js";
export {
  type BuiltinAction,
  builtinActionNames,
  type PluginAction,
  parseWorkload,
  sizeSchema,
  type Workload,
  type WorkloadAction,
  type WorkloadInput,
  type WorkloadVocabulary,
  workloadActionSchema,
  workloadJsonSchemaFor,
  workloadSchema,
  workloadSchemaFor,
} from "./workload/schema.js";
export { formatSize, parseSize } from "./workload/size.js";
export { type ProvidedAction, providedActions, vocabularyOf } from "./workload/vocabulary.js";
