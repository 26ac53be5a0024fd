import {
  type Field,
  formatPahole,
  type Layout,
  type PaholeFormatOptions,
  type PaholeRow,
  paholeRows,
} from "@memdesc/core";

/**
 * A row of the layout table: a line of pahole's printout of the layout (the header, a member, an aggregate opened
 * or closed in place, a hole, a cacheline boundary, the summary), or, when nested members are asked for, a member
 * of a named struct that pahole prints by name only (`lru.next`). `key` is unique in the table.
 */
export type LayoutRow =
  | { readonly type: "pahole"; readonly row: PaholeRow; readonly key: string }
  | { readonly type: "expanded"; readonly field: Field; readonly depth: number; readonly key: string };

/**
 * The layout as pahole prints it, one row per line of its text (blank lines left out), so the table has the same
 * tree: unions and anonymous structs opened and closed where pahole opens and closes them, arrays and bitfields
 * as declared, holes, cacheline boundaries and the summary where pahole puts them. With `nested`, the members
 * of named structs (which pahole prints by name) follow their struct's row, one level deeper.
 */
export function layoutRows(layout: Layout, options: PaholeFormatOptions = {}, nested = false): LayoutRow[] {
  const rows = paholeRows(formatPahole(layout, options)).filter((r) => r.kind !== "blank");
  const out: LayoutRow[] = [];
  for (const row of rows) {
    out.push({ type: "pahole", row, key: `line${row.line}` });
    if (!nested || row.kind !== "member" || row.path === undefined) continue;
    const inside = layout.fields.filter((f) => !f.anonymous && f.path.startsWith(`${row.path}.`));
    const base = row.path.split(".").length;
    for (const f of inside)
      out.push({
        type: "expanded",
        field: f,
        depth: row.depth + f.path.split(".").length - base,
        key: `line${row.line}:${f.fullPath}`,
      });
  }
  return out;
}

/** One run of bytes in a row of the byte map. */
export interface ByteSpan {
  readonly offset: number;
  readonly size: number;
  readonly label: string;
  /** Every field that overlays these bytes (the other arms of unions), for the tooltip. */
  readonly also: readonly string[];
  readonly role: "member" | "hole" | "padding";
  /** Index of the owning field, for its colour. */
  readonly member: number;
}

/**
 * The byte map: the layout in rows of `rowBytes` (one unsigned long a row by default), each row split into
 * runs of bytes that belong to one field, a hole or the trailing padding. A byte belongs to the first named
 * field that covers it (the first arm of a union, as the struct is usually read); members of named nested
 * structs (`lru.next`) stay inside their parent.
 */
export function byteRows(layout: Layout, rowBytes = 8): ByteSpan[][] {
  const named = layout.fields.filter((f) => !f.anonymous && !f.path.includes("."));
  const owner = new Int32Array(layout.size).fill(-1);
  named.forEach((f, i) => {
    for (let b = f.offset; b < Math.min(layout.size, f.offset + Math.max(1, f.size)); b++)
      if (owner[b] === -1) owner[b] = i;
  });
  const rows: ByteSpan[][] = [];
  for (let start = 0; start < layout.size; start += rowBytes) {
    const row: ByteSpan[] = [];
    const end = Math.min(layout.size, start + rowBytes);
    let b = start;
    while (b < end) {
      const o = owner[b]!;
      let e = b + 1;
      while (e < end && owner[e] === o) e++;
      const tail = b >= layout.size - layout.padding;
      const f = named[o];
      const also = named
        .filter((x, i) => i !== o && x.offset < e && x.offset + Math.max(1, x.size) > b)
        .map((x) => x.name);
      row.push({
        offset: b,
        size: e - b,
        label: f ? f.name : tail ? "padding" : "hole",
        also,
        role: f ? "member" : tail ? "padding" : "hole",
        member: o,
      });
      b = e;
    }
    rows.push(row);
  }
  return rows;
}
