import type { FieldCheck, PluginCheck, PluginCheckResult, RuleCheck } from "./plugin-check.js";

/**
 * A plugin on one kernel: `pass` (every field where the plugin has it, every overlay rule holds), `drift` (the
 * overlay rules hold, but fields moved, changed size or are gone: the plugin models another release), `fail`
 * (an overlay rule the plugin states does not hold on this kernel), `absent` (the kernel has no such struct:
 * older or newer than the descriptor; its rules are still reported), or `none` (an inline kind, with no struct to compare).
 */
export type MatrixStatus = "pass" | "drift" | "fail" | "absent" | "none";

export interface MatrixCell {
  readonly status: MatrixStatus;
  readonly size: { readonly plugin: number; readonly kernel: number | null } | null;
  /** Fields the plugin places elsewhere than this kernel (wrong offset or size, or missing here). */
  readonly drifted: readonly FieldCheck[];
  /** Fields this kernel has that the plugin does not (vendor-added, or another release's). */
  readonly kernelOnly: readonly FieldCheck[];
  /** Overlay rules that fail or name a field the kernel lacks. */
  readonly rules: readonly RuleCheck[];
}

export interface MatrixRow {
  readonly package: string;
  readonly kind: string;
  readonly struct: string | null;
  /** One cell per kernel, in the kernels' order. */
  readonly cells: readonly MatrixCell[];
}

export interface KernelMatrix {
  readonly kernels: readonly PluginCheckResult["btf"][];
  readonly plugins: readonly MatrixRow[];
  /** Cells by status, over the whole matrix. */
  readonly counts: Readonly<Record<MatrixStatus, number>>;
  /** No cell drifts or fails (an absent struct is not a failure). */
  readonly ok: boolean;
}

function cell(p: PluginCheck | undefined): MatrixCell {
  if (!p) return { status: "none", size: null, drifted: [], kernelOnly: [], rules: [] };
  const rules = p.overlay.filter((r) => r.status === "fail" || r.status === "missing");
  const drifted = p.fields.filter((f) => f.status !== "ok" && f.status !== "kernel-only");
  const kernelOnly = p.fields.filter((f) => f.status === "kernel-only");
  // A kernel without the struct predates (or postdates) the descriptor: its rules cannot be its failure.
  const status: MatrixStatus =
    p.struct !== null && !p.found
      ? "absent"
      : rules.length > 0
        ? "fail"
        : p.struct === null
          ? "none"
          : drifted.length > 0 || p.size?.plugin !== p.size?.kernel
            ? "drift"
            : "pass";
  return { status, size: p.size, drifted, kernelOnly, rules };
}

/**
 * The plugins checked against several kernels (one `checkPlugins` result each, every one laid out for its
 * kernel's ABI) as a matrix: a row per plugin, a cell per kernel.
 */
export function kernelMatrix(results: readonly PluginCheckResult[]): KernelMatrix {
  const packages: { package: string; kind: string; struct: string | null }[] = [];
  for (const r of results)
    for (const p of r.plugins)
      if (!packages.some((q) => q.package === p.package && q.kind === p.kind))
        packages.push({ package: p.package, kind: p.kind, struct: p.struct });
  const counts = { pass: 0, drift: 0, fail: 0, absent: 0, none: 0 };
  const plugins = packages.map((row): MatrixRow => {
    const cells = results.map((r) =>
      cell(r.plugins.find((p) => p.package === row.package && p.kind === row.kind)),
    );
    for (const c of cells) counts[c.status]++;
    return { ...row, cells };
  });
  return {
    kernels: results.map((r) => r.btf),
    plugins,
    counts,
    ok: counts.drift === 0 && counts.fail === 0,
  };
}
