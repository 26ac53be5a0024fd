import { z } from "zod";
import { c, type IfdefGroup, type MemberAttrs, type MemberSpec } from "../ctype/dsl.js";
import type { AggregateType, Member } from "../ctype/types.js";
import { MemdescError } from "../errors.js";

/*
 * Member lists for plugin authors: checking member specs that come from options, and deriving a memdesc-era
 * descriptor's members from today's.
 */

/**
 * The way back a separately allocated descriptor keeps to its memory: the PFN of its first page, as the planned
 * folio's `pfn` (kernelnewbies.org/MatthewWilcox/Memdescs/Path). The registry finds it by this name.
 */
export const pfnMember = ["pfn", c.ulong] as const satisfies MemberSpec;

const identifier = /^[A-Za-z_][A-Za-z0-9_]*$/;
const isTypeSpec = (t: unknown) =>
  (typeof t === "string" && t.trim() !== "") ||
  (typeof t === "object" && t !== null && typeof (t as { kind?: unknown }).kind === "string");

/** Why a value is not a member spec, or undefined when it is one. */
function memberProblem(m: unknown): string | undefined {
  if (Array.isArray(m)) {
    const [name, type, attrs] = m as unknown[];
    if (m.length < 2 || m.length > 3) return "a member is [name, type] or [name, type, attrs]";
    if (typeof name !== "string" || !identifier.test(name))
      return `member name ${JSON.stringify(name)} is not a C identifier`;
    if (!isTypeSpec(type)) return `member ${name} needs a type: a C type name or a type from c.*`;
    if (attrs !== undefined && (typeof attrs !== "object" || attrs === null))
      return `member ${name}: attrs must be an object ({ bits, aligned, ifdef })`;
    return undefined;
  }
  const kind = typeof m === "object" && m !== null ? (m as { kind?: unknown }).kind : undefined;
  if (kind === "struct" || kind === "union" || kind === "ifdef") return undefined;
  return "a member is [name, type], [name, type, attrs], or an anonymous c.struct / c.union / c.ifdef group";
}

/**
 * A list of member specs as core's DSL writes them, for a plugin's options (`extraFields`): each entry checked
 * for its form, with the index of a bad one in the issue's path. Whether the members lay out is `checkLayouts`'.
 */
export const memberSpecsSchema = z
  .array(z.unknown())
  .superRefine((list, ctx) => {
    list.forEach((m, i) => {
      const problem = memberProblem(m);
      if (problem) ctx.addIssue({ code: "custom", path: [i], message: problem });
    });
  })
  .transform((list) => list as readonly MemberSpec[]);

/** How `deriveMembers` makes one member list from another. */
export interface DeriveMembers {
  /** Members left out, by name (at any depth: inside anonymous unions, structs and `#ifdef` groups). */
  readonly drop?: readonly string[];
  /** Or: only these members kept, by name; everything else is left out. */
  readonly keep?: readonly string[];
  /** Members put right after a member that is kept, by its name. */
  readonly insertAfter?: Readonly<Record<string, readonly MemberSpec[]>>;
  /** Members added at the end (the way back, `pfnMember`). */
  readonly append?: readonly MemberSpec[];
}

/**
 * A memdesc-era member list derived from today's: members dropped (or only some kept) wherever they are, anonymous
 * unions left with one member flattened to it, empty groups left out, members inserted and appended. A name that
 * is in no member is a MemdescError (UNKNOWN_MEMBER), so a renamed member does not slip through:
 *
 * ```ts
 * deriveMembers(ptdescMembers, { drop: ["__page_mapping", "__page_type", "__page_refcount"], append: [pfnMember] });
 * ```
 */
export function deriveMembers(members: readonly MemberSpec[], how: DeriveMembers): MemberSpec[] {
  if (how.drop && how.keep)
    throw new MemdescError(
      "BAD_DERIVE",
      "give either drop or keep, not both: one says what goes, the other what stays",
    );
  const seen = new Set<string>();
  const kept = (name: string | undefined): boolean => {
    if (name === undefined) return true;
    seen.add(name);
    if (how.keep) return how.keep.includes(name);
    return !how.drop?.includes(name);
  };
  const nameOf = (m: MemberSpec): string | undefined =>
    Array.isArray(m) ? (m as readonly [string, unknown])[0] : undefined;
  /** The insertions, after the members of a struct (or the top level) they follow; never into a union. */
  const inserted = (list: readonly MemberSpec[]): MemberSpec[] =>
    list.flatMap((m) => {
      const name = nameOf(m);
      return [m, ...(name === undefined ? [] : (how.insertAfter?.[name] ?? []))];
    });

  const fromSpecs = (specs: readonly MemberSpec[]): MemberSpec[] =>
    specs.flatMap((spec): MemberSpec[] => {
      if (Array.isArray(spec)) return kept(nameOf(spec)) ? [spec] : [];
      const group = spec as IfdefGroup | AggregateType;
      if (group.kind === "ifdef") {
        const inner = inserted(fromSpecs((group as IfdefGroup).members));
        return inner.length > 0 ? [c.ifdef((group as IfdefGroup).option, inner)] : [];
      }
      return anonymous(group as AggregateType);
    });

  const fromMembers = (list: readonly Member[]): MemberSpec[] =>
    list.flatMap((m): MemberSpec[] => {
      if (m.name === undefined && (m.type.kind === "struct" || m.type.kind === "union") && !m.type.name) {
        const inner = anonymous(m.type);
        return m.ifdef === undefined || inner.length === 0 ? inner : [c.ifdef(m.ifdef, inner)];
      }
      if (!kept(m.name)) return [];
      const attrs: MemberAttrs = {
        ...(m.bits !== undefined ? { bits: m.bits } : {}),
        ...(m.aligned !== undefined ? { aligned: m.aligned } : {}),
        ...(m.ifdef !== undefined ? { ifdef: m.ifdef } : {}),
      };
      return [Object.keys(attrs).length > 0 ? [m.name ?? "", m.type, attrs] : [m.name ?? "", m.type]];
    });

  /** An anonymous struct or union with what is left of it; a union of one member is that member. */
  const anonymous = (agg: AggregateType): MemberSpec[] => {
    const inner = fromMembers(agg.members ?? []);
    if (inner.length === 0) return [];
    if (agg.kind === "union" && inner.length === 1) return inner;
    const attrs = {
      ...(agg.packed ? { packed: true } : {}),
      ...(agg.aligned !== undefined ? { aligned: agg.aligned } : {}),
    };
    return [agg.kind === "union" ? c.union(inner, attrs) : c.struct(inserted(inner), attrs)];
  };

  const out = [...inserted(fromSpecs(members)), ...(how.append ?? [])];
  const named = [...(how.drop ?? []), ...(how.keep ?? []), ...Object.keys(how.insertAfter ?? {})];
  const missing = named.filter((n) => !seen.has(n));
  if (missing.length > 0)
    throw new MemdescError("UNKNOWN_MEMBER", {
      subject: "deriveMembers",
      issues: missing.map((n) => ({ path: [n], message: "no member has this name" })),
    });
  return out;
}
