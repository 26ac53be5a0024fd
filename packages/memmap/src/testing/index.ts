/**
 * `@memdesc/memmap/testing`: the simulation invariants a descriptor plugin with simulation hooks should keep, as
 * conformance checks like `@memdesc/core/testing`'s.
 */
export { type SimulationConformanceOptions, simulationConformance } from "./conformance.js";
