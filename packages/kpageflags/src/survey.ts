import { type ProcSourceOptions, procSource, rootOf } from "./read/proc.js";

export { defaultReaders } from "./read/pool.js";

import { type RawSourceOptions, rawSource } from "./read/raw.js";
import type { SystemRoot } from "./root/root.js";
import { type Survey, type SurveyOptions, survey } from "./survey-core.js";

export {
  classifierFor,
  makeSurvey,
  type Survey,
  type SurveyGrouping,
  type SurveyOptions,
  type SurveySource,
  survey,
  type UnseenEntry,
} from "./survey-core.js";

export type MachineSurveyOptions = Omit<ProcSourceOptions, "root"> &
  Omit<SurveyOptions, "root"> & {
    /** `/` (this machine, the default), a directory holding another machine's `proc/` and `sys/`, or a tree. */
    readonly root?: string | SystemRoot | undefined;
  };

/**
 * Surveys a machine: its page map (root only) and its counters, both from the same tree — this machine, or a
 * copy of another's /proc and /sys (`--root`).
 */
export async function surveyMachine(options: MachineSurveyOptions = {}): Promise<Survey> {
  const root = rootOf(options.root);
  // Progress is the survey's to report (once per batch), not the reader's too.
  const cgroups = options.cgroups ?? options.by === "cgroup";
  return survey(procSource({ ...options, root, cgroups, onProgress: undefined }), { ...options, root });
}

/** Surveys this machine (root only): {@link surveyMachine} of `/`. */
export function surveyProc(options: MachineSurveyOptions = {}): Promise<Survey> {
  return surveyMachine(options);
}

/** Surveys a raw dump (`cat /proc/kpageflags > file`): the page map alone. */
export async function surveyRaw(
  path: string,
  options: RawSourceOptions & Omit<SurveyOptions, "root"> = {},
): Promise<Survey> {
  return survey(rawSource(path, { ...options, onProgress: undefined }), options);
}
