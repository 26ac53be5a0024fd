import { z } from "zod";
import { vmstatCounters } from "./counters/kernel.js";
import type { HugetlbState } from "./hugetlb.js";
import { type BilledUse, billedUses, countedUses, surveyUses, unseenUses } from "./uses.js";

const count = z.number().int().nonnegative();
const use = z.enum(surveyUses);
const perUse = <T extends z.ZodType>(t: T) =>
  z.object(Object.fromEntries(surveyUses.map((u) => [u, t])) as Record<(typeof surveyUses)[number], T>);
const perBilledUse = <T extends z.ZodType>(t: T) =>
  z.object(Object.fromEntries(billedUses.map((u) => [u, t])) as Record<BilledUse, T>);
const counterRef = z.object({ counter: z.string(), file: z.string() }).strict();
const partial = <K extends string>(keys: readonly K[]) =>
  z
    .object(
      Object.fromEntries(keys.map((k) => [k, count.optional()])) as Record<K, z.ZodOptional<typeof count>>,
    )
    .strict();

const useTallySchema = z.object({
  pages: count.describe("PFNs used this way"),
  descriptors: count.describe("descriptors the memdesc design allocates: one per folio, slab or page table"),
  orders: z.array(count).describe("orders[k]: descriptors of order k (a run of 2^k pages)"),
});

const anomalyKind = z.enum(["orphan-tail", "not-power-of-two", "misaligned", "lonely-head"]);

const billedTallySchema = useTallySchema
  .extend({
    counted: z
      .union([z.literal("pfn"), counterRef])
      .describe(
        '"pfn": classified PFN by PFN from the page map; otherwise the counter the pages were attributed from',
      ),
    descriptorsFrom: counterRef
      .optional()
      .describe("where the descriptor count comes from when not the page map"),
  })
  .strict();

const attributionSchema = z
  .object({
    use: z.enum(countedUses),
    counter: z.string(),
    file: z.string(),
    counted: count.describe(
      "pages the counter says: the midpoint of its readings before and after the page map",
    ),
    taken: z.array(z.object({ from: use, pages: count, descriptors: count }).strict()),
    short: count.describe(
      "pages the counter names that the page map had no more of in the uses they can be in",
    ),
  })
  .strict();

const freeBlocks = z.object({ node: count, zone: z.string(), blocks: z.array(count) }).strict();

const groupKey = z.discriminatedUnion("kind", [
  z.object({ kind: z.literal("node"), node: count }).strict(),
  z.object({ kind: z.literal("zone"), node: count, zone: z.string() }).strict(),
  z.object({ kind: z.literal("cgroup"), inode: count }).strict(),
  z.object({ kind: z.literal("other"), what: z.string() }).strict(),
]);

/** The kernel's counters as a survey keeps them (`Survey.kernel`). */
export const kernelCountersSchema = z
  .object({
    read: z.array(z.string()),
    unreadable: z.array(z.object({ path: z.string(), why: z.string() }).strict()),
    release: z.string().optional(),
    arch: z.string().optional(),
    hostname: z.string().optional().describe("/proc/sys/kernel/hostname, when the tree has it"),
    vmstat: partial(Object.keys(vmstatCounters) as (keyof typeof vmstatCounters)[]).optional(),
    vmstatAfter: partial(Object.keys(vmstatCounters) as (keyof typeof vmstatCounters)[]).optional(),
    meminfo: partial([
      "MemTotal",
      "MemFree",
      "KernelStack",
      "VmallocUsed",
      "Percpu",
      "SecPageTables",
    ]).optional(),
    zones: z
      .array(
        z
          .object({
            node: count,
            zone: z.string(),
            startPfn: count.optional(),
            spanned: count,
            present: count,
            managed: count,
            free: count,
            pcpPages: count,
            zspages: count.optional(),
          })
          .strict(),
      )
      .optional(),
    nodes: z
      .array(
        z
          .object({
            node: count,
            stats: partial(["nr_iommu_pages", "nr_slab_reclaimable", "nr_slab_unreclaimable"]),
          })
          .strict(),
      )
      .optional(),
    buddy: z.array(freeBlocks).optional(),
    pagetype: z
      .object({
        pageblockOrder: count,
        free: z.array(freeBlocks.extend({ type: z.string(), capped: z.array(count) }).strict()),
      })
      .strict()
      .optional(),
    slabinfo: z
      .array(
        z
          .object({
            name: z.string(),
            activeObjs: count,
            numObjs: count,
            objSize: count,
            objPerSlab: count,
            pagesPerSlab: count,
            activeSlabs: count,
            numSlabs: count,
          })
          .strict(),
      )
      .optional(),
    hugetlb: z
      .array(z.object({ kB: count, total: count, free: count, reserved: count, surplus: count }).strict())
      .optional(),
    hugetlbOptimizeVmemmap: count.optional(),
    thp: z
      .array(z.object({ kB: count, nrAnon: count, nrAnonPartiallyMapped: count.optional() }).strict())
      .optional(),
    cgroups: z
      .object({
        version: z.enum(["v1", "v2"]),
        mountPoint: z.string(),
        truncated: z.boolean(),
        paths: z.array(z.object({ inode: count, path: z.string() }).strict()),
      })
      .strict()
      .optional(),
  })
  .strict();

