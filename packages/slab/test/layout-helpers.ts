import { existsSync, readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import {
  type AggregateType,
  type CType,
  declarator,
  type LaidMember,
  type Layout,
  type Member,
} from "@memdesc/core";

/** `../shared/reference` beside the repository, where the kernel facts (pahole outputs) are kept. */
export const referenceDir = join(dirname(fileURLToPath(import.meta.url)), "../../../../shared/reference");

export function readReference(relative: string): string {
  const path = join(referenceDir, relative);
  if (!existsSync(path))
    throw new Error(`reference file ${path} is missing: check out ../shared beside the repo`);
  return readFileSync(path, "utf8");
}

/** A member as pahole prints it: access path, declared type (with array suffix), offset, size, bits. */
export interface PrintedField {
  readonly path: string;
  readonly typeName: string;
  readonly offset: number;
  readonly size: number;
  readonly bitOffset?: number;
  readonly bitSize?: number;
}

/**
 * The members pahole prints for a layout: named members at every depth reached through anonymous structs and
 * unions, but not the insides of named struct members (pahole shows `struct page page;` on one line).
 */
export function printedFields(layout: Layout): PrintedField[] {
  const out: PrintedField[] = [];
  const visit = (members: readonly LaidMember[]) => {
    for (const m of members) {
      if (m.name === undefined) {
        if (m.members) visit(m.members);
        continue;
      }
      const d = declarator(m.type, "");
      out.push({
        path: m.name,
        typeName: `${d.type}${d.name}`,
        offset: m.offset,
        size: m.size,
        ...(m.bitSize !== undefined ? { bitOffset: m.bitOffset ?? 0, bitSize: m.bitSize } : {}),
      });
    }
  };
  visit(layout.members);
  return out;
}

export interface AnonymousAggregate {
  readonly kind: "struct" | "union";
  readonly offset: number;
  readonly size: number;
}

/** The anonymous structs and unions of a layout, outermost first (pre-order), as pahole nests them. */
export function anonymousAggregates(layout: Layout): AnonymousAggregate[] {
  const out: AnonymousAggregate[] = [];
  const visit = (members: readonly LaidMember[]) => {
    for (const m of members) {
      if (m.name !== undefined || !m.aggregate) continue;
      out.push({ kind: m.aggregate, offset: m.offset, size: m.size });
      visit(m.members ?? []);
    }
  };
  visit(layout.members);
  return out;
}

/** The anonymous structs and unions of a `pahole -C` output, pre-order, with the offset and size it prints. */
export function paholeAnonymousAggregates(text: string): AnonymousAggregate[] {
  const lines = text.split("\n").slice(1);
  const open: { kind: "struct" | "union"; index: number }[] = [];
  const found: (AnonymousAggregate & { index: number })[] = [];
  let index = 0;
  for (const line of lines) {
    const start = /^\s+(struct|union) \{$/.exec(line);
    if (start) {
      open.push({ kind: start[1] as "struct" | "union", index: index++ });
      continue;
    }
    const end = /^\s+\}( \w+)?;\s*\/\*\s*(\d+)\s+(\d+)\s*\*\/$/.exec(line);
    if (end) {
      const o = open.pop()!;
      if (end[1] === undefined)
        found.push({ kind: o.kind, offset: Number(end[2]), size: Number(end[3]), index: o.index });
    }
  }
  return found.sort((a, b) => a.index - b.index).map(({ kind, offset, size }) => ({ kind, offset, size }));
}

const mapAggregate = (
  type: AggregateType,
  edit: (members: readonly Member[]) => readonly Member[] | undefined,
): AggregateType | undefined => {
  const members = type.members ?? [];
  const direct = edit(members);
  if (direct) return { ...type, members: direct };
  for (let i = 0; i < members.length; i++) {
    const t = members[i]!.type;
    if (t.kind !== "struct" && t.kind !== "union") continue;
    const inner = mapAggregate(t, edit);
    if (inner)
      return { ...type, members: members.map((m, j) => (j === i ? { ...m, type: inner as CType } : m)) };
  }
  return undefined;
};

/** A copy of `type` with the members named `a` and `b` (in the same struct) swapped. */
export function swapMembers(type: AggregateType, a: string, b: string): AggregateType {
  const out = mapAggregate(type, (members) => {
    const i = members.findIndex((m) => m.name === a);
    const j = members.findIndex((m) => m.name === b);
    if (i < 0 || j < 0) return undefined;
    const copy = [...members];
    [copy[i], copy[j]] = [copy[j]!, copy[i]!];
    return copy;
  });
  if (!out) throw new Error(`no struct has both ${a} and ${b}`);
  return out;
}

/** A copy of `type` with the member named `name` moved to the end of its struct. */
export function moveToEnd(type: AggregateType, name: string): AggregateType {
  const out = mapAggregate(type, (members) => {
    const i = members.findIndex((m) => m.name === name);
    if (i < 0) return undefined;
    return [...members.slice(0, i), ...members.slice(i + 1), members[i]!];
  });
  if (!out) throw new Error(`no struct has ${name}`);
  return out;
}

/** A copy of `type` with the member named `name` swapped with the member after it (named or anonymous). */
export function swapWithNext(type: AggregateType, name: string): AggregateType {
  const out = mapAggregate(type, (members) => {
    const i = members.findIndex((m) => m.name === name);
    if (i < 0 || i + 1 >= members.length) return undefined;
    const copy = [...members];
    [copy[i], copy[i + 1]] = [copy[i + 1]!, copy[i]!];
    return copy;
  });
  if (!out) throw new Error(`no struct has ${name} followed by another member`);
  return out;
}
