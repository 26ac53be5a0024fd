import type { AnyDescriptor, Registry } from "@memdesc/core";
import { bill, PAGE_SIZE } from "@memdesc/core";
import { simulatedBehaviours } from "../memmap/behaviours.js";
import type { Memmap } from "../memmap/memmap.js";
import type { SimulationResult, SimulationSample } from "./result.js";
import type { ActionReport } from "./run-state.js";
import type { Workload } from "./schema.js";

type AnyRegistry = Registry<readonly AnyDescriptor[]>;

/** The bill under every design and the descriptors' own memory now, after phase `phase`. */
export function sample(registry: AnyRegistry, m: Memmap, phase: string, hvo: boolean): SimulationSample {
  const picture = m.picture();
  const b = bill(registry, picture, { hvo });
  const dm = m.descriptorMemory();
  const pages: Record<string, number> = {};
  for (const [use, e] of Object.entries(picture.uses)) if (e) pages[use] = e.pages;
  return {
    phase,
    time: m.rcu.now,
    freePages: m.freePageCount,
    pages,
    designs: b.designs.map((d) => ({
      design: d.design,
      total: d.total,
      entries: d.entries,
      descriptors: d.descriptors,
      percentOfRam: d.percentOfRam,
    })),
    descriptorMemory: {
      slabPages: dm.slabPages,
      usedBytes: dm.usedBytes,
      allocatedBytes: dm.allocatedBytes,
      fragmentation: dm.fragmentation,
    },
  };
}

/**
 * The report of a run so far: the machine, each action's pages and failures, the samples, the final picture and
 * bill, /proc/buddyinfo, the descriptors' own memory, the behaviours modelled with their sources, and warnings (the
 * bill's, and every action that ran out).
 */
export function simulationResult(
  registry: AnyRegistry,
  m: Memmap,
  w: Workload,
  reports: readonly ActionReport[],
  samples: SimulationSample[],
  runWarnings: ReadonlySet<string>,
  hvo: boolean,
): SimulationResult {
  const picture = { ...m.picture(`simulation of ${w.name}`), hvo };
  const b = bill(registry, picture);
  const dm = m.descriptorMemory();
  const warnings = [...runWarnings, ...b.warnings];
  for (const r of reports)
    if (r.failures > 0)
      warnings.push(
        `${r.phase}: ${r.action} had ${r.failures} failed allocations (memory ran out or is fragmented)`,
      );
  return {
    workload: {
      name: w.name,
      description: w.description,
      ...(w.models ? { models: w.models } : {}),
      seed: w.seed,
    },
    machine: {
      pages: m.pages,
      bytes: m.pages * PAGE_SIZE,
      nodes: m.nodes,
      maxOrder: m.maxOrder,
      nrCpus: m.nrCpus,
      design: registry.design.name,
      entryBytes: registry.design.entryBytes,
      descriptorFree: m.deferDescriptorFrees ? "kfree-rcu" : "typesafe-by-rcu",
      thp: m.thp,
      hvo,
    },
    behaviours: simulatedBehaviours(m),
    actions: reports.map((r) => ({ ...r })),
    samples,
    picture: { pageSize: PAGE_SIZE, ...picture },
    bill: b,
    buddyinfo: { text: m.buddyinfo(), counts: m.buddyCounts() },
    descriptorMemory: {
      slabPages: dm.slabPages,
      usedBytes: dm.usedBytes,
      allocatedBytes: dm.allocatedBytes,
      fragmentation: dm.fragmentation,
      caches: [...dm.caches],
    },
    rcu: { now: m.rcu.now, pending: m.rcu.pending },
    allocFailures: m.allocFailures,
    warnings,
  };
}
