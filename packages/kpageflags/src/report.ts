import {
  type AnyDescriptor,
  type BillOptions,
  billSchema,
  pictureSchema,
  type Registry,
} from "@memdesc/core";
import { z } from "zod";
import { surveyBill } from "./bill.js";
import { surveyPicture } from "./picture.js";
import { surveySchema } from "./schema.js";
import type { Survey } from "./survey.js";

/** The JSON a survey-and-bill run prints: the survey, the picture it reduces to, and the bill. */
export const surveyReportSchema = z
  .object({
    survey: surveySchema,
    picture: pictureSchema,
    bill: billSchema,
  })
  .strict();

export type SurveyReport = z.output<typeof surveyReportSchema>;

/** Survey, picture and bill in one JSON-ready object. */
export function surveyReport<Ps extends readonly AnyDescriptor[]>(
  survey: Survey,
  registry: Registry<Ps>,
  options: BillOptions = {},
): SurveyReport {
  return {
    survey: JSON.parse(JSON.stringify(survey)) as SurveyReport["survey"],
    picture: surveyPicture(survey) as SurveyReport["picture"],
    bill: surveyBill(survey, registry, options),
  };
}

/** JSON Schema of {@link surveyReport}'s output, from the zod schemas (`z.toJSONSchema`). */
export function surveyReportJsonSchema(): Record<string, unknown> {
  return z.toJSONSchema(surveyReportSchema, { io: "output" }) as Record<string, unknown>;
}
