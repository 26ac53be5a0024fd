import type { AbiName } from "../abi/abi.js";
import type { EnumType } from "../ctype/types.js";
import { LayoutEngine } from "./engine.js";
import { tabs } from "./pahole-text.js";

/**
 * Prints an enum as `pahole -C NAME` does: its values, one a line, and `__packed__` unless it is 4 bytes
 * wide (for the ABI, as an enum can be as wide as `long`).
 */
export function formatPaholeEnum(type: EnumType, abi: AbiName = "lp64"): string {
  const size = new LayoutEngine({ abi }).sizeAlign(type).size;
  return `${enumerationText(type, size, 0, undefined)};\n`;
}

/** pahole's `enumeration__fprintf`: also how an anonymous enum member is printed, indented and named. */
export function enumerationText(
  t: EnumType,
  size: number,
  indent: number,
  suffix: string | undefined,
): string {
  let out = `enum${t.name ? ` ${t.name}` : ""}`;
  const values = t.values ?? [];
  if (values.length === 0) return out;
  out += " {\n";
  const width = Math.max(...values.map((v) => v.name.length));
  for (const v of values) {
    // pahole 1.24 reads BTF enum values as unsigned, 32 bits wide unless the enum is 8 bytes.
    const value = BigInt.asUintN(size > 4 ? 64 : 32, v.value);
    out += `${tabs(indent)}\t${v.name.padEnd(width)} = ${value},\n`;
  }
  out += `${tabs(indent)}}`;
  if (size !== 4) out += " __attribute__((__packed__))";
  if (suffix !== undefined) out += ` ${suffix}`;
  return out;
}
