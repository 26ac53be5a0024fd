import type { SurveyGrouping } from "@memdesc/kpageflags";
import type { Context } from "../context.js";
import { surveyFormat } from "./survey-formats.js";
import { labelsOption, pickSource, runSurvey } from "./survey-source.js";

/**
 * `memdesc survey`: this machine's page map (or a snapshot, capture or raw dump), classified and billed. The
 * read starts first, on reader threads; what composes and prints the bill (zod, the plugins, the formats) is
 * loaded while it runs.
 */
export default async function surveyCommand(ctx: Context, opts: Record<string, unknown>): Promise<void> {
  const by = opts.by as SurveyGrouping | undefined;
  const format = surveyFormat(opts);
  const labels = labelsOption(opts);
  const picked = await pickSource(ctx, opts, by);
  const stop = new AbortController();
  const survey = runSurvey(picked, by, ctx, stop.signal);
  survey.catch(() => {});
  const { reportSurvey } = await import("./survey-report.js");
  return reportSurvey(ctx, opts, { picked, format, labels, survey, stop });
}
