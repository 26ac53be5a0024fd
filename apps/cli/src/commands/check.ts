import { resolve } from "node:path";
import { checkPlugins, type FieldStatus, type PluginCheckResult } from "@memdesc/btf";
import type { Context } from "../context.js";
import { CheckFailed } from "../errors.js";
import { printJson } from "../output/json.js";
import { int } from "../output/table.js";
import { loadBtf } from "./btf.js";
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
  const path = resolve(ctx.cwd, String(opts.btf));
  const btf = loadBtf(path, ctx.cwd);
  // Layouts are computed for the kernel's ABI, whatever the config says.
  const comp = await composeFrom(ctx.cwd, { ...opts, abi: btf.abi });
  const output = checkPlugins(
    btf,
    comp.registry,
    comp.plugins.map((p) => p.plugin),
  );
  if (ctx.json) printJson(ctx, output);
  else printCheck(ctx, output, describeSet(comp));
  if (!output.ok) throw new CheckFailed(`${output.failures} checks failed`);
}

function printCheck(ctx: Context, output: PluginCheckResult, set: string): void {
  const { c } = ctx;
  const mark = (ok: boolean, word: string) => (ok ? c.green(word) : c.red(word));
  let out = `${c.bold("memdesc check")}: ${output.btf.file} (${output.btf.abi}, ${int(output.btf.types)} types)\n`;
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
