// Where `memdesc survey` reads its machine from, and the read itself. This module loads little (kpageflags and
// the input checks), so the page map's reader threads start before the descriptor set is composed
// (survey-report.ts, which loads zod and the plugins).
import { closeSync, openSync, statSync } from "node:fs";
import { resolve } from "node:path";
import {
  captureTree,
  decodeSnapshot,
  defaultSampleName,
  dirRoot,
  type Labels,
  openCaptureArchive,
  type PageMapSource,
  parseIomem,
  parseLabels,
  procSource,
  type RamMap,
  rawSource,
  readSnapshot,
  type Survey,
  type SurveyGrouping,
  type SystemRoot,
  sampleInfo,
  sampleSnapshotPath,
  samples,
  survey,
} from "@memdesc/kpageflags";
import type { Context } from "../context.js";
import { UserError } from "../errors.js";
import { checkInput, type InputFile, inputCaps, readInput } from "../io/input.js";
import { startProgress } from "../output/progress.js";
import { type CaptureFacts, snapshotCapture, surveyFormat } from "./survey-formats.js";

export interface Picked {
  readonly source: PageMapSource;
  /** Where the counters come from; none for a raw dump. */
  readonly root: SystemRoot | undefined;
  readonly sample: boolean;
  /** The sample's name, when a sample is surveyed. */
  readonly sampleName?: string | undefined;
  /** Why the sample stands in for this machine. */
  readonly reason: string | undefined;
  /** What a capture says of itself: when it was made, and its labels. */
  readonly capture: CaptureFacts | undefined;
}

/** `--label KEY=VALUE` (repeatable), checked as the capture script checks them. */
export function labelsOption(opts: Record<string, unknown>): Labels {
  const given = (opts.label as string[] | undefined) ?? [];
  const parsed = parseLabels(given);
  if (!parsed.ok)
    throw new UserError(`--label: ${parsed.problem}`, "e.g. --label team=storage --label region=eu-west");
  return parsed.labels;
}

export async function pickSource(
  ctx: Context,
  opts: Record<string, unknown>,
  by: SurveyGrouping | undefined,
): Promise<Picked> {
  const chosen = ["snapshot", "raw", "sample", "root"].filter((k) => opts[k] !== undefined);
  if (chosen.length > 1)
    throw new UserError(
      `--${chosen[0]} and --${chosen[1]} both name a machine`,
      "give one of --snapshot FILE, --raw FILE, --root DIR and --sample",
    );
  for (const k of ["iomem", "startPfn"])
    if (opts[k] !== undefined && opts.raw === undefined)
      throw new UserError(
        `--${k === "iomem" ? "iomem" : "start-pfn"} goes with --raw`,
        "snapshots and /proc carry their own PFN range and /proc/iomem ranges",
      );
  const cgroups = by === "cgroup";
  if (typeof opts.snapshot === "string") {
    const path = resolve(ctx.cwd, opts.snapshot);
    const snap = decodeSnapshot(readInput(path, pageMapInput(path, "snapshot")), path);
    return {
      source: snap.source,
      root: snap.root(),
      sample: false,
      reason: undefined,
      capture: snapshotCapture(snap.header),
    };
  }
  if (typeof opts.raw === "string") {
    if (by)
      throw new UserError(
        `--by ${by} needs the machine's counters, and a raw dump has only the page map`,
        "survey the machine itself, a snapshot made by `memdesc capture`, or a --root copy",
      );
    const path = resolve(ctx.cwd, opts.raw);
    checkInput(path, pageMapInput(path, "raw page-map dump"));
    return {
      source: rawSource(path, {
        ...(typeof opts.iomem === "string" ? { ram: readIomemInput(resolve(ctx.cwd, opts.iomem)) } : {}),
        ...(opts.startPfn !== undefined ? { startPfn: parsePfn(String(opts.startPfn)) } : {}),
      }),
      root: undefined,
      sample: false,
      reason: undefined,
      capture: undefined,
    };
  }
  if (typeof opts.root === "string") {
    const path = resolve(ctx.cwd, opts.root);
    if (isFile(path)) {
      // A capture archive (.tar.gz) made by the capture script: read where it is, never unpacked.
      const archive = await openCaptureArchive(path, { cgroups });
      return {
        source: archive.source,
        root: archive.root,
        sample: false,
        reason: undefined,
        capture: archive.meta && { capturedAt: archive.meta.started, labels: archive.meta.labels },
      };
    }
    const tree = captureTree(dirRoot(path));
    return {
      source: procSource({ root: tree.root, cgroups }),
      root: tree.root,
      sample: false,
      reason: undefined,
      capture: tree.meta && { capturedAt: tree.meta.started, labels: tree.meta.labels },
    };
  }
  if (opts.sample !== undefined)
    return sample(undefined, opts.sample === true ? undefined : String(opts.sample));
  const why = unreadable("/proc/kpageflags");
  if (why) {
    // The sample stands in for this machine only where a person reads the note saying so: a script that
    // records `memdesc survey --json` must not record the sample machine as this one.
    const reason = `cannot read /proc/kpageflags (${why})`;
    if (ctx.terminal && surveyFormat(opts) === "table") return sample(reason);
    throw new UserError(
      reason,
      "run it as root (sudo memdesc survey), or survey a snapshot (--snapshot FILE) or the shipped sample (--sample)",
      { code: "NO_PAGE_MAP" },
    );
  }
  const root = dirRoot("/");
  return {
    source: procSource({ root, cgroups }),
    root,
    sample: false,
    reason: undefined,
    capture: undefined,
  };
}

/** Whether a path names a regular file (an archive), rather than a directory (a copy, or an unpacked capture). */
function isFile(path: string): boolean {
  try {
    return statSync(path).isFile();
  } catch {
    return false;
  }
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

/** A shipped sample by name (the default without one); an unknown name lists the samples. */
function sample(reason: string | undefined, name: string = defaultSampleName): Picked {
  if (!sampleInfo(name))
    throw new UserError(
      `--sample ${name}: there is no sample of that name`,
      `the samples: ${samples.map((s) => `${s.name} (${s.title})`).join("; ")}`,
      { code: "UNKNOWN_SAMPLE" },
    );
  const snap = readSnapshot(sampleSnapshotPath(name));
  return {
    source: snap.source,
    root: snap.root(),
    sample: true,
    sampleName: name,
    reason,
    capture: snapshotCapture(snap.header),
  };
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

/** Surveys the page map and the counters, with a progress bar on a terminal once it takes over a second. */
export async function runSurvey(
  picked: Picked,
  by: SurveyGrouping | undefined,
  ctx: Context,
  signal: AbortSignal,
): Promise<Survey> {
  const info = picked.source.info;
  const progress = startProgress(`surveying ${info.path}`, ctx.progress);
  let surveyed: Survey;
  try {
    surveyed = await survey(picked.source, {
      root: picked.root,
      by,
      signal,
      onProgress: (done, total) => progress.update(done, total),
    });
  } finally {
    progress.stop();
  }
  checkNotEmpty(surveyed);
  return surveyed;
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
