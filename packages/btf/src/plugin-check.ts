import type { AnyDescriptor, Registry } from "@memdesc/core";
import { diffLayouts, type FieldPlace, type Layout, type RuleStatus } from "@memdesc/core/layout";
import type { Btf } from "./reader.js";

/**
 * How a plugin's field compares with the kernel's: `kernel-only` is a field the plugin lacks (vendor-added, or
 * new upstream), `plugin-only` one the kernel lacks (renamed or removed), `wrong-offset`/`wrong-size` the same
 * name in a different place.
 */
export type FieldStatus = "ok" | "wrong-offset" | "wrong-size" | "kernel-only" | "plugin-only";

export interface FieldSide {
  readonly offset: number;
  readonly size: number;
  readonly type: string;
}

export interface FieldCheck {
  readonly path: string;
  readonly status: FieldStatus;
  readonly plugin: FieldSide | null;
  readonly kernel: FieldSide | null;
}

export interface RuleCheck {
  readonly macro: string;
  readonly label: string;
  readonly status: RuleStatus;
  readonly actual: number | null;
  readonly expected: number | null;
  readonly message: string;
}

export interface PluginCheck {
  readonly package: string;
  readonly kind: string;
  /** The kernel struct compared; null when the plugin has no today layout (an inline kind). */
  readonly struct: string | null;
  /** Whether the kernel's BTF has that struct. */
  readonly found: boolean;
  readonly size: { readonly plugin: number; readonly kernel: number | null } | null;
  readonly fields: readonly FieldCheck[];
  readonly overlay: readonly RuleCheck[];
  /** Fields in the wrong place or missing from the kernel, and overlay rules that fail or name a missing field. */
  readonly failures: number;
}

export interface PluginCheckResult {
  readonly btf: {
    readonly file: string;
    /** The architecture an ELF file names (`x86_64`, `i386`, `s390x`); null for raw BTF, which does not say. */
    readonly arch: string | null;
    readonly abi: string;
    readonly types: number;
  };
  readonly ok: boolean;
  readonly failures: number;
  readonly plugins: readonly PluginCheck[];
}

/**
 * Checks plugins against a kernel's BTF: each plugin's today layout field by field against the kernel's struct
 * of the same name, and its overlay rules against the kernel's `struct page` (and any other base struct the
 * rules name). The registry must be laid out for the kernel's ABI (`btf.abi`).
 */
export function checkPlugins<Ps extends readonly AnyDescriptor[]>(
  btf: Btf,
  registry: Registry<Ps>,
  plugins: readonly AnyDescriptor[] = registry.plugins.filter((p) => p.today || p.overlay.length > 0),
): PluginCheckResult {
  const kernelPage = btf.layout("page");
  const bases = new Map<string, Layout>();
  for (const p of plugins)
    for (const set of p.overlay)
      for (const name of [set.base, set.desc])
        if (name && name !== "page" && !bases.has(name) && btf.findStruct(name) !== undefined)
          bases.set(name, btf.layout(name));
  const overlays = new Map(
    registry.checkOverlays({ page: kernelPage, layouts: bases }).map((r) => [r.kind, r]),
  );

  const results = plugins.map((p): PluginCheck => {
    const kind = p.kind;
    const overlay = (overlays.get(kind)?.results ?? []).map(
      (r): RuleCheck => ({
        macro: r.macro,
        label: r.label,
        status: r.status,
        actual: r.actual ?? null,
        expected: r.expected ?? null,
        message: r.message,
      }),
    );
    const overlayFailures = overlay.filter((r) => r.status === "fail" || r.status === "missing").length;
    const common = { package: p.name, kind, overlay };
    if (!p.today)
      return { ...common, struct: null, found: false, size: null, fields: [], failures: overlayFailures };
    const mine = registry.todayLayout(kind as never);
    const name = mine.name ?? mine.typedefName ?? kind;
    const id = btf.findStruct(name);
    if (id === undefined)
      return {
        ...common,
        struct: name,
        found: false,
        size: { plugin: mine.size, kernel: null },
        fields: [],
        failures: overlayFailures,
      };
    const theirs = btf.layout(id);
    const fields = compareFields(mine, theirs);
    const fieldFailures = fields.filter((f) => f.status !== "ok" && f.status !== "kernel-only").length;
    return {
      ...common,
      struct: name,
      found: true,
      size: { plugin: mine.size, kernel: theirs.size },
      fields,
      failures: overlayFailures + fieldFailures,
    };
  });
  const failures = results.reduce((s, r) => s + r.failures, 0);
  return {
    btf: { file: btf.file ?? "", arch: btf.source.arch ?? null, abi: btf.abi, types: btf.count },
    ok: failures === 0,
    failures,
    plugins: results,
  };
}

/** Field by field, by C access path: where a plugin's layout and the kernel's agree, and where they do not. */
export function compareFields(plugin: Layout, kernel: Layout): FieldCheck[] {
  // Type names are not compared: a plugin may spell a kernel type its own way.
  return diffLayouts(plugin, kernel).fields.map((f): FieldCheck => {
    const status: FieldStatus = !f.b
      ? "plugin-only"
      : !f.a
        ? "kernel-only"
        : f.changes.includes("moved")
          ? "wrong-offset"
          : f.changes.includes("resized")
            ? "wrong-size"
            : "ok";
    return { path: f.path, status, plugin: f.a && side(f.a), kernel: f.b && side(f.b) };
  });
}

const side = (p: FieldPlace): FieldSide => ({ offset: p.offset, size: p.size, type: p.type });
