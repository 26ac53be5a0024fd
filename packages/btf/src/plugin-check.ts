import type { AnyDescriptor, Registry } from "@memdesc/core";
import { type Field, fieldsByPath, type Layout, type RuleStatus } from "@memdesc/core/layout";
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
  readonly btf: { readonly file: string; readonly abi: string; readonly types: number };
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
    btf: { file: btf.file ?? "", abi: btf.abi, types: btf.count },
    ok: failures === 0,
    failures,
    plugins: results,
  };
}

/** Field by field, by C access path: where a plugin's layout and the kernel's agree, and where they do not. */
export function compareFields(plugin: Layout, kernel: Layout): FieldCheck[] {
  const mine = fieldsByPath(plugin);
  const theirs = fieldsByPath(kernel);
  const side = (f: Field | undefined): FieldSide | null =>
    f ? { offset: f.offset, size: f.size, type: f.typeName } : null;
  // Fields inside a member the other side keeps whole (a spinlock_t the plugin leaves opaque) are not
  // differences; inside a member both sides expand (struct page within struct folio), they are.
  const hasChildren = (fields: ReadonlyMap<string, Field>, parent: string) => {
    for (const k of fields.keys()) if (k.startsWith(`${parent}.`)) return true;
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
    if (!k && insideOpaque(path, theirs)) continue;
    let status: FieldStatus;
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
