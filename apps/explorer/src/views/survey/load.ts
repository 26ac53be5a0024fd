import {
  maxSnapshotBytes,
  maxSurveyJsonBytes,
  type SampleInfo,
  type Survey,
  snapshotMagic,
  surveySchema,
} from "@memdesc/kpageflags/browser";
import type { Analysis } from "../../workers/analyze.js";
import { analyzeInWorker, LoadError } from "./worker-client.js";

/** What the Survey view shows: a snapshot (survey and page map) or a survey read from JSON (no page map). */
export type Loaded =
  | {
      readonly kind: "snapshot";
      readonly name: string;
      /** The shipped sample this is, if it is one. */
      readonly sample: SampleInfo | undefined;
      readonly analysis: Analysis;
      readonly survey: Survey;
    }
  | {
      readonly kind: "json";
      readonly name: string;
      readonly sample: undefined;
      readonly from: string;
      readonly survey: Survey;
      /** The packages the file says it was billed with (`memdesc survey --json` lists them). */
      readonly plugins: readonly string[] | undefined;
    };

const hint =
  "load a snapshot made by `memdesc capture` (.mdsnap), the JSON `memdesc survey --json` prints, or the sample";

/**
 * A survey from JSON text: the output of `memdesc survey --json` (or `surveyReport`), whose `survey` member is
 * used, or a survey on its own. Validated with kpageflags' `surveySchema`; a bad file gets one message naming
 * the file and the first field that is wrong.
 */
export function surveyFromJson(
  text: string,
  name: string,
): { survey: Survey; from: string; plugins: readonly string[] | undefined } {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (err) {
    throw new LoadError("BAD_JSON", `${name}: not JSON (${(err as Error).message})`, hint);
  }
  const wrapped = typeof json === "object" && json !== null && !Array.isArray(json) && "survey" in json;
  const value = wrapped ? (json as { survey: unknown }).survey : json;
  const parsed = surveySchema.safeParse(value);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    const path = [...(wrapped ? ["survey"] : []), ...issue.path.map(String)];
    const where = path.length ? `field ${path.join(".")}` : "the top level";
    const more =
      parsed.error.issues.length > 1 ? ` (and ${parsed.error.issues.length - 1} more problems)` : "";
    throw new LoadError(
      "BAD_SURVEY",
      `${name}: not a memdesc survey: ${where}: ${issue.message}${more}`,
      hint,
    );
  }
  const listed = wrapped ? (json as { plugins?: unknown }).plugins : undefined;
  const plugins = Array.isArray(listed)
    ? listed.flatMap((p) => (typeof p?.package === "string" ? [p.package as string] : []))
    : undefined;
  return {
    survey: parsed.data as unknown as Survey,
    from: wrapped ? "the survey in `memdesc survey --json` output" : "a survey",
    plugins,
  };
}

const startsWith = (bytes: Uint8Array, text: string) =>
  bytes.length >= text.length && [...text].every((ch, i) => bytes[i] === ch.charCodeAt(0));

/** `1.5 GiB` for a limit message. */
const gib = (n: number) =>
  n >= 1 << 30 ? `${(n / (1 << 30)).toFixed(1)} GiB` : `${(n / (1 << 20)).toFixed(1)} MiB`;

/**
 * Refuses, before it is read, a file larger than any input the page takes: the CLI's limits (from
 * @memdesc/kpageflags), so a file that `memdesc survey` refuses is refused here too.
 */
export function checkFileSize(size: number, name: string): void {
  if (size > maxSnapshotBytes)
    throw new LoadError(
      "TOO_BIG",
      `${name}: ${gib(size)}, more than the ${gib(maxSnapshotBytes)} a snapshot or survey can be`,
      hint,
    );
}

/**
 * Loads a file's bytes: a snapshot (by its magic) goes to the worker, anything else must be survey JSON.
 * Aborting `signal` cancels a snapshot's decode.
 */
export async function loadBytes(
  bytes: ArrayBuffer,
  name: string,
  sample?: SampleInfo,
  signal?: AbortSignal,
): Promise<Loaded> {
  checkFileSize(bytes.byteLength, name);
  const head = new Uint8Array(bytes, 0, Math.min(bytes.byteLength, 16));
  if (startsWith(head, snapshotMagic)) {
    const analysis = await analyzeInWorker(bytes, name, signal);
    return { kind: "snapshot", name, sample, analysis, survey: analysis.survey };
  }
  if (bytes.byteLength === 0) throw new LoadError("EMPTY", `${name}: the file is empty`, hint);
  if (bytes.byteLength > maxSurveyJsonBytes)
    throw new LoadError(
      "TOO_BIG",
      `${name}: ${gib(bytes.byteLength)}, more than the ${gib(maxSurveyJsonBytes)} a survey JSON can be`,
      hint,
    );
  let text: string;
  try {
    text = new TextDecoder("utf-8", { fatal: true }).decode(bytes);
  } catch {
    throw new LoadError(
      "UNKNOWN_FORMAT",
      `${name}: neither a memdesc snapshot (it does not start with "${snapshotMagic}") nor JSON text`,
      hint,
    );
  }
  if (!/^\s*[{[]/.test(text))
    throw new LoadError(
      "UNKNOWN_FORMAT",
      `${name}: neither a memdesc snapshot (it does not start with "${snapshotMagic}") nor JSON`,
      hint,
    );
  const { survey, from, plugins } = surveyFromJson(text, name);
  return { kind: "json", name, sample: undefined, from, survey, plugins };
}
