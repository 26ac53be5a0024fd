import { billSchema, pictureSchema, provenanceSchema } from "@memdesc/core";
import { z } from "zod";

const count = z.number().int().nonnegative();

const descriptorTotals = z.object({
  slabPages: count.describe("Slab pages holding descriptors (and their struct slabs)"),
  usedBytes: count.describe("Bytes of live descriptors"),
  allocatedBytes: count.describe("Bytes of those slab pages"),
  fragmentation: z.number().describe("1 - used / allocated"),
});

/** One point of a run's history: the bill under every design after a phase. */
export const simulationSampleSchema = z.object({
  phase: z.string(),
  /** Simulated time, ms. */
  time: z.number().nonnegative(),
  freePages: count,
  pages: z.record(z.string(), count).describe("Pages per memory use"),
  designs: z.array(
    z.object({
      design: z.string(),
      total: count,
      entries: count,
      descriptors: count,
      percentOfRam: z.number(),
    }),
  ),
  descriptorMemory: descriptorTotals,
});

const cacheMemory = z.object({
  name: z.string(),
  kind: z.string(),
  variant: z.string(),
  objectSize: count,
  stride: count,
  order: count,
  objectsPerSlab: count,
  slabs: count,
  slabPages: count,
  liveObjects: count,
  rcuObjects: count,
  usedBytes: count,
  allocatedBytes: count,
});

/** What a workload run reports. */
export const simulationResultSchema = z.object({
  workload: z.object({
    name: z.string(),
    description: z.string(),
    models: z.string().optional(),
    seed: z.number().int(),
  }),
  machine: z.object({
    pages: count,
    bytes: count,
    nodes: count,
    maxOrder: count,
    nrCpus: count,
    design: z.string().describe("The design the memmap was simulated in"),
    entryBytes: count,
    descriptorFree: z
      .enum(["typesafe-by-rcu", "kfree-rcu"])
      .describe("How freed descriptors were given back (SLAB_TYPESAFE_BY_RCU, or kfree_rcu)"),
    thp: z.boolean().describe("CONFIG_TRANSPARENT_HUGEPAGE: order 9 on the per-CPU lists"),
    hvo: z.boolean().describe("Today's bill with the HugeTLB vmemmap optimisation"),
  }),
  behaviours: z
    .array(
      z.object({
        name: z.string(),
        what: z.string(),
        provenance: provenanceSchema,
        by: z.string().describe("Who models it: @memdesc/memmap or a plugin's package"),
      }),
    )
    .describe("What the simulation models, each with its source (kernel, plan, inferred or proposal)"),
  actions: z.array(
    z.object({
      phase: z.string(),
      action: z.string(),
      kind: z.string().nullable().describe("The kind that did the work (null: untyped pages)"),
      requestedPages: count,
      pages: count.describe("Pages allocated (or freed, for reclaim)"),
      failures: count,
    }),
  ),
  samples: z.array(simulationSampleSchema),
  picture: pictureSchema,
  bill: billSchema,
  buddyinfo: z.object({ text: z.string(), counts: z.array(z.array(count)) }),
  descriptorMemory: descriptorTotals.extend({ caches: z.array(cacheMemory) }),
  rcu: z.object({ now: z.number().nonnegative(), pending: count }),
  allocFailures: count,
  warnings: z.array(z.string()),
});

export type SimulationResult = z.input<typeof simulationResultSchema>;
export type SimulationSample = z.input<typeof simulationSampleSchema>;
