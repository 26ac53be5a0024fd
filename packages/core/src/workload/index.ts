export { preset, presets } from "./presets.js";
export { seededRandom } from "./random.js";
export {
  type SimulationResult,
  type SimulationSample,
  simulationResultSchema,
  simulationSampleSchema,
} from "./result.js";
export { createSimulation, runWorkload, Simulation, type SimulationOptions } from "./runner.js";
export {
  parseWorkload,
  sizeSchema,
  type Workload,
  type WorkloadAction,
  type WorkloadInput,
  workloadActionSchema,
  workloadSchema,
} from "./schema.js";
export { formatSize, parseSize } from "./size.js";
