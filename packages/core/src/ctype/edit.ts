import type { AggregateType, CType, Member } from "./types.js";

/**
 * Edits of a struct description for what-if questions ("what if `_private` moved before `__index`?") and for
 * tests that show an overlay rule breaking. Each returns a new type and leaves the original alone; the member
 * is found in the struct or in the nested anonymous and named aggregates that contain it.
 */

function edit(
  type: AggregateType,
  change: (members: readonly Member[]) => readonly Member[] | undefined,
): AggregateType | undefined {
  const members = type.members ?? [];
  const direct = change(members);
  if (direct) return { ...type, members: direct };
  for (let i = 0; i < members.length; i++) {
    const t = members[i]!.type;
    if (t.kind !== "struct" && t.kind !== "union") continue;
    const inner = edit(t, change);
    if (inner)
      return { ...type, members: members.map((m, j) => (j === i ? { ...m, type: inner as CType } : m)) };
  }
  return undefined;
}

function found(out: AggregateType | undefined, what: string): AggregateType {
  if (!out) throw new RangeError(`no struct or union here has ${what}`);
  return out;
}

/** The members named `a` and `b` (in the same struct) swapped. */
export function swapMembers(type: AggregateType, a: string, b: string): AggregateType {
  const out = edit(type, (members) => {
    const i = members.findIndex((m) => m.name === a);
    const j = members.findIndex((m) => m.name === b);
    if (i < 0 || j < 0) return undefined;
    const copy = [...members];
    [copy[i], copy[j]] = [copy[j]!, copy[i]!];
    return copy;
  });
  return found(out, `both ${a} and ${b}`);
}

/**
 * The member named `name` moved within its struct: to position `to` (counting members as they stand after it
 * is taken out), to the end (`"end"`), or one place on (`"next"`, past an anonymous member too).
 */
export function moveMember(type: AggregateType, name: string, to: number | "end" | "next"): AggregateType {
  const out = edit(type, (members) => {
    const i = members.findIndex((m) => m.name === name);
    if (i < 0) return undefined;
    const rest = [...members.slice(0, i), ...members.slice(i + 1)];
    const at = to === "end" ? rest.length : to === "next" ? i + 1 : to;
    if (at < 0 || at > rest.length)
      throw new RangeError(`cannot move ${name} to position ${at} of ${rest.length}`);
    return [...rest.slice(0, at), members[i]!, ...rest.slice(at)];
  });
  return found(out, name);
}
