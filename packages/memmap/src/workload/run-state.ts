import type { AnyDescriptor, Registry } from "@memdesc/core";
import type { Memmap } from "../memmap/memmap.js";
import type { TrackedHandles } from "./tracked.js";
import type { ProvidedAction } from "./vocabulary.js";

/** One action's line in the report. */
export interface ActionReport {
  phase: string;
  action: string;
  kind: string | null;
  requestedPages: number;
  pages: number;
  failures: number;
}

/**
 * A workload run as its actions see it: the memmap, the registry and the actions its plugins provide, the run's
 * random numbers, what it allocated, its warnings, and the clock its work moves on. `Simulation` implements it.
 */
export interface RunState {
  readonly memmap: Memmap;
  readonly registry: Registry<readonly AnyDescriptor[]>;
  readonly actions: ReadonlyMap<string, ProvidedAction>;
  readonly random: () => number;
  readonly tracked: TrackedHandles;
  readonly warnings: Set<string>;
  /** `pages` pages of work done: time moves on, and the run may stop here. */
  tick(pages: number): Generator<void, void, void>;
}
