import { closeSync, openSync } from "node:fs";
import { hostname } from "node:os";
import { resolve } from "node:path";
import {
  classifierFor,
  decodeSnapshot,
  makeSurvey,
  type PageMapSource,
  parseIomem,
  procSource,
  type RamMap,
  rawSource,
  readHugetlbState,
  readSnapshot,
  type Survey,
  sampleSnapshotPath,
  surveyReport,
} from "@memdesc/kpageflags";
import { displayPath } from "../config/load.js";
import type { Context } from "../context.js";
import { UserError } from "../errors.js";
import { checkInput, type InputFile, inputCaps, readInput } from "../io/input.js";
import { formatBill, formatWarnings } from "../output/bill.js";
import { printJson } from "../output/json.js";
import { startProgress } from "../output/progress.js";
import { int, size } from "../output/table.js";
import type { SurveyOutput } from "../schemas.js";
import { composeFrom, describeSet, hvoOption, pluginRefs } from "./shared.js";

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
  const report = surveyReport(survey, comp.registry, hvoOption(opts));
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
  if (typeof opts.snapshot === "string") {
    const path = resolve(ctx.cwd, opts.snapshot);
    const bytes = readInput(path, pageMapInput(path, "snapshot"));
    return { source: decodeSnapshot(bytes, path).source, sample: false, reason: undefined };
  }
  if (typeof opts.raw === "string") {
    const path = resolve(ctx.cwd, opts.raw);
    checkInput(path, pageMapInput(path, "raw page-map dump"));
    return {
      source: rawSource(path, {
        ...(typeof opts.iomem === "string" ? { ram: readIomemInput(resolve(ctx.cwd, opts.iomem)) } : {}),
        ...(opts.startPfn !== undefined ? { startPfn: parsePfn(String(opts.startPfn)) } : {}),
      }),
      sample: false,
      reason: undefined,
    };
  }
  if (opts.sample) return sample(undefined);
  const why = unreadable("/proc/kpageflags");
  if (!why) return { source: procSource({}), sample: false, reason: undefined };
  // The sample stands in for this machine only where a person reads the note saying so: a script that
  // records `memdesc survey --json` must not record the sample machine as this one.
  const reason = `cannot read /proc/kpageflags (${why})`;
  if (ctx.terminal && !ctx.json) return sample(reason);
  throw new UserError(
    reason,
    "run it as root (sudo memdesc survey), or survey a snapshot (--snapshot FILE) or the shipped sample (--sample)",
    { code: "NO_PAGE_MAP" },
  );
}

/** The input-reader rules for a page-map file given to --snapshot or --raw (named as given, resolved). */
function pageMapInput(path: string, what: string): InputFile {
  return {
    shown: path,
    what,
    maxBytes: what === "snapshot" ? inputCaps.snapshot : Number.MAX_SAFE_INTEGER,
    code: what === "snapshot" ? "BAD_SNAPSHOT" : "BAD_RAW_DUMP",
    hint: "check the path",
  };
}

/** A saved /proc/iomem given with --iomem, read through the input reader and parsed. */
function readIomemInput(path: string): RamMap | null {
  const text = readInput(path, {
    shown: path,
    what: "copy of /proc/iomem",
    maxBytes: inputCaps.iomem,
    code: "BAD_IOMEM",
    hint: "save it as root with `sudo cat /proc/iomem > iomem.txt`",
  }).toString("utf8");
  return parseIomem(text, 4096, path);
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
  // A live survey reads HVO and the hugetlb pools with the page map: the bill of today's memmap needs them.
  const survey = makeSurvey(info, classifier.finish(), info.kind === "proc" ? readHugetlbState() : undefined);
  checkNotEmpty(survey);
  return survey;
}

/** A page map that reads empty, or holds no RAM, is an error: a bill of "0 bytes of RAM" would be a lie. */
function checkNotEmpty(s: Survey): void {
  const src = s.source;
  const live = src.kind === "proc";
  const hint = live
    ? "read it as root on the machine itself; in a container or VM without it, capture on the host"
    : "the file holds no page map: capture or dump it again, whole";
  if (s.pfnCount === 0)
    throw new UserError(`${src.path}: the page map is empty: it holds no PFNs`, hint, {
      code: "EMPTY_PAGE_MAP",
    });
  const ram = Object.entries(s.uses)
    .filter(([u]) => u !== "hole")
    .reduce((n, [, t]) => n + t.pages, 0);
  if (ram === 0)
    throw new UserError(`${src.path}: the page map holds no RAM: all ${s.pfnCount} PFNs are holes`, hint, {
      code: "EMPTY_PAGE_MAP",
    });
}

function describeSource(s: Survey, picked: Picked, cwd: string): string {
  const src = s.source;
  const kernel = [src.kernelRelease && `Linux ${src.kernelRelease}`, src.machine].filter(Boolean).join(" ");
  if (src.kind === "proc") return `${src.path} on ${hostname()}${kernel ? ` (${kernel})` : ""}`;
  const what = picked.sample ? "sample snapshot" : src.kind === "snapshot" ? "snapshot" : "raw dump";
  const when = src.capturedAt ? `, captured ${src.capturedAt.replace(/\.\d+Z$/, "Z")}` : "";
  return `${what} ${displayPath(src.path, cwd)}${kernel ? ` (${kernel}${when})` : when}`;
}
