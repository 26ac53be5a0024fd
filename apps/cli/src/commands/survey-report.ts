// What `memdesc survey` prints once the page map is read: the descriptor set composed, the bill, and the report
// in the format asked for.
import { hostname } from "node:os";
import { countedLabel, type Labels, type Survey, surveyReport } from "@memdesc/kpageflags";
import type { Context } from "../context.js";
import { surveySchemaVersion } from "../formats/identity.js";
import { displayPath } from "../io/path.js";
import { formatBill, formatWarnings } from "../output/bill.js";
import { formatAttributions, formatCrossCheck, formatGroups } from "../output/counters.js";
import { printJson } from "../output/json.js";
import { int, size } from "../output/table.js";
import { writeOutput } from "../output/write.js";
import type { SurveyOutput } from "../schemas.js";
import { memdescVersion } from "../version.js";
import { composeFrom, describeSet, hvoOption, pluginRefs } from "./shared.js";
import { descriptorSet, hostOf, machineOutput, type SurveyFormat } from "./survey-formats.js";
import type { Picked } from "./survey-source.js";

/** The survey under way, and what the report needs to know of the command line. */
export interface Surveying {
  readonly picked: Picked;
  readonly format: SurveyFormat;
  readonly labels: Labels;
  /** The read, started before this module loaded. */
  readonly survey: Promise<Survey>;
  /** Stops the read, when the descriptor set cannot be composed. */
  readonly stop: AbortController;
}

/**
 * Composes the descriptor set while the page map is read (a bad config stops the read and is reported alone),
 * then bills the survey and prints it.
 */
export async function reportSurvey(ctx: Context, opts: Record<string, unknown>, s: Surveying): Promise<void> {
  const { picked, format, labels } = s;
  // Parquet's writer loads while the page map is read; nothing else pays for it.
  const parquet = format === "parquet" ? import("../formats/parquet.js") : undefined;
  parquet?.catch(() => {});
  let comp: Awaited<ReturnType<typeof composeFrom>>;
  try {
    comp = await composeFrom(ctx.cwd, opts);
  } catch (err) {
    s.stop.abort();
    await s.survey.catch(() => {});
    throw err;
  }
  const surveyed = await s.survey;
  const report = surveyReport(surveyed, comp.registry, hvoOption(opts));
  const host = hostOf(surveyed, report.bill, picked.capture, labels);
  if (format !== "table" && format !== "json") {
    const data = await machineOutput(format, host, report.bill, parquet, {
      memdescVersion,
      sourceKind: picked.source.info.kind,
      // The machine's own tree (/, a --root copy) for a live read; the file for a snapshot or archive.
      source: picked.source.info.kind === "proc" ? (picked.root?.label ?? "/") : picked.source.info.path,
      descriptorSet: descriptorSet(comp),
    });
    return writeOutput(ctx, data);
  }
  const output: SurveyOutput = {
    schemaVersion: surveySchemaVersion,
    memdesc: memdescVersion,
    host,
    source: {
      kind: picked.source.info.kind,
      path: picked.source.info.path,
      ...(picked.root ? { root: picked.root.label } : {}),
      sample: picked.sample,
      ...(picked.sampleName !== undefined ? { sampleName: picked.sampleName } : {}),
      ...(picked.reason !== undefined ? { reason: picked.reason } : {}),
    },
    design: comp.design.name,
    plugins: pluginRefs(comp),
    ...report,
  };
  if (format === "json") return printJson(ctx, output);
  const { c } = ctx;
  const b = report.bill;
  let out = "";
  if (picked.reason)
    out += `${c.yellow("note:")} ${picked.reason}; surveying the sample snapshot shipped with memdesc\n`;
  const ram = `${size(b.ramBytes)} of RAM (${int(b.ramPages)} pages of ${size(b.pageSize)} in ${int(surveyed.pfnCount)} PFNs)`;
  out += `${c.bold("memdesc survey")}: ${describeSource(surveyed, picked, ctx.cwd)}: ${ram}\n`;
  out += `plugins: ${describeSet(comp)}\n\n`;
  const counted = Object.fromEntries(Object.entries(surveyed.billed).map(([u, t]) => [u, countedLabel(t)]));
  out += formatBill(b, comp.design.name, c, counted);
  if (report.groups) out += `\n${formatGroups(report.groups, comp.design.name, c)}`;
  const attributed = formatAttributions(surveyed, c);
  if (attributed) out += `\n${attributed}`;
  const checked = formatCrossCheck(report.crossCheck, c);
  if (checked) out += `\n${checked}`;
  const notes: string[] = [];
  const anomalies = Object.entries(surveyed.anomalies.counts).filter(([, n]) => n > 0);
  if (anomalies.length > 0)
    notes.push(`anomalies in the page map: ${anomalies.map(([k, n]) => `${int(n)} ${k}`).join(", ")}`);
  notes.push(...surveyed.notes);
  out += `\n${formatWarnings(b.warnings, c)}`;
  const unreadable = surveyed.kernel?.unreadable ?? [];
  if (unreadable.length > 0) {
    out += `could not read:\n`;
    for (const u of unreadable) out += `  ${u.path}: ${u.why}\n`;
  }
  if (surveyed.unseen.length > 0) {
    out += `cannot be seen:\n`;
    for (const u of surveyed.unseen)
      out += `  ${u.use}: ${u.why}; counted in ${u.countedAs.join(" or ")}${u.counter ? ` (${u.counter})` : ""}\n`;
  }
  for (const n of notes) out += `note: ${n}\n`;
  ctx.out(out);
}

function describeSource(s: Survey, picked: Picked, cwd: string): string {
  const src = s.source;
  const kernel = [src.kernelRelease && `Linux ${src.kernelRelease}`, src.machine].filter(Boolean).join(" ");
  if (src.kind === "proc" && picked.root?.label !== "/")
    return `${displayPath(src.path, cwd)}, a copy of another machine${kernel ? ` (${kernel})` : ""}`;
  if (src.kind === "proc") return `${src.path} on ${hostname()}${kernel ? ` (${kernel})` : ""}`;
  const what = picked.sample
    ? `sample snapshot ${picked.sampleName},`
    : src.kind === "snapshot"
      ? "snapshot"
      : src.kind === "archive"
        ? "capture archive"
        : "raw dump";
  const when = src.capturedAt ? `, captured ${src.capturedAt.replace(/\.\d+Z$/, "Z")}` : "";
  return `${what} ${displayPath(src.path, cwd)}${kernel ? ` (${kernel}${when})` : when}`;
}
