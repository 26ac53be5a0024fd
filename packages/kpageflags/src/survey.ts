import { type ProcSourceOptions, procSource } from "./read/proc.js";
import { type RawSourceOptions, rawSource } from "./read/raw.js";
import { type Survey, type SurveyOptions, survey } from "./survey-core.js";

export {
  classifierFor,
  makeSurvey,
  type Survey,
  type SurveyOptions,
  type SurveySource,
  survey,
  type UnseenEntry,
} from "./survey-core.js";

/** Surveys this machine's /proc/kpageflags (root only). */
export function surveyProc(options: ProcSourceOptions & SurveyOptions = {}): Promise<Survey> {
  return survey(procSource(options), options);
}

/** Surveys a raw dump (`cat /proc/kpageflags > file`). */
export function surveyRaw(path: string, options: RawSourceOptions & SurveyOptions = {}): Promise<Survey> {
  return survey(rawSource(path, options), options);
}
