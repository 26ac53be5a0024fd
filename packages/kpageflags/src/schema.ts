import { z } from "zod";
import { hugetlbStateSchema } from "./hugetlb.js";
import { surveyUses, unseenUses } from "./uses.js";

const count = z.number().int().nonnegative();
const use = z.enum(surveyUses);
const perUse = <T extends z.ZodType>(t: T) =>
  z.object(Object.fromEntries(surveyUses.map((u) => [u, t])) as Record<(typeof surveyUses)[number], T>);

const useTallySchema = z.object({
  pages: count.describe("PFNs used this way"),
  descriptors: count.describe("descriptors the memdesc design allocates: one per folio, slab or page table"),
  orders: z.array(count).describe("orders[k]: descriptors of order k (a run of 2^k pages)"),
});

const anomalyKind = z.enum(["orphan-tail", "not-power-of-two", "misaligned", "lonely-head"]);

/** The JSON form of a {@link Survey}: what `JSON.stringify(survey)` gives. */
export const surveySchema = z
  .object({
    source: z.object({
      kind: z.enum(["proc", "raw", "snapshot"]),
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
    unseen: z.array(
      z.object({
        use: z.enum(Object.keys(unseenUses) as [keyof typeof unseenUses, ...(keyof typeof unseenUses)[]]),
        why: z.string(),
        countedAs: z.array(use),
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
