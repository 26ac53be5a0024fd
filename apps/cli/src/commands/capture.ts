import { closeSync, openSync, statSync } from "node:fs";
import { dirname, resolve } from "node:path";
import { captureSnapshot, parseLabels } from "@memdesc/kpageflags";
import { displayPath } from "../config/load.js";
import type { Context } from "../context.js";
import { UserError } from "../errors.js";
import { printJson } from "../output/json.js";
import { startProgress } from "../output/progress.js";
import { int, size } from "../output/table.js";
import type { CaptureOutput } from "../schemas.js";

const procDir = "/proc";

/** `memdesc capture -o FILE`: this machine's page map saved as a snapshot (root only). */
export default async function capture(ctx: Context, opts: Record<string, unknown>): Promise<void> {
  const path = resolve(ctx.cwd, String(opts.output));
  const shown = displayPath(path, ctx.cwd);
  checkDirectory(path, shown);
  const root = typeof opts.root === "string" ? resolve(ctx.cwd, opts.root) : undefined;
  const labels = parseLabels((opts.label as string[] | undefined) ?? []);
  if (!labels.ok) throw new UserError(`--label: ${labels.problem}`, "e.g. --label team=storage");
  if (root === undefined) checkRoot();
  const progress = startProgress(`capturing ${root ?? ""}${procDir}/kpageflags`, ctx.progress);
  const started = performance.now();
  let written: Awaited<ReturnType<typeof captureSnapshot>>;
  try {
    written = await captureSnapshot(path, {
      root,
      counts: opts.counts === false ? false : undefined,
      cgroups: opts.cgroups === false ? false : undefined,
      note: typeof opts.note === "string" ? opts.note : undefined,
      labels: labels.labels,
      producer: "memdesc capture",
      onProgress: (done, expected) => progress.update(done, expected),
    });
  } finally {
    progress.stop();
  }
  const seconds = (performance.now() - started) / 1000;
  const output: CaptureOutput = {
    path,
    bytes: written.bytes,
    pages: written.header.pfnCount,
    seconds: Math.round(seconds * 1000) / 1000,
    header: written.header,
  };
  if (ctx.json) return printJson(output);
  const h = written.header;
  const files = Object.entries(h.files)
    .filter(([, on]) => on)
    .map(([f]) => f)
    .join(", ");
  const k = written.survey.kernel;
  const counters = k
    ? `  ${k.read.length} counter files${k.unreadable.length > 0 ? `; could not read ${k.unreadable.map((u) => u.path).join(", ")}` : ""}\n`
    : "";
  ctx.out(
    `${ctx.c.bold("memdesc capture")}: wrote ${shown}: ${size(written.bytes)} (${int(written.bytes)} bytes) in ${seconds.toFixed(1)} s\n` +
      `  ${int(h.pfnCount)} PFNs of ${files}; Linux ${h.kernelRelease}${h.machine ? ` ${h.machine}` : ""}, captured ${h.capturedAt}\n` +
      counters +
      `  survey it anywhere with: memdesc survey --snapshot ${shown}\n`,
  );
}

/** The capture reads for a while before it writes: fail at once if the file could not be written at all. */
function checkDirectory(path: string, shown: string): void {
  const dir = dirname(path);
  let isDir = false;
  try {
    isDir = statSync(dir).isDirectory();
  } catch {
    isDir = false;
  }
  if (!isDir)
    throw new UserError(
      `cannot write ${shown}: directory ${displayPath(dir)} does not exist`,
      "create it first, or write elsewhere with -o",
    );
  try {
    if (statSync(path).isDirectory())
      throw new UserError(
        `cannot write ${shown}: it is a directory`,
        "give a file name, e.g. -o host.mdsnap",
      );
  } catch (err) {
    if (err instanceof UserError) throw err;
  }
}

/** Only root may read /proc/kpageflags; say so in one line rather than as a failed read. */
function checkRoot(): void {
  const uid = process.getuid?.();
  try {
    closeSync(openSync(`${procDir}/kpageflags`, "r"));
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === "EACCES" || code === "EPERM")
      throw new UserError(
        `capture needs root: /proc/kpageflags is readable by root only${uid !== undefined ? ` (you are uid ${uid})` : ""}`,
        "run it with sudo: sudo memdesc capture -o FILE",
        { code: "NEEDS_ROOT" },
      );
    if (code === "ENOENT")
      throw new UserError(
        "/proc/kpageflags does not exist: capture needs Linux with CONFIG_PROC_PAGE_MONITOR",
        "capture on the Linux machine itself, or survey a snapshot made there",
        { code: "NOT_FOUND" },
      );
    throw new UserError(
      `cannot read /proc/kpageflags: ${(err as Error).message}`,
      "run it with sudo on the Linux machine",
      {
        code: "IO_ERROR",
      },
    );
  }
}
