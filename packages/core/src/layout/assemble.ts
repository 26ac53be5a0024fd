import type { AbiName } from "../abi/abi.js";
import { typeName } from "../ctype/name.js";
import type { AggregateType } from "../ctype/types.js";
import type { Field, Hole, LaidMember, Layout, UnionGroup } from "./types.js";

export interface PlacedAggregate {
  readonly kind: "struct" | "union";
  readonly name: string | undefined;
  readonly typedefName?: string | undefined;
  readonly type: AggregateType;
  readonly abi: AbiName;
  readonly size: number;
  readonly align: number;
  readonly cacheline: number;
  readonly members: readonly LaidMember[];
}

/**
 * Builds a `Layout` from members whose offsets are already known: by the layout engine, or read from a
 * kernel's BTF. Everything derived (flattened fields, unions, holes, padding) is computed here, once.
 */
export function assembleLayout(placed: PlacedAggregate): Layout {
  const fields: Field[] = [];
  const unions: UnionGroup[] = [];
  const holes: Hole[] = [];

  /**
   * A member's step in a full path: its name, or `{struct@8}` for an anonymous one. Anonymous siblings of
   * the same kind at the same offset (two struct arms of one union) are told apart by their position: `{struct@8#2}`.
   */
  const labels = (members: readonly LaidMember[]): string[] => {
    const base = members.map((m) => m.name ?? `{${m.aggregate ?? "member"}@${m.offset}}`);
    // Unnamed bitfields are padding that neither DWARF nor BTF records, so they do not count as positions: the
    // same struct read back from BTF names its members alike.
    let n = 0;
    const position = members.map((m) => (m.name === undefined && m.bitSize !== undefined ? -1 : n++));
    return base.map((b, i) =>
      members[i]!.name === undefined && base.indexOf(b) !== base.lastIndexOf(b)
        ? `${b.slice(0, -1)}#${position[i]}}`
        : b,
    );
  };

  const visit = (
    members: readonly LaidMember[],
    kind: "struct" | "union",
    path: string,
    fullPath: string,
    depth: number,
    unionStack: Field["unions"],
  ) => {
    const names = labels(members);
    let unionIndex = -1;
    if (kind === "union" && depth > 0) {
      unionIndex = unions.length;
      unions.push({
        fullPath,
        offset: members[0]?.offset ?? 0,
        size: Math.max(0, ...members.map((m) => m.size)),
        arms: names,
      });
    }
    members.forEach((m, arm) => {
      const stack = unionIndex >= 0 ? [...unionStack, { union: unionIndex, arm }] : unionStack;
      const ownFull = fullPath ? `${fullPath}.${names[arm]}` : names[arm]!;
      const ownPath = m.name === undefined ? path : path ? `${path}.${m.name}` : m.name;
      fields.push({
        path: m.name === undefined ? ownFull : ownPath,
        fullPath: ownFull,
        name: m.name ?? "",
        offset: m.offset,
        size: m.size,
        ...(m.bitSize !== undefined ? { bitOffset: m.bitOffset ?? 0, bitSize: m.bitSize } : {}),
        typeName: typeName(m.type),
        depth,
        unions: stack,
        ...(m.name === undefined ? { anonymous: true } : {}),
      });
      if (m.members && m.aggregate) {
        // Anonymous members share their parent's access path; named ones add a step.
        visit(m.members, m.aggregate, ownPath, ownFull, depth + 1, stack);
      }
    });
    if (kind === "struct") holes.push(...structHoles(members, fullPath));
  };

  // The outermost union is a union group too, so its top-level members are arms of it.
  if (placed.kind === "union") {
    const top = labels(placed.members);
    unions.push({ fullPath: "", offset: 0, size: placed.size, arms: top });
    placed.members.forEach((m, arm) => {
      fields.push({
        path: m.name ?? top[arm]!,
        fullPath: top[arm]!,
        name: m.name ?? "",
        offset: m.offset,
        size: m.size,
        ...(m.bitSize !== undefined ? { bitOffset: m.bitOffset ?? 0, bitSize: m.bitSize } : {}),
        typeName: typeName(m.type),
        depth: 0,
        unions: [{ union: 0, arm }],
        ...(m.name === undefined ? { anonymous: true } : {}),
      });
      if (m.members && m.aggregate)
        visit(m.members, m.aggregate, m.name ?? "", top[arm]!, 1, [{ union: 0, arm }]);
    });
  } else {
    visit(placed.members, "struct", "", "", 0, []);
  }

  const end = placed.kind === "struct" ? lastEnd(placed.members) : { bytes: placed.size, bitPadding: 0 };
  return {
    kind: placed.kind,
    name: placed.name,
    typedefName: placed.typedefName,
    type: placed.type,
    abi: placed.abi,
    size: placed.size,
    align: placed.align,
    cacheline: placed.cacheline,
    members: placed.members,
    fields,
    unions,
    holes: holes.sort((a, b) => a.offset - b.offset),
    padding: Math.max(0, placed.size - end.bytes),
    bitPadding: end.bitPadding,
  };
}

const memberEndBits = (m: LaidMember) =>
  m.bitSize !== undefined ? m.offset * 8 + (m.bitOffset ?? 0) + m.bitSize : (m.offset + m.size) * 8;

/** Where the last member's storage ends, and the unused bits of a final bitfield unit. */
function lastEnd(members: readonly LaidMember[]): { bytes: number; bitPadding: number } {
  const last = members[members.length - 1];
  if (!last) return { bytes: 0, bitPadding: 0 };
  const unitEnd = last.offset + last.size;
  return { bytes: unitEnd, bitPadding: last.bitSize !== undefined ? unitEnd * 8 - memberEndBits(last) : 0 };
}

/**
 * Holes between consecutive members of one struct: whole bytes between storage units, and the unused bits at
 * the end of a bitfield's storage unit when the next member starts a new one.
 */
function structHoles(members: readonly LaidMember[], inPath: string): Hole[] {
  const holes: Hole[] = [];
  for (let i = 0; i + 1 < members.length; i++) {
    const prev = members[i]!;
    const next = members[i + 1]!;
    const after = prev.name ?? `{${prev.aggregate ?? "member"}@${prev.offset}}`;
    const sameUnit = prev.bitSize !== undefined && next.bitSize !== undefined && next.offset === prev.offset;
    if (sameUnit) {
      const gap = next.offset * 8 + (next.bitOffset ?? 0) - memberEndBits(prev);
      if (gap > 0) holes.push({ in: inPath, after, offset: prev.offset, size: 0, bits: gap });
      continue;
    }
    if (prev.bitSize !== undefined) {
      const unused = (prev.offset + prev.size) * 8 - memberEndBits(prev);
      const nextStart = next.offset * 8 + (next.bitOffset ?? 0);
      const bitGap = Math.min(unused, nextStart - memberEndBits(prev));
      if (bitGap > 0) holes.push({ in: inPath, after, offset: prev.offset, size: 0, bits: bitGap });
    }
    const gap = next.offset - (prev.offset + prev.size);
    if (gap > 0) holes.push({ in: inPath, after, offset: prev.offset + prev.size, size: gap });
  }
  return holes;
}
