import { PaholeModel } from "../src/layout/pahole-model.js";
import type { LaidMember, Layout } from "../src/layout/types.js";

/** Access paths of the members (at any depth, not inside arrays) that pass a test. */
export function memberPaths(
  members: readonly LaidMember[],
  test: (m: LaidMember) => boolean,
  prefix = "",
): string[] {
  return members.flatMap((m) => {
    const path = m.name === undefined ? prefix : prefix ? `${prefix}.${m.name}` : m.name;
    const own = test(m) ? [path] : [];
    return m.members && m.type.kind !== "array" ? [...own, ...memberPaths(m.members, test, path)] : own;
  });
}

/** The paths of members pahole counts as 0 bytes: 1-byte structs with no member it can see (only unnamed bitfields). */
export function emptyBasePaths(layout: Layout): Set<string> {
  const model = new PaholeModel(layout);
  return new Set(memberPaths(layout.members, (m) => model.isEmptyBase(m.type)));
}
