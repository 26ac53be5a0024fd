import { closeSync, openSync } from "node:fs";
import { hostname } from "node:os";
import { resolve } from "node:path";
import {
  classifierFor,
  makeSurvey,
  type PageMapSource,
  procSource,
  rawSource,
  readSnapshot,
  type Survey,
  sampleSnapshotPath,
  surveyReport,
} from "@memdesc/kpageflags";
import { displayPath } from "../config/load.js";
import type { Context } from "../context.js";
import { UserError } from "../errors.js";
import { formatBill, formatWarnings } from "../output/bill.js";
import { printJson } from "../output/json.js";
import { startProgress } from "../output/progress.js";
import { int, size } from "../output/table.js";
import type { SurveyOutput } from "../schemas.js";
import { composeFrom, describeSet, pluginRefs } from "./shared.js";

interface Picked {
  readonly source: PageMapSource;
  readonly sample: boolean;
  /** Why the sample stands in for this machine. */
  readonly reason: string | undefined;
}

/** `memdesc survey`: this machine's page map (or a snapshot or raw dump), classified and billed. */
export default async function surveyCommand(ctx: Context, opts: Record<string, unknown>): Promise<void> {
  const picked = pickSource(ctx, opts);
  // Compose first: a bad config should fail before a long read.
  const comp = await composeFrom(ctx.cwd, opts);
  const survey = await runSurvey(picked.source, ctx);
  const report = surveyReport(survey, comp.registry);
  const output: SurveyOutput = {
    source: {
      kind: picked.source.info.kind,
      path: picked.source.info.path,
      sample: picked.sample,
      ...(picked.reason !== undefined ? { reason: picked.reason } : {}),
    },
    design: comp.design.name,
    plugins: pluginRefs(comp),
    ...report,
  };
  if (ctx.json) return printJson(ctx, output);

  const { c } = ctx;
  const b = report.bill;
  let out = "";
  if (picked.reason)
    out += `${c.yellow("note:")} ${picked.reason}; surveying the sample snapshot shipped with memdesc\n`;
  const ram = `${size(b.ramBytes)} of RAM (${int(b.ramPages)} pages of ${size(b.pageSize)} in ${int(survey.pfnCount)} PFNs)`;
  out += `${c.bold("memdesc survey")}: ${describeSource(survey, picked, ctx.cwd)}: ${ram}\n`;
  out += `plugins: ${describeSet(comp)}\n\n`;
  out += formatBill(b, comp.design.name, c);
  const notes: string[] = [];
  const anomalies = Object.entries(survey.anomalies.counts).filter(([, n]) => n > 0);
  if (anomalies.length > 0)
    notes.push(`anomalies in the page map: ${anomalies.map(([k, n]) => `${int(n)} ${k}`).join(", ")}`);
  notes.push(...survey.notes);
  out += `\n${formatWarnings(b.warnings, c)}`;
  if (survey.unseen.length > 0) {
    out += `cannot be seen from kpageflags:\n`;
    for (const u of survey.unseen) out += `  ${u.use}: ${u.why}; counted in ${u.countedAs.join(" or ")}\n`;
  }
  for (const n of notes) out += `note: ${n}\n`;
  ctx.out(out);
}

function pickSource(ctx: Context, opts: Record<string, unknown>): Picked {
  const chosen = ["snapshot", "raw", "sample"].filter((k) => opts[k] !== undefined);
  if (chosen.length > 1)
    throw new UserError(
      `--${chosen[0]} and --${chosen[1]} both name a page map`,
      "give one of --snapshot FILE, --raw FILE and --sample",
    );
  for (const k of ["iomem", "startPfn"])
    if (opts[k] !== undefined && opts.raw === undefined)
      throw new UserError(
        `--${k === "iomem" ? "iomem" : "start-pfn"} goes with --raw`,
        "snapshots and /proc carry their own PFN range and /proc/iomem ranges",
      );
  if (typeof opts.snapshot === "string")
    return { source: readSnapshot(resolve(ctx.cwd, opts.snapshot)).source, sample: false, reason: undefined };
  if (typeof opts.raw === "string")
    return {
      source: rawSource(resolve(ctx.cwd, opts.raw), {
        ...(typeof opts.iomem === "string" ? { ram: resolve(ctx.cwd, opts.iomem) } : {}),
        ...(opts.startPfn !== undefined ? { startPfn: parsePfn(String(opts.startPfn)) } : {}),
      }),
      sample: false,
      reason: undefined,
    };
  if (opts.sample) return sample(undefined);
  const why = unreadable("/proc/kpageflags");
  if (why) return sample(`cannot read /proc/kpageflags (${why})`);
  return { source: procSource({}), sample: false, reason: undefined };
}

function parsePfn(text: string): number {
  const n = /^0x[0-9a-f]+$/i.test(text)
    ? Number.parseInt(text, 16)
    : /^\d+$/.test(text)
      ? Number(text)
      : Number.NaN;
  if (!Number.isSafeInteger(n))
    throw new UserError(
      `--start-pfn ${text} is not a PFN`,
      "give a whole number, decimal or 0x hex, e.g. --start-pfn 0x158000",
    );
  return n;
}

function sample(reason: string | undefined): Picked {
  return { source: readSnapshot(sampleSnapshotPath()).source, sample: true, reason };
}

/** Why a file cannot be read (`permission denied: run as root`), or undefined if it can. */
function unreadable(path: string): string | undefined {
  try {
    closeSync(openSync(path, "r"));
    return undefined;
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === "EACCES" || code === "EPERM") return "permission denied: it is readable by root only";
    if (code === "ENOENT") return "it does not exist: not Linux, or a kernel or container without it";
    return (err as Error).message;
  }
}

/** Reads the source chunk by chunk into the classifier, with a progress bar on a terminal. */
async function runSurvey(source: PageMapSource, ctx: Context): Promise<Survey> {
  const info = source.info;
  const classifier = classifierFor(info);
  const total = info.pfnCount ?? info.expectedPfnCount;
  const progress = startProgress(`surveying ${info.path}`, ctx.progress);
  try {
    let done = 0;
    for await (const chunk of source.chunks()) {
      classifier.push(chunk);
      done += chunk.length;
      progress.update(done, total);
      if (ctx.progress) await progress.tick();
    }
  } finally {
    progress.stop();
  }
  return makeSurvey(info, classifier.finish());
}

function describeSource(s: Survey, picked: Picked, cwd: string): string {
  const src = s.source;
  const kernel = [src.kernelRelease && `Linux ${src.kernelRelease}`, src.machine].filter(Boolean).join(" ");
  if (src.kind === "proc") return `${src.path} on ${hostname()}${kernel ? ` (${kernel})` : ""}`;
  const what = picked.sample ? "sample snapshot" : src.kind === "snapshot" ? "snapshot" : "raw dump";
  const when = src.capturedAt ? `, captured ${src.capturedAt.replace(/\.\d+Z$/, "Z")}` : "";
  return `${what} ${displayPath(src.path, cwd)}${kernel ? ` (${kernel}${when})` : when}`;
}
