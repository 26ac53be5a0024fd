import { resolve } from "node:path";
import {
  checkPlugins,
  type FieldCheck,
  type FieldStatus,
  type KernelMatrix,
  kernelMatrix,
  type MatrixStatus,
  type PluginCheckResult,
} from "@memdesc/btf";
import type { Context } from "../context.js";
import { CheckFailed } from "../errors.js";
import { printJson } from "../output/json.js";
import { int, table } from "../output/table.js";
import { btfOptions, describeBtf, loadBtf } from "./btf.js";
import { composeFrom, describeSet } from "./shared.js";

const fieldWords: Record<FieldStatus, string> = {
  ok: "ok",
  "wrong-offset": "wrong offset",
  "wrong-size": "wrong size",
  "kernel-only": "kernel only (vendor-added or new)",
  "plugin-only": "plugin only (renamed or removed)",
};

/**
 * `memdesc check`: every plugin's layout of today's struct against the kernel's, field by field, and its
 * overlay rules against the kernel's struct page. Exit status 1 if anything fails.
 */
export default async function check(ctx: Context, opts: Record<string, unknown>): Promise<void> {
  const paths = (Array.isArray(opts.btf) ? opts.btf : [opts.btf]).map((p) => resolve(ctx.cwd, String(p)));
  const options = btfOptions(opts, ctx.cwd);
  const kernels = paths.map((p) => loadBtf(p, ctx.cwd, options));
  // Each kernel's layouts are computed for its own ABI, whatever the config says.
  const comps = new Map<string, Awaited<ReturnType<typeof composeFrom>>>();
  const results: PluginCheckResult[] = [];
  for (const btf of kernels) {
    let comp = comps.get(btf.abi);
    if (!comp) {
      comp = await composeFrom(ctx.cwd, { ...opts, abi: btf.abi });
      comps.set(btf.abi, comp);
    }
    results.push(
      checkPlugins(
        btf,
        comp.registry,
        comp.plugins.map((p) => p.plugin),
      ),
    );
  }
  const set = describeSet([...comps.values()][0]!);
  if (results.length === 1) {
    const output = results[0]!;
    if (ctx.json) printJson(ctx, output);
    else printCheck(ctx, output, set, describeBtf(kernels[0]!));
    if (!output.ok) throw new CheckFailed(`${output.failures} checks failed`);
    return;
  }
  const matrix = kernelMatrix(results);
  if (ctx.json) printJson(ctx, { kernels: results, matrix });
  else
    printMatrix(
      ctx,
      matrix,
      set,
      kernels.map((k) => `${describeBtf(k)}, ${int(k.count)} types`),
    );
  if (!matrix.ok) throw new CheckFailed(`${matrix.counts.drift} drift, ${matrix.counts.fail} fail`);
}

/** Field lines per cell before the rest are counted. */
const MAX_LINES = 8;

const statusWords: Record<MatrixStatus, string> = {
  pass: "pass",
  drift: "drift",
  fail: "FAIL",
  absent: "absent",
  none: "-",
};

/** Where a field is on each side: `plugin 48+4, kernel 52+4`. */
function where(d: FieldCheck): string {
  return d.plugin && d.kernel
    ? `plugin ${d.plugin.offset}+${d.plugin.size}, kernel ${d.kernel.offset}+${d.kernel.size}`
    : d.kernel
      ? `kernel ${d.kernel.offset}+${d.kernel.size} (${d.kernel.type})`
      : `plugin ${d.plugin!.offset}+${d.plugin!.size} (${d.plugin!.type})`;
}

/** The differences worth a line: a member's own line stands for its members with the same status. */
function topLevel(diffs: readonly FieldCheck[]): FieldCheck[] {
  const shown = new Map<string, FieldStatus>();
  const out: FieldCheck[] = [];
  for (const d of diffs) {
    const parent = d.path.includes(".") ? d.path.slice(0, d.path.lastIndexOf(".")) : undefined;
    if (parent && shown.get(parent) === d.status) {
      shown.set(d.path, d.status);
      continue;
    }
    shown.set(d.path, d.status);
    out.push(d);
  }
  return out;
}

