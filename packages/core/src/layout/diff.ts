import { fieldsByPath, layoutLabel } from "./fields.js";
import type { Field, Layout } from "./types.js";

/** How a field differs between two layouts of one struct: what pahole users look for across kernels. */
export type FieldChange = "moved" | "resized" | "retyped" | "added" | "removed";

/** Where a field is in one layout. */
export interface FieldPlace {
  readonly offset: number;
  readonly size: number;
  readonly bitOffset?: number;
  readonly bitSize?: number;
  readonly type: string;
}

export interface FieldDiff {
  /** The C access path (`lru`, `__page_1.flags`). */
  readonly path: string;
  /** Its place in the first layout, or null when it is added. */
  readonly a: FieldPlace | null;
  /** Its place in the second layout, or null when it is removed. */
  readonly b: FieldPlace | null;
  /** Empty when the field is the same in both. */
  readonly changes: readonly FieldChange[];
}

export interface LayoutDiff {
  readonly a: { readonly label: string; readonly size: number; readonly align: number; readonly abi: string };
  readonly b: { readonly label: string; readonly size: number; readonly align: number; readonly abi: string };
  /** Every named field of either layout, in offset order; unchanged ones have no changes. */
  readonly fields: readonly FieldDiff[];
  /** The fields that differ (those with changes). */
  readonly changed: readonly FieldDiff[];
  readonly counts: Readonly<Record<FieldChange | "unchanged", number>>;
  /** Same size and every field in the same place with the same type. */
  readonly same: boolean;
}

const place = (f: Field): FieldPlace => ({
  offset: f.offset,
  size: f.size,
  ...(f.bitSize !== undefined ? { bitOffset: f.bitOffset ?? 0, bitSize: f.bitSize } : {}),
  type: f.typeName,
});

/**
 * Two layouts of one struct (two kernels', or a plugin's and a kernel's) field by field, matched by C access
 * path. A field inside a member the other layout keeps whole (a `spinlock_t` one side leaves opaque, or
 * `memdesc_flags_t flags` against `unsigned long flags`) is not a difference of its own: its parent shows as
 * retyped instead.
 */
export function diffLayouts(a: Layout, b: Layout): LayoutDiff {
  const left = fieldsByPath(a);
  const right = fieldsByPath(b);
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
  const fields: FieldDiff[] = [];
  for (const [path, f] of left) {
    const g = right.get(path);
    if (!g) {
      if (!insideOpaque(path, right)) fields.push({ path, a: place(f), b: null, changes: ["removed"] });
      continue;
    }
    const changes: FieldChange[] = [];
    if (f.offset !== g.offset || (f.bitOffset ?? 0) !== (g.bitOffset ?? 0)) changes.push("moved");
    if (f.size !== g.size || (f.bitSize ?? 0) !== (g.bitSize ?? 0)) changes.push("resized");
    if (f.typeName !== g.typeName) changes.push("retyped");
    fields.push({ path, a: place(f), b: place(g), changes });
  }
  for (const [path, g] of right)
    if (!left.has(path) && !insideOpaque(path, left))
      fields.push({ path, a: null, b: place(g), changes: ["added"] });
  fields.sort(
    (x, y) =>
      (x.b ?? x.a)!.offset - (y.b ?? y.a)!.offset ||
      ((x.b ?? x.a)!.bitOffset ?? 0) - ((y.b ?? y.a)!.bitOffset ?? 0) ||
      x.path.localeCompare(y.path),
  );
  const counts = { moved: 0, resized: 0, retyped: 0, added: 0, removed: 0, unchanged: 0 };
  for (const f of fields) {
    if (f.changes.length === 0) counts.unchanged++;
    for (const c of f.changes) counts[c]++;
  }
  const changed = fields.filter((f) => f.changes.length > 0);
  const side = (l: Layout) => ({ label: layoutLabel(l), size: l.size, align: l.align, abi: l.abi });
  return { a: side(a), b: side(b), fields, changed, counts, same: changed.length === 0 && a.size === b.size };
}

const at = (p: FieldPlace) => (p.bitSize !== undefined ? `${p.offset}:${p.bitOffset}` : String(p.offset));
const width = (p: FieldPlace) =>
  p.bitSize !== undefined
    ? `${p.bitSize} bit${p.bitSize === 1 ? "" : "s"}`
    : `${p.size} byte${p.size === 1 ? "" : "s"}`;

