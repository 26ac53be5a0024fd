import { MemdescError } from "../errors.js";

/** One member line of `pahole -C` output. */
export interface PaholeField {
  /** C access path: anonymous structs and unions add no step, expanded named ones (`-E`) do. */
  readonly path: string;
  readonly typeName: string;
  readonly offset: number;
  readonly size: number;
  readonly bitOffset?: number;
  readonly bitSize?: number;
}

/**
 * One struct or union of `pahole -C` output. pahole prints no summary for a union: its `size` is then its
 * largest member's end (short of any tail padding) and `cachelines` assumes 64-byte lines.
 */
export interface PaholeStruct {
  readonly kind: "struct" | "union";
  readonly name: string | undefined;
  readonly typedefName: string | undefined;
  readonly size: number;
  readonly cachelines: number;
  /** Top-level member count from pahole's summary line. */
  readonly members: number;
  readonly fields: readonly PaholeField[];
}

export class PaholeParseError extends MemdescError {
  constructor(message: string) {
    super("PAHOLE_PARSE", message);
  }
}

const headerRe = /^(typedef )?(struct|union)(?: (\w+))? \{$/;
const openRe = /^\s*(?:struct|union)(?: \w+)? \{$/;
/** `__attribute__((__packed__))`, `__attribute__((__aligned__(16)))`: pahole prints them around names. */
const attrs = String.raw`(?: __attribute__\(\(\w+(?:\(\d+\))?\)\))*`;
const attrRe = / __attribute__\(\(\w+(?:\(\d+\))?\)\)/g;
const closeRe = new RegExp(
  String.raw`^\s*\}${attrs}(?: (\w+)${attrs}((?:\[\d*\])*))?${attrs};\s*\/\*\s*(\d+)\s+(\d+)\s*\*\/$`,
);
/** `} * name;`: a pointer to an anonymous struct, whose members pahole shows at offsets of their own. */
const pointerCloseRe = new RegExp(
  String.raw`^\s*\}${attrs} \* (\w+)((?:\[\d*\])*)${attrs};\s*\/\*\s*(\d+)\s+(\d+)\s*\*\/$`,
);
/**
 * `unsigned int :0;` after "Force alignment to the next boundary", an explicit `:N` bit hole, or the `char [1]:8;`
 * lines pahole 1.24 prints under "Force padding:" for an unnamed bitfield it reads from DWARF (gcc -m32 gives
 * `long long :33;` so) — padding, not members.
 */
const paddingRe = /^\s*[^/]*\s(?:\[\d+\])?:\d+;$/;
/** An anonymous enum member: `enum {`, its values, then `} name;`, `} name:8;` or `} name[2];`. */
const enumOpenRe = /^\s*enum \{$/;
const enumCloseRe = new RegExp(
  String.raw`^\s*\}${attrs} (\w+)(?:\[\d*\])*(?::(\d+))?${attrs};\s*\/\*\s*(\d+)(?::\s*(\d+))?\s+(\d+)\s*\*\/$`,
);
const memberRe = /^\s*(.*?);\s*\/\*\s*(\d+)(?::\s*(\d+))?\s+(\d+)\s*\*\/$/;
const summaryRe = /\/\* size: (\d+), cachelines: (\d+), members: (\d+) \*\//;

/**
 * Parses the output of `pahole -C NAME` (one or more structs, unions or typedefs of them) into their
 * flattened fields, so layouts computed here can be compared with what the compiler emitted.
 */
export function parsePahole(text: string): PaholeStruct[] {
  const out: PaholeStruct[] = [];
  const lines = text.split("\n");
  let i = 0;
  while (i < lines.length) {
    const header = headerRe.exec(lines[i]!);
    if (!header) {
      i++;
      continue;
    }
    const kind = header[2] as "struct" | "union";
    const name = header[3];
    const typedef = header[1] !== undefined;
    // Stack of open nested aggregates; each collects fields with paths relative to itself.
    const stack: PaholeField[][] = [[]];
    let summary: RegExpExecArray | null = null;
    let typedefName: string | undefined;
    // Top-level members and their furthest end, for a union, of which pahole prints no summary.
    let topLevel = 0;
    let end = 0;
    const counted = (offset: number, size: number) => {
      if (stack.length > 1) return;
      topLevel++;
      end = Math.max(end, offset + size);
    };
    i++;
    for (; i < lines.length; i++) {
      const line = lines[i]!;
      if (/^\}/.test(line)) {
        if (typedef) typedefName = /^\}\s*(\w+)/.exec(line.replace(attrRe, ""))?.[1];
        break;
      }
      const s = summaryRe.exec(line);
      if (s) {
        summary = s;
        continue;
      }
      if (/^\s*\/\*/.test(line) || line.trim() === "" || paddingRe.test(line)) continue;
      if (openRe.test(line)) {
        stack.push([]);
        continue;
      }
      if (enumOpenRe.test(line)) {
        const start = i;
        let close: RegExpExecArray | null = null;
        while (!close && ++i < lines.length) close = enumCloseRe.exec(lines[i]!);
        if (!close) throw new PaholeParseError(`the enum opened at line ${start + 1} is never closed`);
        const [, path, bits, offset, bitOffset, size] = close;
        const field: PaholeField = { path: path!, typeName: "enum {...}", offset: +offset!, size: +size! };
        counted(field.offset, field.size);
        stack[stack.length - 1]!.push(
          bits === undefined ? field : { ...field, bitOffset: Number(bitOffset ?? 0), bitSize: +bits },
        );
        continue;
      }
      const pointer = pointerCloseRe.exec(line);
      if (pointer) {
        // The pointed-to struct's members are not this struct's.
        stack.pop();
        const parent = stack[stack.length - 1];
        if (!parent) throw new PaholeParseError(`unbalanced braces at line ${i + 1}`);
        counted(Number(pointer[3]), Number(pointer[4]));
        parent.push({
          path: pointer[1]!,
          typeName: "",
          offset: Number(pointer[3]),
          size: Number(pointer[4]),
        });
        continue;
      }
      const close = closeRe.exec(line);
      if (close) {
        const inner = stack.pop();
        const parent = stack[stack.length - 1];
        if (!inner || !parent) throw new PaholeParseError(`unbalanced braces at line ${i + 1}`);
        counted(Number(close[3]), Number(close[4]));
        const prefix = close[1];
        if (prefix) {
          parent.push({ path: prefix, typeName: "", offset: Number(close[3]), size: Number(close[4]) });
        }
        for (const f of inner) parent.push(prefix ? { ...f, path: `${prefix}.${f.path}` } : f);
        continue;
      }
      const m = memberRe.exec(line);
      if (!m) throw new PaholeParseError(`cannot read line ${i + 1}: ${line.trim()}`);
      const decl = m[1]!.replace(/\s*__attribute__\(\(.*\)\)\s*$/, "");
      const { path, typeName, bits } = splitDeclaration(decl);
      const field: PaholeField =
        m[3] !== undefined || bits !== undefined
          ? {
              path,
              typeName,
              offset: Number(m[2]),
              size: Number(m[4]),
              bitOffset: Number(m[3] ?? 0),
              bitSize: bits ?? 0,
            }
          : { path, typeName, offset: Number(m[2]), size: Number(m[4]) };
      counted(field.offset, field.size);
      stack[stack.length - 1]!.push(field);
    }
    if (!summary && kind === "struct")
      throw new PaholeParseError(`${kind} ${name ?? ""}: no "size:" summary line`);
    out.push({
      kind,
      name,
      typedefName,
      size: summary ? Number(summary[1]) : end,
      cachelines: summary ? Number(summary[2]) : Math.ceil(end / 64),
      members: summary ? Number(summary[3]) : topLevel,
      fields: stack[0]!,
    });
    i++;
  }
  return out;
}

function splitDeclaration(decl: string): { path: string; typeName: string; bits?: number } {
  // pahole prints an array of function pointers as `void (*name)(int)[2]`.
  const fn = /^(.*?)\s*\(\*+(\w+)\)\s*\(.*\)(?:\[\d*\])*$/.exec(decl);
  if (fn) return { path: fn[2]!, typeName: `${fn[1]} (*)()` };
  const bitfield = /^(.*?)\s*(\w+):(\d+)$/.exec(decl);
  if (bitfield) return { path: bitfield[2]!, typeName: bitfield[1]!.trim(), bits: Number(bitfield[3]) };
  const plain = /^(.*?)\s*(\w+)((?:\[\d*\])*)$/.exec(decl);
  if (!plain) throw new PaholeParseError(`cannot split declaration "${decl}"`);
  return { path: plain[2]!, typeName: `${plain[1]!.trim()}${plain[3] ?? ""}` };
}
