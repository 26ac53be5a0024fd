import { LayoutError } from "../errors.js";
import * as b from "./builtins.js";
import { parseTypeName } from "./parse.js";
import type {
  AggregateType,
  AlignSpec,
  ArrayType,
  CType,
  EnumType,
  FunctionType,
  Member,
  OpaqueType,
  PointerType,
  TypedefType,
} from "./types.js";

/** A type, or a C type name such as `"unsigned long"` or `"struct address_space *"`. */
export type TypeSpec = CType | string;

export interface MemberAttrs {
  /** Bitfield width. */
  readonly bits?: number;
  /** `__aligned(n)` on this member. */
  readonly aligned?: number;
  /** Present only under this kernel configuration option (`CONFIG_MEMCG`, or `!CONFIG_X`). */
  readonly ifdef?: string;
}

/** A group of members present only under one configuration option: `#ifdef CONFIG_X … #endif`. */
export interface IfdefGroup {
  readonly kind: "ifdef";
  readonly option: string;
  readonly members: readonly MemberSpec[];
}

/**
 * One member as written in the DSL: `["lru", c.listHead]`, `["inuse", "unsigned int", { bits: 16 }]`, an
 * unnamed bitfield `["", c.ullong, { bits: 0 }]`, an anonymous `c.union([...])`, or an `c.ifdef(...)` group.
 */
export type MemberSpec =
  | readonly [name: string, type: TypeSpec]
  | readonly [name: string, type: TypeSpec, attrs: MemberAttrs]
  | AggregateType
  | IfdefGroup;

export interface AggregateAttrs {
  readonly packed?: boolean;
  readonly aligned?: number | AlignSpec;
}

export function resolveTypeSpec(
  spec: TypeSpec,
  site: { struct?: string | undefined; field?: string },
): CType {
  if (typeof spec !== "string") return spec;
  const parsed = parseTypeName(spec);
  if (typeof parsed === "string") throw new LayoutError("BAD_TYPE", parsed, site);
  return parsed;
}

function normalizeMembers(
  specs: readonly MemberSpec[],
  struct: string | undefined,
  ifdef?: string,
): Member[] {
  const out: Member[] = [];
  for (const spec of specs) {
    if (Array.isArray(spec)) {
      const [name, typeSpec, attrs] = spec as readonly [string, TypeSpec, MemberAttrs?];
      if (typeof name !== "string")
        throw new LayoutError("BAD_TYPE", "member name must be a string", { struct });
      const type = resolveTypeSpec(typeSpec, { struct, field: name || "(unnamed)" });
      // "" names an unnamed bitfield, such as the aligning `long long :0;`.
      if (name === "" && attrs?.bits === undefined)
        throw new LayoutError("BAD_TYPE", "only a bitfield may be unnamed", { struct });
      const member: { -readonly [K in keyof Member]: Member[K] } = {
        name: name === "" ? undefined : name,
        type,
      };
      if (attrs?.bits !== undefined) member.bits = attrs.bits;
      if (attrs?.aligned !== undefined) member.aligned = attrs.aligned;
      const cond = attrs?.ifdef ?? ifdef;
      if (cond !== undefined) member.ifdef = ifdef && attrs?.ifdef ? `${ifdef}&&${attrs.ifdef}` : cond;
      out.push(member);
    } else if ((spec as IfdefGroup).kind === "ifdef") {
      const group = spec as IfdefGroup;
      const option = ifdef ? `${ifdef}&&${group.option}` : group.option;
      out.push(...normalizeMembers(group.members, struct, option));
    } else {
      const agg = spec as AggregateType;
      if (agg.kind !== "struct" && agg.kind !== "union")
        throw new LayoutError("BAD_TYPE", "an anonymous member must be a struct or union", { struct });
      out.push(ifdef === undefined ? { type: agg } : { type: agg, ifdef });
    }
  }
  return out;
}

function aggregate(
  kind: "struct" | "union",
  nameOrMembers: string | readonly MemberSpec[],
  membersOrAttrs?: readonly MemberSpec[] | AggregateAttrs,
  maybeAttrs?: AggregateAttrs,
): AggregateType {
  const named = typeof nameOrMembers === "string";
  const name = named ? nameOrMembers : undefined;
  const specs = (named ? membersOrAttrs : nameOrMembers) as readonly MemberSpec[] | undefined;
  const attrs = (named ? maybeAttrs : membersOrAttrs) as AggregateAttrs | undefined;
  if (!Array.isArray(specs))
    throw new LayoutError("BAD_TYPE", `${kind} needs a member list`, { struct: name });
  const members = normalizeMembers(specs, name ? `${kind} ${name}` : undefined);
  return {
    kind,
    name,
    members,
    ...(attrs?.packed ? { packed: true } : {}),
    ...(attrs?.aligned !== undefined ? { aligned: attrs.aligned } : {}),
  };
}

interface AggregateBuilder {
  (name: string, members: readonly MemberSpec[], attrs?: AggregateAttrs): AggregateType;
  (members: readonly MemberSpec[], attrs?: AggregateAttrs): AggregateType;
}

