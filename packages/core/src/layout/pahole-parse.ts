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
const closeRe = /^\s*\}(?: (\w+)(\[\d+\])*)?;\s*\/\*\s*(\d+)\s+(\d+)\s*\*\/$/;
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
    i++;
    for (; i < lines.length; i++) {
      const line = lines[i]!;
      if (/^\}/.test(line)) {
        if (typedef) typedefName = /^\}\s*(\w+)/.exec(line)?.[1];
        break;
      }
      const s = summaryRe.exec(line);
      if (s) {
        summary = s;
        continue;
      }
      if (/^\s*\/\*/.test(line) || line.trim() === "") continue;
      if (openRe.test(line)) {
        stack.push([]);
        continue;
      }
      const close = closeRe.exec(line);
      if (close) {
        const inner = stack.pop();
        const parent = stack[stack.length - 1];
        if (!inner || !parent) throw new PaholeParseError(`unbalanced braces at line ${i + 1}`);
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
      stack[stack.length - 1]!.push(field);
    }
    if (!summary) throw new PaholeParseError(`${kind} ${name ?? ""}: no "size:" summary line`);
    out.push({
      kind,
      name,
      typedefName,
      size: Number(summary[1]),
      cachelines: Number(summary[2]),
      members: Number(summary[3]),
      fields: stack[0]!,
    });
    i++;
  }
  return out;
}

function splitDeclaration(decl: string): { path: string; typeName: string; bits?: number } {
  const fn = /^(.*?)\s*\(\*+(\w+)\)\s*\(.*\)$/.exec(decl);
  if (fn) return { path: fn[2]!, typeName: `${fn[1]} (*)()` };
  const bitfield = /^(.*?)\s*(\w+):(\d+)$/.exec(decl);
  if (bitfield) return { path: bitfield[2]!, typeName: bitfield[1]!.trim(), bits: Number(bitfield[3]) };
  const plain = /^(.*?)\s*(\w+)((?:\[\d*\])*)$/.exec(decl);
  if (!plain) throw new PaholeParseError(`cannot split declaration "${decl}"`);
  return { path: plain[2]!, typeName: `${plain[1]!.trim()}${plain[3] ?? ""}` };
}
