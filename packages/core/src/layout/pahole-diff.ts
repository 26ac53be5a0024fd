import { findField } from "./fields.js";
import { type PaholeStruct, parsePahole } from "./pahole-parse.js";
import type { Layout } from "./types.js";

/**
 * Where a layout disagrees with what `pahole -C` printed for the same struct, as sentences:
 * `size: 72 here, 64 in pahole`, `_private: offset 32 here, 40 in pahole`, `lru: missing here`.
 * An empty list means every member pahole prints (at every depth reached through anonymous structs and unions)
 * has the same offset, size, bit position and type name here, and the size and member count agree.
 */
export function diffPahole(layout: Layout, pahole: PaholeStruct | string): string[] {
  const ref = typeof pahole === "string" ? onlyStruct(pahole) : pahole;
  const out: string[] = [];
  if (layout.size !== ref.size) out.push(`size: ${layout.size} here, ${ref.size} in pahole`);
  if (layout.members.length !== ref.members)
    out.push(`members: ${layout.members.length} here, ${ref.members} in pahole`);
  for (const f of ref.fields) {
    const ours = findField(layout, f.path);
    if (!ours) {
      out.push(`${f.path}: missing here`);
      continue;
    }
    const compare = (what: string, here: unknown, there: unknown) => {
      if (here !== there) out.push(`${f.path}: ${what} ${String(here)} here, ${String(there)} in pahole`);
    };
    compare("offset", ours.offset, f.offset);
    compare("size", ours.size, f.size);
    // Arrays: pahole prints the suffix after the name; function pointers: their name inside the type.
    const theirType = f.typeName.replace(/(\[\d*\])+$/, "");
    if (theirType && !theirType.includes("(*)")) compare("type", ours.typeName, theirType);
    if (f.bitSize !== undefined || ours.bitSize !== undefined) {
      compare("bit offset", ours.bitOffset ?? 0, f.bitOffset ?? 0);
      compare("bits", ours.bitSize ?? 0, f.bitSize ?? 0);
    }
  }
  return out;
}

function onlyStruct(text: string): PaholeStruct {
  const parsed = parsePahole(text);
  if (parsed.length !== 1)
    throw new RangeError(`expected the output of pahole -C for one struct, found ${parsed.length}`);
  return parsed[0]!;
}
