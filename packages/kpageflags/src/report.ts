import {
  type AnyDescriptor,
  type BillOptions,
  bill,
  billSchema,
  pictureSchema,
  type Registry,
} from "@memdesc/core";
import { z } from "zod";
import { type CrossCheckRow, crossCheck } from "./account/crosscheck.js";
import { surveyBill } from "./bill.js";
import { pictureUses, surveyLabel, surveyPicture } from "./picture.js";
import { surveySchema } from "./schema.js";
import type { Survey } from "./survey.js";

const count = z.number().int().nonnegative();

export const crossCheckRowSchema = z
  .object({
    what: z.string(),
    unit: z.enum(["pages", "slabs", "folios", "bytes"]),
    pageMap: count.describe("what the page map (or the bill made from it) says"),
    kernel: count.describe("what the kernel's counter says"),
    counter: z.string(),
    file: z.string(),
    difference: z.number().int().describe("pageMap − kernel"),
    percent: z.number().nullable().describe("the difference as a percentage of the kernel's figure"),
    agrees: z.boolean().describe("within 1 %"),
    churn: count.optional().describe("how far the counter moved while the page map was read"),
    reason: z.string().optional().describe("why the two cannot agree exactly"),
  })
  .strict();

/** Each group's bill: its RAM and what it costs under every design. */
export const groupBillsSchema = z
  .object({
    by: z.enum(["node", "zone", "cgroup"]),
    rows: z.array(
      z
        .object({
          label: z.string(),
          ramPages: count,
          designs: z.array(
            z.object({ design: z.string(), total: count, savingVsToday: z.number().int() }).strict(),
          ),
        })
        .strict(),
    ),
  })
  .strict();

/** The JSON a survey-and-bill run prints: the survey, its picture and bill, the cross-check, the groups' bills. */
export const surveyReportSchema = z
  .object({
    survey: surveySchema,
    picture: pictureSchema,
    bill: billSchema,
    crossCheck: z.array(crossCheckRowSchema).describe("the page map against the kernel's counters"),
    groups: groupBillsSchema.optional(),
  })
  .strict();

export type SurveyReport = z.output<typeof surveyReportSchema>;

/**
 * Survey, picture, bill, the cross-check against the kernel's counters (today's memmap taken from the bill)
 * and, when the survey was split, each group's bill, as one JSON-ready object.
 */
export function surveyReport<Ps extends readonly AnyDescriptor[]>(
  survey: Survey,
  registry: Registry<Ps>,
  options: BillOptions = {},
): SurveyReport {
  const b = surveyBill(survey, registry, options);
  const today = b.designs.find((d) => d.design === "today");
  const hvo = survey.hugetlb?.hvo;
  const groups = survey.groups && {
    by: survey.groups.by,
    rows: survey.groups.rows.map((g) => {
      const gb = bill(
        registry,
        {
          pageSize: survey.pageSize,
          source: `${surveyLabel(survey)}: ${g.label}`,
          ...(typeof hvo === "boolean" ? { hvo } : {}),
          uses: pictureUses(g.billed),
        },
        // As the whole survey's bill (surveyBill): a use no composed plugin declares is noted, not refused.
        { unknownUses: "warn", ...options },
      );
      return {
        label: g.label,
        ramPages: gb.ramPages,
        designs: gb.designs.map((d) => ({
          design: d.design,
          total: d.total,
          savingVsToday: d.savingVsToday,
        })),
      };
    }),
  };
  return {
    survey: JSON.parse(JSON.stringify(survey)) as SurveyReport["survey"],
    picture: surveyPicture(survey) as SurveyReport["picture"],
    bill: b,
    crossCheck: crossCheck(survey, today?.total, b.hvo) as CrossCheckRow[],
    ...(groups ? { groups } : {}),
  };
}

/** JSON Schema of {@link surveyReport}'s output, from the zod schemas (`z.toJSONSchema`). */
export function surveyReportJsonSchema(): Record<string, unknown> {
  return z.toJSONSchema(surveyReportSchema, { io: "output" }) as Record<string, unknown>;
}
