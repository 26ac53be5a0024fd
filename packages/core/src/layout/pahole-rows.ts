/**
 * What a line of `pahole -C` output is. `header` opens the printed struct and `end` closes it; `open` and
 * `close` bracket an aggregate printed in place (an anonymous struct, union or enum); `member` is a declaration
 * with its offset and size; `enumerator` a value of an inline enum; `bitpad` an explicit `:N` bit padding
 * declaration; `cacheline`, `hole`, `comment` and `summary` are pahole's comments; `blank` separates them.
 */
export type PaholeRowKind =
  | "header"
  | "open"
  | "member"
  | "close"
  | "enumerator"
  | "bitpad"
  | "cacheline"
  | "hole"
  | "comment"
  | "summary"
  | "end"
  | "blank";

/** One line of pahole's output, with what it says taken apart. Offsets are the line's own, as printed. */
export interface PaholeRow {
  /** 0-based line number in the text. */
  readonly line: number;
  /** The line exactly as printed. */
  readonly text: string;
  readonly kind: PaholeRowKind;
  /** Aggregates open around the line: 0 for the header, its end and everything outside; 1 for top-level members. */
  readonly depth: number;
  /** member, close: the printed offset and size (bytes; a bitfield's size is its storage unit's). */
  readonly offset?: number;
  readonly size?: number;
  readonly bitOffset?: number;
  readonly bitSize?: number;
  /** member: the type as printed (`struct list_head`, `mm_id_t`, `void (*)(struct page *)`); open: `union`. */
  readonly type?: string;
  /** member, close: the declared name, without array brackets or bits. */
  readonly name?: string;
  /** member, close: the array dimension as printed (`[2]`, `[]`). */
  readonly array?: string;
  /** open, close: the aggregate. */
  readonly aggregate?: "struct" | "union" | "enum";
  /** close: a pointer to the anonymous aggregate (`} * name;`), whose members are the pointee's, not this struct's. */
  readonly pointer?: boolean;
  /** member, close: the C access path from the printed struct (`lru`, `u._mm_id`); none inside a pointee. */
  readonly path?: string;
  /** open: the line of its close, and the reverse. */
  readonly match?: number;
  /** comments: the text between `/*` and `*\/`; hole: its bytes or bits; cacheline: its number and offset. */
  readonly note?: string;
  readonly holeBytes?: number;
  readonly holeBits?: number;
  readonly cacheline?: number;
}

