import { BtfError } from "./errors.js";
import { Kind } from "./kinds.js";
import type { Btf } from "./reader.js";
import type { BtfType, BtfTypeSpec } from "./types.js";

export interface ExtractedTypes {
  /** Records for `writeBtf`, in the original id order; the record at index i gets id i + 1. */
  readonly types: BtfTypeSpec[];
  /** Original type id → id in `types`. */
  readonly ids: ReadonlyMap<number, number>;
}

/**
 * A self-contained subset of `btf`: the `roots` (type ids, or names of a struct, union, typedef or enum) and
 * everything they hold by value, in full. Pointers and function prototypes keep their targets only by name,
 * so a named struct or union reached only through them becomes a FWD record.
 */
export function extractTypes(btf: Btf, roots: readonly (number | string)[]): ExtractedTypes {
  const { full, byName } = typeClosure(btf, roots);
  const kept = [...new Set([...full, ...byName])].sort((a, b) => a - b);
  const ids = new Map<number, number>(kept.map((id, i) => [id, i + 1]));
  const map = (id: number) => (id === 0 ? 0 : ids.get(id)!);
  const types = kept.map((id): BtfTypeSpec => {
    const t = btf.type(id);
    if ((t.kind === "struct" || t.kind === "union") && !full.has(id))
      return { kind: "fwd", name: t.name, union: t.kind === "union" };
    return remap(t, map);
  });
  return { types, ids };
}

/** The ids a subset of BTF must keep: in full, and only by name (a struct or union reached through pointers). */
export interface TypeClosure {
  readonly full: ReadonlySet<number>;
  readonly byName: ReadonlySet<number>;
}

/**
 * What `roots` need: everything they hold by value in `full`; what is reached only through pointers and
 * function prototypes in `byName` (a named struct or union there can become a FWD record).
 */
export function typeClosure(btf: Btf, roots: readonly (number | string)[]): TypeClosure {
  const full = new Set<number>();
  const byName = new Set<number>();
  const fullWork: number[] = [];
  const nameWork: number[] = [];
  const needFull = (id: number) => {
    if (id !== 0 && !full.has(id)) {
      full.add(id);
      fullWork.push(id);
    }
  };
  const needName = (id: number) => {
    if (id !== 0 && !byName.has(id)) {
      byName.add(id);
      nameWork.push(id);
    }
  };
  for (const r of roots) needFull(typeof r === "number" ? r : rootId(btf, r));

  while (fullWork.length || nameWork.length) {
    while (fullWork.length) {
      const t = btf.type(fullWork.pop()!);
      for (const [target, how] of references(t)) (how === "full" ? needFull : needName)(target);
    }
    while (nameWork.length) {
      const id = nameWork.pop()!;
      const k = btf.kind(id);
      if (k === Kind.struct || k === Kind.union) {
        // Anonymous aggregates have no name to stand for them.
        if (!btf.name(id)) needFull(id);
        continue;
      }
      const t = btf.type(id);
      for (const [target, how] of references(t)) {
        // Behind a pointer, only names matter all the way down, except an array's index type.
        if (how === "full" && t.kind !== "array") needName(target);
        else if (how === "full") needFull(target);
        else needName(target);
      }
    }
  }

  return { full, byName };
}

/** Finds a root the way pahole -C does: a struct or union, then a typedef, then an enum. */
function rootId(btf: Btf, name: string): number {
  const id =
    btf.findStruct(name) ??
    btf.find(name, [Kind.typedef]) ??
    btf.find(name, [Kind.enum, Kind.enum64]) ??
    btf.find(name);
  if (id === undefined) throw new BtfError("BTF_NOT_FOUND", `no type is named "${name}"`, { file: btf.file });
  return id;
}

/** The ids a record refers to, and whether each is needed in full (by value) or only by name. */
function references(t: BtfType): [number, "full" | "name"][] {
  switch (t.kind) {
    case "ptr":
      return [[t.type, "name"]];
    case "array":
      return [
        [t.type, "full"],
        [t.indexType, "full"],
      ];
    case "struct":
    case "union":
      return t.members.map((m) => [m.type, "full"]);
    case "typedef":
    case "const":
    case "volatile":
    case "restrict":
    case "type_tag":
    case "var":
    case "func":
      return [[t.type, "full"]];
    case "func_proto":
      return [[t.returns, "name"], ...t.params.map((p): [number, "name"] => [p.type, "name"])];
    case "datasec":
      return t.vars.map((v) => [v.type, "full"]);
    case "decl_tag":
      return [[t.type, "full"]];
    default:
      return [];
  }
}

/** A decoded record with its id and offset dropped and its type references renumbered. */
export function remap(t: BtfType, map: (id: number) => number): BtfTypeSpec {
  const { id: _id, offset: _offset, ...rest } = t;
  switch (rest.kind) {
    case "ptr":
    case "typedef":
    case "const":
    case "volatile":
    case "restrict":
    case "type_tag":
    case "var":
    case "func":
    case "decl_tag":
      return { ...rest, type: map(rest.type) };
    case "array":
      return { ...rest, type: map(rest.type), indexType: map(rest.indexType) };
    case "struct":
    case "union":
      return { ...rest, members: rest.members.map((m) => ({ ...m, type: map(m.type) })) };
    case "func_proto":
      return {
        ...rest,
        returns: map(rest.returns),
        params: rest.params.map((p) => ({ ...p, type: map(p.type) })),
      };
    case "datasec":
      return { ...rest, vars: rest.vars.map((v) => ({ ...v, type: map(v.type) })) };
    default:
      return rest;
  }
}