/** What a survey knows of HugeTLB beyond kpageflags: HVO on or off, and the pools (hugetlb.ts). */
export const hugetlbStateSchema = z
  .object({
    /** `hugetlb_optimize_vmemmap`: on, off, or null when unknown (no such sysctl, or not read). */
    hvo: z.boolean().nullable(),
    /** Where `hvo` was read. */
    hvoPath: z.string(),
    /** Each hugetlb pool: its page size, order, pages (`nr_hugepages`) and free pages. */
    pools: z.array(
      z.object({
        sizeKiB: z.number().int().positive(),
        order: z.number().int().positive(),
        pages: z.number().int().nonnegative(),
        free: z.number().int().nonnegative(),
      }),
    ),
  })
  .strict();

// What the schema accepts is a HugetlbState (typechecked here; hugetlb.ts stays free of zod for the survey).
const _hugetlbAgrees: HugetlbState = {} as z.output<typeof hugetlbStateSchema>;
void _hugetlbAgrees;

/** The JSON form of a {@link Survey}: what `JSON.stringify(survey)` gives. */
export const surveySchema = z
  .object({
    source: z.object({
      kind: z.enum(["proc", "raw", "snapshot", "archive"]),
      path: z.string(),
      kernelRelease: z.string().optional(),
      machine: z.string().optional(),
      capturedAt: z.string().optional(),
      files: z.object({ kpageflags: z.literal(true), kpagecount: z.boolean(), kpagecgroup: z.boolean() }),
    }),
    pageSize: z.number().int().positive(),
    sectionPfns: z.number().int().positive(),
    startPfn: count,
    pfnCount: count,
    uses: perUse(useTallySchema),
    flagWords: z.array(z.object({ flags: z.string().regex(/^0x[0-9a-f]{16}$/), pages: count })),
    quirks: z.object({
      slabAnon: count,
      reportedFree: count,
      tails: count,
      tailsDiffering: count,
      holesReadingZero: count,
      nopage: count,
      zeroInRam: count,
      unknownBits: count,
      unknownBitList: z.array(z.number().int().min(0).max(63)),
    }),
    anomalies: z.object({
      counts: z.record(anomalyKind, count),
      examples: z.array(z.object({ kind: anomalyKind, pfn: count, pages: count, flags: z.string() })),
    }),
    ram: z.object({ known: z.boolean(), pagesInSpan: count, flaggedOutsideRam: count }),
    mapcount: z
      .object({ mappedPages: perUse(count), mappings: perUse(count), freeButMapped: count })
      .optional(),
    cgroups: z
      .object({ chargedPages: count, byInode: z.array(z.object({ inode: count, pages: count })) })
      .optional(),
    kernel: kernelCountersSchema.optional().describe("the kernel's counters, read around the page map"),
    billed: perBilledUse(billedTallySchema).describe(
      "the uses a bill prices: the page map's, after the attributions",
    ),
    attributions: z.array(attributionSchema),
    groups: z
      .object({
        by: z.enum(["node", "zone", "cgroup"]),
        rows: z.array(
          z
            .object({
              key: groupKey,
              label: z.string(),
              billed: perBilledUse(billedTallySchema),
              attributions: z.array(attributionSchema),
              freeBlocksTrimmed: count,
            })
            .strict(),
        ),
      })
      .strict()
      .optional(),
    unseen: z.array(
      z.object({
        use: z.enum(Object.keys(unseenUses) as [keyof typeof unseenUses, ...(keyof typeof unseenUses)[]]),
        why: z.string(),
        countedAs: z.array(use),
        counter: z
          .string()
          .optional()
          .describe("the counter that would show it, and why it could not be read"),
      }),
    ),
    notes: z.array(z.string()),
    hugetlb: hugetlbStateSchema.optional(),
  })
  .strict();

export type SurveyJson = z.output<typeof surveySchema>;

/** The survey's JSON Schema, published for consumers of `--json` output. */
export function surveyJsonSchema(): Record<string, unknown> {
  return z.toJSONSchema(surveySchema, { io: "output" }) as Record<string, unknown>;
}
