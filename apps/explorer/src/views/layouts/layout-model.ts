import type { Field, Layout } from "@memdesc/core";

/**
 * A row of the layout table: a field, a hole, the trailing padding, or a cacheline boundary. `key` is unique in
 * the table (core's `fullPath` repeats for anonymous structs at one offset in different union arms).
 */
export type LayoutRow = (
  | { readonly type: "field"; readonly field: Field }
  | {
      readonly type: "hole";
      readonly offset: number;
      readonly size: number;
      readonly bits?: number;
      readonly after: string;
    }
  | { readonly type: "padding"; readonly offset: number; readonly size: number }
  | { readonly type: "cacheline"; readonly offset: number; readonly index: number }
) & { readonly key: string };

/**
 * The layout as rows in offset order, like pahole's output: every field (members of named nested structs only
 * when `nested`), the holes after the member they follow, the trailing padding, and a marker at each
 * cacheline boundary.
 */
export function layoutRows(layout: Layout, nested = false): LayoutRow[] {
  const keyed: { offset: number; rank: number; seq: number; row: LayoutRow }[] = [];
  let seq = 0;
  const seen = new Map<string, number>();
  for (const field of layout.fields) {
    if (!nested && !field.anonymous && field.path.includes(".")) continue;
    const n = (seen.get(field.fullPath) ?? 0) + 1;
    seen.set(field.fullPath, n);
    const key = n === 1 ? field.fullPath : `${field.fullPath}#${n}`;
    keyed.push({ offset: field.offset, rank: 1, seq: seq++, row: { type: "field", field, key } });
  }
  for (const h of layout.holes)
    keyed.push({
      offset: h.offset,
      rank: 2,
      seq: seq++,
      row: {
        type: "hole",
        offset: h.offset,
        size: h.size,
        after: h.after,
        key: `hole@${h.offset}:${h.in}:${h.after}`,
        ...(h.bits ? { bits: h.bits } : {}),
      },
    });
  if (layout.padding > 0)
    keyed.push({
      offset: layout.size - layout.padding,
      rank: 3,
      seq: seq++,
      row: { type: "padding", offset: layout.size - layout.padding, size: layout.padding, key: "padding" },
    });
  for (let at = layout.cacheline; at < layout.size; at += layout.cacheline)
    keyed.push({
      offset: at,
      rank: 0,
      seq: seq++,
      row: { type: "cacheline", offset: at, index: at / layout.cacheline, key: `cacheline@${at}` },
    });
  keyed.sort((a, b) => a.offset - b.offset || a.rank - b.rank || a.seq - b.seq);
  return keyed.map((k) => k.row);
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
