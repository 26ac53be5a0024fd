import type { AnyDescriptor, Registry } from "@memdesc/core";
import { MAX_PAGE_ORDER, PAGE_SIZE } from "@memdesc/core";
import { MemmapError } from "../errors.js";
import { createMemmap, type DescriptorFree, type Memmap } from "../memmap/memmap.js";
import { perform, plannedPages } from "./actions.js";
import { seededRandom } from "./random.js";
import { sample, simulationResult } from "./report.js";
import type { SimulationResult, SimulationSample } from "./result.js";
import type { ActionReport, RunState } from "./run-state.js";
import { parseWorkload, type Workload, type WorkloadInput } from "./schema.js";
import { parseSize } from "./size.js";
import { TrackedHandles } from "./tracked.js";
import { type ProvidedAction, providedActions, vocabularyOf } from "./vocabulary.js";

type AnyRegistry = Registry<readonly AnyDescriptor[]>;

export interface SimulationOptions {
  /** RAM to simulate (bytes or `"4G"`); default the workload's `memory`. */
  readonly memory?: number | string;
  readonly nodes?: number;
  /** RCU grace period, simulated ms (default 10). */
  readonly gracePeriod?: number;
  /** Overrides the workload's `descriptorFree`. */
  readonly descriptorFree?: DescriptorFree;
  /** Overrides the workload's `thp`. */
  readonly thp?: boolean;
  /** Overrides the workload's `hvo`: today's bill with the HugeTLB vmemmap optimisation. */
  readonly hvo?: boolean;
}

/** Allocations per simulated millisecond: RCU time moves on as the workload allocates. */
const UNITS_PER_MS = 256;
/** Pages of work between the points where a step may stop, so a progress bar can be drawn. */
const YIELD_PAGES = 1 << 12;

/**
 * A workload running on a simulated memmap: `step()` advances it by about `pages` pages of work and returns
 * whether it is done, so a caller can draw progress between steps; `result()` reports the bill under every
 * design after each phase, the final picture and bill, /proc/buddyinfo, and the descriptors' own memory.
 */
export class Simulation implements RunState {
  readonly memmap: Memmap;
  readonly workload: Workload;
  readonly registry: AnyRegistry;
  /** Whether today's bill has the HugeTLB vmemmap optimisation on. */
  readonly hvo: boolean;
  /** Pages of work done and the total planned (allocations; frees and splits count as their pages). */
  done = 0;
  readonly total: number;
  finished = false;
  /** @internal The run's random numbers, from the workload's seed. */
  readonly random: () => number;
  /** @internal What the actions allocated and may later free or split. */
  readonly tracked: TrackedHandles;
  /** @internal The workload actions the registry's plugins provide, by name. */
  readonly actions: ReadonlyMap<string, ProvidedAction>;
  /** @internal Warnings for the report, each once. */
  readonly warnings = new Set<string>();
  private readonly gen: Generator<void, void, void>;
  private readonly samples: SimulationSample[] = [];
  private readonly reports: ActionReport[] = [];
  private units = 0;

  constructor(registry: AnyRegistry, workload: Workload, options: SimulationOptions = {}) {
    this.registry = registry;
    this.workload = workload;
    this.actions = providedActions(registry);
    this.tracked = new TrackedHandles(registry.uses.length);
    const bytes = parseSize(options.memory ?? workload.memory, "memory");
    const pages = Math.floor(bytes / PAGE_SIZE);
    this.memmap = createMemmap(registry, {
      pages,
      nodes: options.nodes ?? workload.nodes,
      nrCpus: workload.nrCpus,
      descriptorFree: options.descriptorFree ?? workload.descriptorFree,
      thp: options.thp ?? workload.thp,
      ...(options.gracePeriod !== undefined ? { gracePeriod: options.gracePeriod } : {}),
    });
    this.hvo = options.hvo ?? workload.hvo;
    this.random = seededRandom(workload.seed);
    this.total = workload.phases.reduce(
      (s, p) => s + p.actions.reduce((t, a) => t + plannedPages(a, this.memmap.pages), 0),
      0,
    );
    this.gen = this.run();
  }

  /** Runs about `pages` pages of work; true when the workload has finished. */
  step(pages = 1 << 16): boolean {
    const until = this.done + pages;
    while (!this.finished && this.done < until) if (this.gen.next().done) this.finished = true;
    return this.finished;
  }

  /** Runs the whole workload. */
  runToEnd(): SimulationResult {
    while (!this.step()) {}
    return this.result();
  }

  /** The report of the run so far. */
  result(): SimulationResult {
    return simulationResult(
      this.registry,
      this.memmap,
      this.workload,
      this.reports,
      this.samples,
      this.warnings,
      this.hvo,
    );
  }

  /**
   * @internal `pages` pages of work done: simulated time moves on by a millisecond every UNITS_PER_MS calls, and
   * every YIELD_PAGES pages the run may stop.
   */
  *tick(pages: number): Generator<void, void, void> {
    this.done += pages;
    this.units++;
    if (this.units % UNITS_PER_MS === 0) this.memmap.rcu.advance(1);
    if (this.done % YIELD_PAGES < pages) yield;
  }

  private *run(): Generator<void, void, void> {
    for (const phase of this.workload.phases) {
      for (const action of phase.actions) {
        const report: ActionReport = {
          phase: phase.name,
          action: action.action,
          kind: null,
          requestedPages: plannedPages(action, this.memmap.pages),
          pages: 0,
          failures: 0,
        };
        this.reports.push(report);
        yield* perform(this, action, report);
      }
      this.samples.push(sample(this.registry, this.memmap, phase.name, this.hvo));
    }
  }
}

/** Starts a workload (validated first) on a fresh memmap of the registry. */
export function createSimulation<Ps extends readonly AnyDescriptor[]>(
  registry: Registry<Ps>,
  workload: Workload | WorkloadInput,
  options: SimulationOptions = {},
): Simulation {
  const w = parseWorkload(workload, vocabularyOf(registry as unknown as AnyRegistry));
  if (
    w.phases.some((p) =>
      p.actions.some((a) => "order" in a && (a as { order: number }).order > MAX_PAGE_ORDER),
    )
  )
    throw new MemmapError("BAD_ORDER", "workload orders go up to MAX_PAGE_ORDER");
  return new Simulation(registry as unknown as AnyRegistry, w, options);
}

/** Runs a workload to the end and returns its report. */
export function runWorkload<Ps extends readonly AnyDescriptor[]>(
  registry: Registry<Ps>,
  workload: Workload | WorkloadInput,
  options: SimulationOptions = {},
): SimulationResult {
  return createSimulation(registry, workload, options).runToEnd();
}
