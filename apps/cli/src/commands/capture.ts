import { closeSync, openSync } from "node:fs";
import { resolve } from "node:path";
import { captureSnapshot, parseLabels } from "@memdesc/kpageflags";
import type { Context } from "../context.js";
import { UserError } from "../errors.js";
import { PendingOutput } from "../io/output.js";
import { printJson } from "../output/json.js";
import { startProgress } from "../output/progress.js";
import { int, size } from "../output/table.js";
import type { CaptureOutput } from "../schemas.js";

const procDir = "/proc";

/**
 * `memdesc capture -o FILE`: this machine's page map saved as a snapshot (root only). The snapshot is written
 * by the CLI's one output writer (`io/output.ts`); with `-o -` it goes to standard output and the report to
 * stderr.
 */
export default async function capture(ctx: Context, opts: Record<string, unknown>): Promise<void> {
  const root = typeof opts.root === "string" ? resolve(ctx.cwd, opts.root) : undefined;
  const labels = parseLabels((opts.label as string[] | undefined) ?? []);
  if (!labels.ok) throw new UserError(`--label: ${labels.problem}`, "e.g. --label team=storage");
  if (root === undefined) checkRoot();
  // The output path is checked (and its staging made) before the page map is read.
  const file = PendingOutput.open(String(opts.output), ctx.cwd);
  const started = performance.now();
  let written: Awaited<ReturnType<typeof captureSnapshot>>;
  try {
    if (file.plan.kind === "stdout" && process.stdout.isTTY)
      throw new UserError(
        "a snapshot is binary: not writing it to a terminal",
        "redirect standard output (memdesc capture -o - > host.mdsnap), or give -o FILE",
        { code: "OUTPUT_TERMINAL" },
      );
    const progress = startProgress(`capturing ${root ?? ""}${procDir}/kpageflags`, ctx.progress);
    try {
      written = await file.produce((path) =>
        captureSnapshot(path, {
          root,
          counts: opts.counts === false ? false : undefined,
          cgroups: opts.cgroups === false ? false : undefined,
          note: typeof opts.note === "string" ? opts.note : undefined,
          labels: labels.labels,
          producer: "memdesc capture",
          onProgress: (done, expected) => progress.update(done, expected),
        }),
      );
    } finally {
      progress.stop();
    }
    file.commit();
  } catch (err) {
    file.abort();
    throw err;
  }
  const seconds = (performance.now() - started) / 1000;
  const shown = file.shown;
  const toStdout = file.plan.kind === "stdout";
  // With the snapshot on standard output, the report goes to stderr.
  const say = toStdout ? ctx.err : ctx.out;
  const output: CaptureOutput = {
    path: toStdout ? "-" : file.plan.path,
    bytes: written.bytes,
    pages: written.header.pfnCount,
    seconds: Math.round(seconds * 1000) / 1000,
    header: written.header,
  };
  if (ctx.json) {
    if (toStdout) return void say(`${JSON.stringify(output, null, 2)}\n`);
    return printJson(ctx, output);
  }
  const h = written.header;
  const files = Object.entries(h.files)
    .filter(([, on]) => on)
    .map(([f]) => f)
    .join(", ");
  const k = written.survey.kernel;
  const counters = k
    ? `  ${k.read.length} counter files${k.unreadable.length > 0 ? `; could not read ${k.unreadable.map((u) => u.path).join(", ")}` : ""}\n`
    : "";
  const c = toStdout ? ctx.cErr : ctx.c;
  say(
    `${c.bold("memdesc capture")}: wrote ${shown}: ${size(written.bytes)} (${int(written.bytes)} bytes) in ${seconds.toFixed(1)} s\n` +
      `  ${int(h.pfnCount)} PFNs of ${files}; Linux ${h.kernelRelease}${h.machine ? ` ${h.machine}` : ""}, captured ${h.capturedAt}\n` +
      counters +
      (toStdout ? "" : `  survey it anywhere with: memdesc survey --snapshot ${shown}\n`),
  );
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
