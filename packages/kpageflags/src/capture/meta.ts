// Browser-safe: no node: imports.
import { KpageflagsError } from "../errors.js";
import type { SystemRoot } from "../root/root.js";
import { type Labels, labelProblem, maxLabels, sortLabels } from "./labels.js";

/**
 * What a capture made by memdesc's capture script says of itself, in its `memdesc/capture` file: lines of
 * `key=value` (format 1):
 *
 * ```
 * format=1
 * tool=memdesc-capture.sh
 * started=2026-12-07T14:51:49Z
 * finished=2026-12-07T14:51:56Z
 * page-map=kpageflags kpagecount
 * label.team=storage
 * ```
 */
export interface CaptureMeta {
  readonly format: 1;
  readonly tool: string | undefined;
  /** When the copy began and ended (UTC, to the second). */
  readonly started: string;
  readonly finished: string | undefined;
  /** The page-map files copied in lockstep. */
  readonly pageMap: readonly string[];
  readonly labels: Labels;
}

/** Where a capture's own files are, inside its root. */
export const captureMetaPath = "/memdesc/capture";
/** /proc/vmstat as read after the page map. */
export const vmstatAfterPath = "/memdesc/after/proc/vmstat";
/** The memory cgroup directories' inode numbers: `inode<TAB>path` lines. */
export const inodesPath = "/memdesc/inodes";

const maxMetaBytes = 64 * 1024;
const isoSecond = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?Z$/;
const pageMapFiles = new Set(["kpageflags", "kpagecount", "kpagecgroup"]);

function bad(shown: string, line: number | undefined, message: string): KpageflagsError {
  return new KpageflagsError(
    "BAD_CAPTURE",
    `${shown}${line === undefined ? "" : ` line ${line}`}: ${message}`,
    "make the capture again with memdesc's capture script (`memdesc capture-script`)",
    { path: shown },
  );
}

/** Parses a capture's `memdesc/capture` file; `shown` names it in errors. */
export function parseCaptureMeta(text: string, shown: string): CaptureMeta {
  if (text.length > maxMetaBytes) throw bad(shown, undefined, `more than ${maxMetaBytes} bytes`);
  const fields = new Map<string, string>();
  const labels: Record<string, string> = {};
  const lines = text.split("\n");
  if (lines[lines.length - 1] === "") lines.pop();
  for (const [i, line] of lines.entries()) {
    const eq = line.indexOf("=");
    if (eq <= 0) throw bad(shown, i + 1, `expected key=value, got ${JSON.stringify(line.slice(0, 40))}`);
    const key = line.slice(0, eq);
    const value = line.slice(eq + 1);
    if (key.startsWith("label.")) {
      const name = key.slice("label.".length);
      const problem = labelProblem(name, value);
      if (problem) throw bad(shown, i + 1, problem);
      if (Object.hasOwn(labels, name)) throw bad(shown, i + 1, `label ${name} twice`);
      labels[name] = value;
      continue;
    }
    if (fields.has(key)) throw bad(shown, i + 1, `${key} twice`);
    fields.set(key, value);
  }
  if (Object.keys(labels).length > maxLabels) throw bad(shown, undefined, `more than ${maxLabels} labels`);
  const format = fields.get("format");
  if (format !== "1")
    throw bad(
      shown,
      undefined,
      format === undefined ? "no format line" : `format ${format}, where this memdesc reads format 1`,
    );
  const started = fields.get("started");
  if (started === undefined || !isoSecond.test(started) || Number.isNaN(Date.parse(started)))
    throw bad(shown, undefined, `started: expected a UTC time such as 2026-12-07T14:51:49Z, got ${started}`);
  const finished = fields.get("finished");
  if (finished !== undefined && (!isoSecond.test(finished) || Number.isNaN(Date.parse(finished))))
    throw bad(
      shown,
      undefined,
      `finished: expected a UTC time such as 2026-12-07T14:51:56Z, got ${finished}`,
    );
  const pageMap = (fields.get("page-map") ?? "kpageflags").split(" ").filter(Boolean);
  for (const f of pageMap)
    if (!pageMapFiles.has(f)) throw bad(shown, undefined, `page-map: unknown file ${f}`);
  for (const k of fields.keys())
    if (!["format", "tool", "started", "finished", "page-map"].includes(k))
      throw bad(shown, undefined, `unknown key ${k}`);
  return {
    format: 1,
    tool: fields.get("tool"),
    started,
    finished,
    pageMap,
    labels: sortLabels(labels),
  };
}

/** The capture metadata of a tree, or undefined when the tree is not a capture (a plain copy, /). */
export function readCaptureMeta(root: SystemRoot): CaptureMeta | undefined {
  const r = root.read(captureMetaPath);
  if (!r.ok) return undefined;
  const shown = root.localPath(captureMetaPath) ?? `${captureMetaPath.slice(1)} in ${root.label}`;
  return parseCaptureMeta(new TextDecoder("utf-8", { fatal: false }).decode(r.value), shown);
}

/** Parses the inode list: `inode<TAB>path` per line. */
export function parseInodes(text: string, shown: string, maxLines: number): Map<string, number> {
  const out = new Map<string, number>();
  const lines = text.split("\n");
  if (lines[lines.length - 1] === "") lines.pop();
  if (lines.length > maxLines) throw bad(shown, undefined, `more than ${maxLines} cgroup directories`);
  for (const [i, line] of lines.entries()) {
    const tab = line.indexOf("\t");
    const ino = Number(line.slice(0, tab));
    const path = line.slice(tab + 1);
    if (tab <= 0 || !/^\d{1,16}$/.test(line.slice(0, tab)) || !path.startsWith("/"))
      throw bad(shown, i + 1, `expected inode<TAB>/path, got ${JSON.stringify(line.slice(0, 60))}`);
    out.set(path, ino);
  }
  return out;
}