const struct: AggregateBuilder = (a: string | readonly MemberSpec[], b2?: unknown, c2?: AggregateAttrs) =>
  aggregate("struct", a, b2 as readonly MemberSpec[] | AggregateAttrs, c2);
const union: AggregateBuilder = (a: string | readonly MemberSpec[], b2?: unknown, c2?: AggregateAttrs) =>
  aggregate("union", a, b2 as readonly MemberSpec[] | AggregateAttrs, c2);

/**
 * The DSL for describing C types, named as the kernel writes them:
 *
 * ```ts
 * const ioptdesc = c.struct("ioptdesc", [
 *   ["__page_flags", c.ulong],
 *   ["iopt_freelist_elm", c.listHead],
 *   ["__page_mapping", "unsigned long"],
 *   ...
 * ]);
 * ```
 */
export const c = {
  void: b.void_,
  char: b.char,
  schar: b.schar,
  uchar: b.uchar,
  short: b.short,
  ushort: b.ushort,
  int: b.sint,
  uint: b.uint,
  long: b.long,
  ulong: b.ulong,
  llong: b.llong,
  ullong: b.ullong,
  _Bool: b._Bool,
  bool: b.bool,
  u8: b.u8,
  s8: b.s8,
  u16: b.u16,
  s16: b.s16,
  u32: b.u32,
  s32: b.s32,
  u64: b.u64,
  s64: b.s64,
  u128: b.u128,
  sizeT: b.size_t,
  pgoffT: b.pgoff_t,
  gfpT: b.gfp_t,
  dmaAddrT: b.dma_addr_t,
  physAddrT: b.phys_addr_t,
  /** `atomic_t` */
  atomic: b.atomic_t,
  /** `atomic64_t` */
  atomic64: b.atomic64_t,
  /** `atomic_long_t` */
  atomicLong: b.atomic_long_t,
  /** `refcount_t` */
  refcount: b.refcount_t,
  /** `spinlock_t`; its size is the kernel configuration value `SPINLOCK_SIZE` (4 without lock debugging). */
  spinlock: b.spinlock_t,
  /** `struct list_head` */
  listHead: b.list_head,
  /** `struct hlist_head` */
  hlistHead: b.hlist_head,
  /** `struct hlist_node` */
  hlistNode: b.hlist_node,
  /** `struct llist_node` */
  llistNode: b.llist_node,
  /** `struct callback_head` */
  callbackHead: b.callback_head,
  /** `struct rcu_head`, a `#define` of `struct callback_head` */
  rcuHead: b.callback_head,
  /** `memdesc_flags_t` */
  memdescFlags: b.memdesc_flags_t,
  /** `swp_entry_t` */
  swpEntry: b.swp_entry_t,
  /** `pgtable_t` */
  pgtable: b.pgtable_t,

  struct,
  union,
  /** A pointer; with no target, `void *`. A string target is a C type name (`"struct page"`). */
  ptr(to: TypeSpec = b.void_): PointerType {
    return b.pointer(resolveTypeSpec(to, {}));
  },
  /** A pointer to a function: `c.fnPtr("void", ["struct callback_head *"])`. */
  fnPtr(returns: TypeSpec, params: readonly TypeSpec[] = [], variadic = false): PointerType {
    const fn: FunctionType = {
      kind: "function",
      returns: resolveTypeSpec(returns, {}),
      params: params.map((p) => resolveTypeSpec(p, {})),
      ...(variadic ? { variadic } : {}),
    };
    return b.pointer(fn);
  },
  /** `T[length]`. */
  array(element: TypeSpec, length: number): ArrayType {
    if (!Number.isInteger(length) || length < 0)
      throw new LayoutError("ARRAY_LENGTH", `array length must be a whole number ≥ 0, got ${length}`, {});
    return { kind: "array", element: resolveTypeSpec(element, {}), length };
  },
  /** `T name[]`, a flexible array member (the last member of a struct). */
  flex(element: TypeSpec): ArrayType {
    return { kind: "array", element: resolveTypeSpec(element, {}), length: 0, flexible: true };
  },
  /** `char name[n]` */
  chars(length: number): ArrayType {
    return c.array(b.char, length);
  },
  typedef(name: string, type: TypeSpec, aligned?: number): TypedefType {
    return b.typedef(name, resolveTypeSpec(type, {}), aligned);
  },
  enum(
    name: string | undefined,
    values: Record<string, number | bigint> = {},
    size: EnumType["size"] = 4,
  ): EnumType {
    return {
      kind: "enum",
      name,
      size,
      values: Object.entries(values).map(([n, v]) => ({ name: n, value: BigInt(v) })),
    };
  },
  /** A type known only by its size and alignment. */
  opaque(name: string, size: OpaqueType["size"], align: OpaqueType["align"] = "size"): OpaqueType {
    return { kind: "opaque", name, size, align };
  },
  /** Members present only when `option` is set (`"CONFIG_MEMCG"`) or unset (`"!CONFIG_X"`). */
  ifdef(option: string, members: readonly MemberSpec[]): IfdefGroup {
    return { kind: "ifdef", option, members };
  },
  /** Parses a C type name: `c.type("struct page *")`. */
  type(name: string): CType {
    return resolveTypeSpec(name, {});
  },
} as const;
