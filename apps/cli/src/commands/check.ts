import { resolve } from "node:path";
import type { Btf } from "@memdesc/btf";
import { type Field, fieldsByPath, type Layout } from "@memdesc/core";
import type { ComposedPlugin } from "../config/compose.js";
import type { Context } from "../context.js";
import { CheckFailed } from "../errors.js";
import { printJson } from "../output/json.js";
import { int } from "../output/table.js";
import type { CheckOutput } from "../schemas.js";
import { loadBtf } from "./btf.js";
import { type AnyRegistry, composeFrom, describeSet } from "./shared.js";

type PluginCheck = CheckOutput["plugins"][number];
type FieldCheck = PluginCheck["fields"][number];

const fieldWords: Record<FieldCheck["status"], string> = {
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
  const output = checkAll(btf, comp.registry, comp.plugins);
  if (ctx.json) printJson(output);
  else printCheck(ctx, output, describeSet(comp));
  if (!output.ok) throw new CheckFailed(`${output.failures} checks failed`);
}

export function checkAll(btf: Btf, registry: AnyRegistry, plugins: readonly ComposedPlugin[]): CheckOutput {
  const kernelPage = btf.layout("page");
  const bases = new Map<string, Layout>();
  for (const p of plugins)
    for (const set of p.plugin.overlay)
      if (set.base !== "page" && !bases.has(set.base) && btf.findStruct(set.base) !== undefined)
        bases.set(set.base, btf.layout(set.base));
  const overlays = new Map(
    registry.checkOverlays({ page: kernelPage, layouts: bases }).map((r) => [r.kind, r]),
  );
  const results: PluginCheck[] = plugins.map((p) => {
    const kind = p.plugin.kind;
    const overlay = (overlays.get(kind)?.results ?? []).map((r) => ({
      macro: r.macro,
      label: r.label,
      status: r.status,
      actual: r.actual ?? null,
      expected: r.expected ?? null,
      message: r.message,
    }));
    const overlayFailures = overlay.filter((r) => r.status === "fail" || r.status === "missing").length;
    if (!p.plugin.today)
      return {
        package: p.package,
        kind,
        struct: null,
        found: false,
        size: null,
        fields: [],
        overlay,
        failures: overlayFailures,
      };
    const mine = registry.todayLayout(kind);
    const name = mine.name ?? mine.typedefName ?? kind;
    const id = btf.findStruct(name);
    if (id === undefined)
      return {
        package: p.package,
        kind,
        struct: name,
        found: false,
        size: { plugin: mine.size, kernel: null },
        fields: [],
        overlay,
        failures: overlayFailures,
      };
    const theirs = btf.layout(id);
    const fields = compareFields(mine, theirs);
    const fieldFailures = fields.filter(
      (f) => f.status === "wrong-offset" || f.status === "wrong-size" || f.status === "plugin-only",
    ).length;
    return {
      package: p.package,
      kind,
      struct: name,
      found: true,
      size: { plugin: mine.size, kernel: theirs.size },
      fields,
      overlay,
      failures: overlayFailures + fieldFailures,
    };
  });
  const failures = results.reduce((s, r) => s + r.failures, 0);
  return {
    btf: { file: btf.file ?? "", abi: btf.abi, types: btf.count },
    ok: failures === 0,
    failures,
    plugins: results,
  };
}

/** Field by field, by C access path: where the plugin and the kernel agree and where they do not. */
export function compareFields(plugin: Layout, kernel: Layout): FieldCheck[] {
  const mine = fieldsByPath(plugin);
  const theirs = fieldsByPath(kernel);
  const side = (f: Field | undefined) => (f ? { offset: f.offset, size: f.size, type: f.typeName } : null);
  // Fields inside a member the other side keeps whole (a spinlock_t the plugin leaves opaque) are not
  // differences; inside a member both sides expand (struct page within struct folio), they are.
  const hasChildren = (side: ReadonlyMap<string, Field>, parent: string) => {
    for (const k of side.keys()) if (k.startsWith(`${parent}.`)) return true;
    return false;
  };
  const insideOpaque = (path: string, other: ReadonlyMap<string, Field>) => {
    for (let i = path.lastIndexOf("."); i > 0; i = path.lastIndexOf(".", i - 1)) {
      const parent = path.slice(0, i);
      if (other.has(parent)) return !hasChildren(other, parent);
    }
    return false;
  };
  const out: FieldCheck[] = [];
  for (const [path, f] of mine) {
    const k = theirs.get(path);
    let status: FieldCheck["status"];
    if (!k && insideOpaque(path, theirs)) continue;
    if (!k) status = "plugin-only";
    else if (k.offset !== f.offset || (k.bitOffset ?? 0) !== (f.bitOffset ?? 0)) status = "wrong-offset";
    else if (k.size !== f.size || (k.bitSize ?? 0) !== (f.bitSize ?? 0)) status = "wrong-size";
    else status = "ok";
    out.push({ path, status, plugin: side(f), kernel: side(k) });
  }
  for (const [path, k] of theirs)
    if (!mine.has(path) && !insideOpaque(path, mine))
      out.push({ path, status: "kernel-only", plugin: null, kernel: side(k) });
  return out.sort(
    (a, b) => (a.kernel ?? a.plugin)!.offset - (b.kernel ?? b.plugin)!.offset || a.path.localeCompare(b.path),
  );
}

function printCheck(ctx: Context, output: CheckOutput, set: string): void {
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
      const shown = new Map<string, FieldCheck["status"]>();
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