/** One line for a changed field: `moved  _mapcount: 48 → 52 (atomic_t, 4 bytes)`. */
export function describeFieldDiff(f: FieldDiff): string {
  const { a, b } = f;
  if (!a) return `added    ${f.path}: ${b!.type}, ${width(b!)} at ${at(b!)}`;
  if (!b) return `removed  ${f.path}: ${a.type}, ${width(a)} at ${at(a)}`;
  const parts: string[] = [];
  if (f.changes.includes("moved")) parts.push(`offset ${at(a)} → ${at(b)}`);
  if (f.changes.includes("resized")) parts.push(`size ${width(a)} → ${width(b)}`);
  if (f.changes.includes("retyped")) parts.push(`type ${a.type} → ${b.type}`);
  const word = f.changes.includes("moved")
    ? "moved"
    : f.changes.includes("resized")
      ? (b.bitSize ?? b.size * 8) > (a.bitSize ?? a.size * 8)
        ? "grew"
        : "shrank"
      : "retyped";
  return `${word.padEnd(8)} ${f.path}: ${parts.join(", ")}`;
}

/** A changed field as a summary shows it: `inside` counts the members its line stands for. */
export interface DiffLine {
  readonly field: FieldDiff;
  readonly inside: number;
}

/**
 * The changed fields worth a line each, in offset order: a member that went or came stands for the members
 * inside it, and so does one that moved, for its members that moved with it and changed nothing else.
 */
export function summarizeLayoutDiff(diff: LayoutDiff): DiffLine[] {
  const byPath = new Map(diff.changed.map((f) => [f.path, f]));
  const parentOf = (path: string) =>
    path.includes(".") ? byPath.get(path.slice(0, path.lastIndexOf("."))) : undefined;
  const shift = (f: FieldDiff) => (f.a && f.b ? f.b.offset - f.a.offset : 0);
  const standsFor = (parent: FieldDiff, f: FieldDiff): boolean => {
    if (!parent.a || !parent.b) return f.changes[0] === parent.changes[0];
    return (
      parent.changes.includes("moved") &&
      !!f.a &&
      !!f.b &&
      f.changes.length === 1 &&
      f.changes[0] === "moved" &&
      shift(f) === shift(parent)
    );
  };
  // Hidden when its parent (hidden or not) stands for it; a hidden line's own members follow it up the chain.
  const hidden = new Set<string>();
  const lines: DiffLine[] = [];
  for (const f of diff.changed) {
    const parent = parentOf(f.path);
    if (parent && standsFor(parent, f)) {
      hidden.add(f.path);
      let top: FieldDiff | undefined = parent;
      while (top && hidden.has(top.path)) top = parentOf(top.path);
      const line = lines.find((l) => l.field === top);
      if (line) (line as { inside: number }).inside++;
      continue;
    }
    lines.push({ field: f, inside: 0 });
  }
  return lines;
}

/**
 * The difference as text, first layout to second: the size, then one line per changed field in offset order
 * (`summarizeLayoutDiff`), then the counts.
 */
export function formatLayoutDiff(diff: LayoutDiff): string {
  const { a, b } = diff;
  const lines: string[] = [];
  const delta = b.size - a.size;
  lines.push(
    delta === 0
      ? `size: ${a.size} bytes in both`
      : `size: ${a.size} → ${b.size} bytes (${delta > 0 ? "grew" : "shrank"} by ${Math.abs(delta)})`,
  );
  if (a.abi !== b.abi) lines.push(`abi: ${a.abi} → ${b.abi}`);
  for (const { field, inside } of summarizeLayoutDiff(diff))
    lines.push(
      `${describeFieldDiff(field)}${inside ? ` (and the ${inside} member${inside === 1 ? "" : "s"} inside it)` : ""}`,
    );
  const c = diff.counts;
  lines.push(
    diff.same
      ? "same layout"
      : `${c.moved} moved, ${c.resized} resized, ${c.retyped} retyped, ${c.added} added, ${c.removed} removed; ${c.unchanged} unchanged`,
  );
  return `${lines.join("\n")}\n`;
}