function printMatrix(ctx: Context, matrix: KernelMatrix, set: string, kernels: readonly string[]): void {
  const { c } = ctx;
  const letters = kernels.map(
    (_, i) => String.fromCharCode(65 + (i % 26)) + (i >= 26 ? String((i / 26) | 0) : ""),
  );
  const paint = (s: MatrixStatus, text: string) =>
    s === "pass" ? c.green(text) : s === "fail" ? c.red(text) : s === "drift" ? c.yellow(text) : c.dim(text);
  let out = `${c.bold("memdesc check")}: ${kernels.length} kernels\n`;
  out += `plugins: ${set}\n`;
  for (const [i, k] of kernels.entries()) out += `  ${letters[i]}  ${k}\n`;
  out += "\n";
  out += table(
    [{ header: "plugin" }, { header: "struct" }, ...letters.map((l) => ({ header: l }))],
    matrix.plugins.map((row) => [
      `${row.package} (${row.kind})`,
      row.struct ?? "-",
      ...row.cells.map((cell) => paint(cell.status, statusWords[cell.status])),
    ]),
    { header: c.bold },
  );
  const details: string[] = [];
  for (const row of matrix.plugins)
    for (const [i, cell] of row.cells.entries()) {
      if (cell.status === "pass" || cell.status === "none") {
        if (cell.kernelOnly.length === 0) continue;
      }
      const head = `${row.kind} on ${letters[i]}: ${paint(cell.status, statusWords[cell.status])}`;
      const lines: string[] = [];
      if (cell.status === "absent") lines.push(`the kernel has no struct ${row.struct}`);
      else if (cell.size && cell.size.plugin !== cell.size.kernel)
        lines.push(`sizeof ${cell.size.plugin} in the plugin, ${cell.size.kernel} in the kernel`);
      // Fields in both but elsewhere first: they are what moved; then what the kernel lacks.
      const drifted = topLevel(cell.drifted).sort(
        (x, y) => Number(x.status === "plugin-only") - Number(y.status === "plugin-only"),
      );
      for (const d of drifted.slice(0, MAX_LINES))
        lines.push(`${d.path}: ${fieldWords[d.status]}: ${where(d)}`);
      if (drifted.length > MAX_LINES)
        lines.push(`and ${drifted.length - MAX_LINES} more fields (--json lists them all)`);
      for (const r of cell.rules)
        lines.push(`${r.status === "missing" ? "rule names a missing field" : "rule fails"}: ${r.message}`);
      const extra = topLevel(cell.kernelOnly);
      if (extra.length)
        lines.push(
          `kernel only: ${extra
            .slice(0, 6)
            .map((d) => `${d.path} (${d.kernel!.offset}+${d.kernel!.size})`)
            .join(", ")}${extra.length > 6 ? `, and ${extra.length - 6} more` : ""}`,
        );
      details.push(`${head}\n${lines.map((l) => `    ${l}`).join("\n")}`);
    }
  if (details.length) out += `\n${details.join("\n")}\n`;
  const n = matrix.counts;
  const cells = matrix.plugins.length * kernels.length;
  out += `\n${matrix.ok ? c.green("ok") : c.red("FAILED")}: ${n.pass} pass, ${n.drift} drift, ${n.fail} fail, ${n.absent} absent of ${cells} (${matrix.plugins.length} plugins × ${kernels.length} kernels)\n`;
  ctx.out(out);
}

function printCheck(ctx: Context, output: PluginCheckResult, set: string, kernel: string): void {
  const { c } = ctx;
  const mark = (ok: boolean, word: string) => (ok ? c.green(word) : c.red(word));
  let out = `${c.bold("memdesc check")}: ${kernel}, ${int(output.btf.types)} types\n`;
  out += `plugins: ${set}\n`;
  let fields = 0;
  let rules = 0;
  for (const p of output.plugins) {
    out += `\n${c.bold(`${p.package} (kind ${p.kind})`)}${p.struct ? `: struct ${p.struct}` : ""}\n`;
    if (p.struct === null) out += "  layout: no today layout (an inline kind); nothing to compare\n";
    else if (!p.found) out += `  layout: ${c.yellow("not checked")}: the kernel has no struct ${p.struct}\n`;
    else {
      const matching = p.fields.filter((f) => f.status === "ok").length;
      const diffs = p.fields.filter((f) => f.status !== "ok");
      fields += p.fields.filter((f) => f.status !== "kernel-only").length;
      const sizeNote =
        p.size!.plugin === p.size!.kernel
          ? `sizeof ${p.size!.plugin} in both`
          : `sizeof ${p.size!.plugin} in the plugin, ${p.size!.kernel} in the kernel`;
      out += `  layout: ${matching} of ${p.fields.length - diffs.filter((d) => d.status === "kernel-only").length} fields at the kernel's offsets; ${sizeNote}\n`;
      const shown = new Map<string, FieldStatus>();
      for (const d of diffs) {
        const parent = d.path.includes(".") ? d.path.slice(0, d.path.lastIndexOf(".")) : undefined;
        if (parent && shown.get(parent) === d.status) continue;
        shown.set(d.path, d.status);
        const bad = d.status !== "kernel-only";
        const where =
          d.plugin && d.kernel
            ? `plugin ${d.plugin.offset}+${d.plugin.size}, kernel ${d.kernel.offset}+${d.kernel.size}`
            : d.kernel
              ? `kernel ${d.kernel.offset}+${d.kernel.size} (${d.kernel.type})`
              : `plugin ${d.plugin!.offset}+${d.plugin!.size} (${d.plugin!.type})`;
        out += `    ${bad ? mark(false, "FAIL") : c.yellow("note")}  ${d.path}: ${fieldWords[d.status]}: ${where}\n`;
      }
    }
    if (p.overlay.length === 0) out += "  overlay: no rules\n";
    else {
      const pass = p.overlay.filter((r) => r.status === "pass").length;
      const skipped = p.overlay.filter((r) => r.status === "skipped").length;
      rules += p.overlay.length - skipped;
      out += `  overlay: ${pass} of ${p.overlay.length - skipped} rules hold against the kernel's struct page${skipped ? ` (${skipped} skipped: config off)` : ""}\n`;
      for (const r of p.overlay) {
        const word =
          r.status === "pass"
            ? mark(true, "pass")
            : r.status === "skipped"
              ? c.dim("skip")
              : mark(false, "FAIL");
        out += `    ${word}  ${r.message}\n`;
      }
    }
  }
  out += `\n${output.ok ? mark(true, "ok") : mark(false, "FAILED")}: ${output.failures} failure${output.failures === 1 ? "" : "s"} in ${output.plugins.length} plugins (${int(fields)} fields, ${int(rules)} overlay rules checked)\n`;
  ctx.out(out);
}
