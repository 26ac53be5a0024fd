import * as b from "./builtins.js";
import type { CType, QualifiedType } from "./types.js";

/**
 * Parses the C type names kernel developers write: `unsigned long`, `struct address_space *`, `atomic_t`,
 * `const char *`, `u8[16]`, `u32[]`. Built-in kernel types resolve at once; any other typedef name or
 * `struct <tag>` used by value becomes a `ref`, resolved (or reported as unknown) at layout time.
 * Returns an error string instead of throwing so the caller can name the struct and field.
 */
export function parseTypeName(text: string): CType | string {
  const tokens = text.match(/[A-Za-z_][A-Za-z0-9_]*|\*|\[|\]|\d+|\S/g);
  if (!tokens || tokens.length === 0) return `empty type name`;
  let pos = 0;
  const quals: ("const" | "volatile" | "restrict")[] = [];
  const words: string[] = [];
  while (pos < tokens.length) {
    const t = tokens[pos]!;
    if (t === "*" || t === "[") break;
    if (t === "const" || t === "volatile" || t === "restrict") quals.push(t);
    else if (/^[A-Za-z_]/.test(t)) words.push(t);
    else return `unexpected "${t}" in type name "${text}"`;
    pos++;
  }
  const base = baseType(words);
  if (typeof base === "string") return `${base} in type name "${text}"`;
  let type: CType = qualify(base, quals);
  while (pos < tokens.length && tokens[pos] !== "[") {
    const t = tokens[pos++]!;
    if (t === "*") type = b.pointer(type);
    else if (t === "const" || t === "volatile" || t === "restrict") type = qualify(type, [t]);
    else return `unexpected "${t}" in type name "${text}"`;
  }
  // Array suffixes bind right to left: u8[2][3] is an array of 2 arrays of 3.
  const dims: (number | "flex")[] = [];
  while (pos < tokens.length) {
    if (tokens[pos] !== "[") return `unexpected "${tokens[pos]}" in type name "${text}"`;
    const n = tokens[pos + 1];
    if (n === "]") {
      dims.push("flex");
      pos += 2;
    } else if (n !== undefined && /^\d+$/.test(n) && tokens[pos + 2] === "]") {
      dims.push(Number(n));
      pos += 3;
    } else return `bad array suffix in type name "${text}"`;
  }
  for (let i = dims.length - 1; i >= 0; i--) {
    const d = dims[i]!;
    type =
      d === "flex"
        ? { kind: "array", element: type, length: 0, flexible: true }
        : { kind: "array", element: type, length: d };
  }
  return type;
}

function qualify(type: CType, quals: readonly ("const" | "volatile" | "restrict")[]): CType {
  if (quals.length === 0) return type;
  const q: QualifiedType = { kind: "qualified", qualifiers: quals, type };
  return q;
}

const intKeywords = new Set(["unsigned", "signed", "char", "short", "int", "long", "_Bool", "__int128"]);

function baseType(words: string[]): CType | string {
  if (words.length === 0) return "missing base type";
  const first = words[0]!;
  if (first === "struct" || first === "union" || first === "enum") {
    const tag = words[1];
    if (!tag || words.length > 2) return `expected one tag after "${first}"`;
    const known = b.builtinTypes.get(`${first} ${tag}`);
    if (known) return known;
    if (first === "enum") return { kind: "enum", name: tag, size: 4 };
    return { kind: "ref", name: `${first} ${tag}` };
  }
  if (words.length === 1) {
    if (first === "void") return b.void_;
    if (first === "float") return { kind: "float", name: "float", size: 4 };
    if (first === "double") return { kind: "float", name: "double", size: 8 };
    if (first === "bool") return b.bool;
    const known = b.builtinTypes.get(first);
    if (known) return known;
    if (!intKeywords.has(first)) return { kind: "ref", name: first };
  }
  if (!words.every((w) => intKeywords.has(w))) return `cannot combine "${words.join(" ")}"`;
  return integer(words);
}

/** Normalises the many spellings of C's integer types to GCC's names. */
function integer(words: string[]): CType | string {
  const count = (w: string) => words.filter((x) => x === w).length;
  const unsigned = count("unsigned");
  const signed = count("signed");
  const longs = count("long");
  if (unsigned + signed > 1) return `conflicting signedness`;
  if (count("_Bool")) return words.length === 1 ? b._Bool : `cannot combine "${words.join(" ")}"`;
  if (count("__int128")) return unsigned ? b.uint128 : b.int128;
  if (count("char")) {
    if (longs || count("short") || count("int")) return `cannot combine "${words.join(" ")}"`;
    return unsigned ? b.uchar : signed ? b.schar : b.char;
  }
  if (count("short")) {
    if (longs) return `cannot combine "${words.join(" ")}"`;
    return unsigned ? b.ushort : b.short;
  }
  if (longs === 1) return unsigned ? b.ulong : b.long;
  if (longs === 2) return unsigned ? b.ullong : b.llong;
  if (longs > 2) return `too many "long"s`;
  return unsigned ? b.uint : b.sint;
}