const attrs = String.raw`(?: __attribute__\(\([^;]*?\)\))*`;
const comment = String.raw`\/\*\s*(\d+)(?::\s*(\d+))?\s+(\d+)\s*\*\/`;
const openRe = /^(\s*)(struct|union|enum)(?: \w+)? \{$/;
const headerRe = /^(typedef )?(struct|union)(?: \w+)? \{$/;
/** A close: `};`, `} name[2];`, `} name:8;`, `} * name;`, or `} :0;` (an anonymous enum's forced-alignment padding). */
const closeRe = new RegExp(
  String.raw`^(\s*)\}${attrs}(?: (\* )?(\w*)${attrs}((?:\[\d*\])*)(?::(\d+))?)?${attrs};\s*(?:${comment})?$`,
);
const memberRe = new RegExp(String.raw`^(\s*)(.*?);\s*${comment}$`);
const commentRe = /^\s*\/\*\s?(.*?)\s?\*\/$/;
const cachelineRe = /^--- cacheline (\d+) boundary \((\d+) bytes\)/;
const holeRe = /^XXX (\d+) (bytes?|bits?) hole/;
const summaryRe =
  /^(size: |sum members|sum bitfield members|padding: |paddings: |bit_padding: |forced alignments|last cacheline|BRAIN FART)/;
const bitpadRe = /^\s*[^/;]*\s:\d+;$/;

/** A member's declaration taken apart: `mm_id_t _mm_id[2]`, `unsigned int flag:1`, `void (*fn)(int)`. */
function declaration(decl: string): { type: string; name?: string; array?: string; bits?: number } {
  const clean = decl.replace(/\s*__attribute__\(\(.*\)\)\s*$/, "");
  const fn = /^(.*?\(\*+)(\w+)(\)\s*\(.*\))((?:\[\d*\])*)$/.exec(clean);
  if (fn)
    return {
      type: `${fn[1]!}${fn[3]!}`.replace(/\s+/g, " "),
      name: fn[2]!,
      ...(fn[4] ? { array: fn[4] } : {}),
    };
  const m = /^(.*?)\s*(\w+)((?:\[\d*\])*)(?::(\d+))?$/.exec(clean);
  if (!m) return { type: clean.trim() };
  return {
    type: m[1]!.trim().replace(/\s+/g, " "),
    name: m[2]!,
    ...(m[3] ? { array: m[3] } : {}),
    ...(m[4] !== undefined ? { bits: Number(m[4]) } : {}),
  };
}

/**
 * Takes `pahole -C` output (as `formatPahole` prints it, or pahole itself) apart line by line, keeping every
 * line: the rows joined with newlines are the text again. Each row says what the line is, how deep it is nested,
 * and what it declares, with the C access path of every member (names of named aggregates printed in place
 * prefix the paths inside them), so a table can show exactly the tree pahole prints.
 */
export function paholeRows(text: string): PaholeRow[] {
  const lines = text.split("\n");
  const rows: PaholeRow[] = [];
  // Open aggregates: the row of each `{`, and the rows inside it, to name them when the `}` gives a name.
  const stack: { row: number; inside: number[] }[] = [];
  let inStruct = false;
  const add = (row: Omit<PaholeRow, "line" | "text" | "depth">, depth = stack.length) => {
    const r = { line: rows.length, text: lines[rows.length]!, depth, ...row } as PaholeRow;
    for (const s of stack) s.inside.push(r.line);
    rows.push(r);
  };
  for (const text of lines) {
    const depth = stack.length;
    if (text.trim() === "") {
      add({ kind: "blank" });
      continue;
    }
    if (depth === 0) {
      if (!inStruct && headerRe.test(text)) {
        inStruct = true;
        const h = headerRe.exec(text)!;
        rows.push({
          line: rows.length,
          text,
          depth: 0,
          kind: "header",
          aggregate: h[2] as "struct" | "union",
        });
        stack.push({ row: rows.length - 1, inside: [] });
        continue;
      }
      const c = commentRe.exec(text);
      rows.push({
        line: rows.length,
        text,
        depth: 0,
        kind: c ? "comment" : "end",
        ...(c ? { note: c[1]! } : {}),
      });
      continue;
    }
    // The printed struct's own closing line: `};`, `} name;` for a typedef, with attributes.
    if (depth === 1 && /^\}/.test(text)) {
      const top = stack.pop()!;
      rows.push({ line: rows.length, text, depth: 0, kind: "end", match: top.row });
      rows[top.row] = { ...rows[top.row]!, match: rows.length - 1 };
      inStruct = false;
      continue;
    }
    const c = commentRe.exec(text);
    if (c) {
      const note = c[1]!;
      const cl = cachelineRe.exec(note);
      const hole = holeRe.exec(note);
      if (cl) add({ kind: "cacheline", note, cacheline: Number(cl[1]), offset: Number(cl[2]) });
      else if (hole)
        add({
          kind: "hole",
          note,
          ...(hole[2]!.startsWith("bit") ? { holeBits: Number(hole[1]) } : { holeBytes: Number(hole[1]) }),
        });
      else add({ kind: summaryRe.test(note) ? "summary" : "comment", note });
      continue;
    }
    const open = openRe.exec(text);
    if (open) {
      add({ kind: "open", aggregate: open[2] as "struct" | "union" | "enum", type: open[2]! });
      stack.push({ row: rows.length - 1, inside: [] });
      continue;
    }
    const close = closeRe.exec(text);
    if (close && /^\s*\}/.test(text)) {
      const top = stack.pop()!;
      const opened = rows[top.row]!;
      const [, , pointer, name, array, bits, offset, bitOffset, size] = close;
      const row: Omit<PaholeRow, "line" | "text" | "depth"> = {
        kind: "close",
        aggregate: opened.aggregate!,
        match: top.row,
        ...(name ? { name, path: name } : {}),
        ...(array ? { array } : {}),
        ...(pointer ? { pointer: true } : {}),
        ...(offset !== undefined ? { offset: Number(offset), size: Number(size) } : {}),
        ...(bits !== undefined ? { bitSize: Number(bits), bitOffset: Number(bitOffset ?? 0) } : {}),
      };
      // The aggregate's members: under its name (`u._mm_id`), or none of this struct's behind a pointer.
      for (const i of top.inside) {
        const r = rows[i]!;
        if (r.path === undefined) continue;
        if (pointer) {
          const { path: _, ...rest } = r;
          rows[i] = rest;
        } else if (name) rows[i] = { ...r, path: `${name}.${r.path}` };
      }
      rows[top.row] = { ...opened, match: rows.length, ...(name && !pointer ? { name, path: name } : {}) };
      add(row);
      continue;
    }
    const m = memberRe.exec(text);
    if (m) {
      const d = declaration(m[2]!);
      add({
        kind: "member",
        type: d.type,
        offset: Number(m[3]),
        size: Number(m[5]),
        ...(d.name !== undefined ? { name: d.name, path: d.name } : {}),
        ...(d.array ? { array: d.array } : {}),
        ...(d.bits !== undefined ? { bitSize: d.bits, bitOffset: Number(m[4] ?? 0) } : {}),
      });
      continue;
    }
    const top = stack[stack.length - 1];
    if (top && rows[top.row]!.aggregate === "enum") add({ kind: "enumerator", note: text.trim() });
    else if (bitpadRe.test(text))
      add({ kind: "bitpad", type: declaration(text.trim().replace(/;$/, "")).type });
    else add({ kind: "comment", note: text.trim() });
  }
  return rows;
}
