/**
 * The C type model. Types are plain data, so a struct described by hand in the DSL and one imported from a
 * kernel's BTF are the same kind of value, and the layout engine treats them alike. Sizes that depend on the
 * ABI (`long`, pointers) or on the kernel configuration (`spinlock_t`) stay symbolic until layout time.
 */

/** `long`-sized, pointer-sized, or a fixed byte count. */
export type ScalarSize = 1 | 2 | 4 | 8 | 16 | "long" | "pointer";

/** An integer type. `name` is the name pahole prints (`long unsigned int`, `_Bool`, `char`). */
export interface IntType {
  readonly kind: "int";
  readonly name: string;
  readonly size: ScalarSize;
  readonly signed: boolean;
  readonly bool?: boolean;
  readonly char?: boolean;
}

export interface FloatType {
  readonly kind: "float";
  readonly name: string;
  readonly size: 2 | 4 | 8 | 10 | 12 | 16;
}

/** A pointer. The target only matters for printing, so it may be an incomplete struct or a function. */
export interface PointerType {
  readonly kind: "pointer";
  readonly to: CType;
}

/** `T name[length]`; `length` 0 with `flexible` is a flexible array member `T name[]`. */
export interface ArrayType {
  readonly kind: "array";
  readonly element: CType;
  readonly length: number;
  readonly flexible?: boolean;
}

/** A struct or union. `members` undefined means an incomplete (forward-declared) type. */
export interface AggregateType {
  readonly kind: "struct" | "union";
  /** The tag (`page` for `struct page`); undefined for an anonymous struct or union. */
  readonly name?: string | undefined;
  readonly members?: readonly Member[] | undefined;
  /** `__attribute__((packed))`: members are 1-aligned unless they carry their own `aligned`. */
  readonly packed?: boolean;
  /** `__attribute__((aligned(n)))` on the type: raises its alignment to n. */
  readonly aligned?: number | AlignSpec;
}

/**
 * An alignment written in terms of the ABI and configuration, such as struct page's
 * `__aligned(2 * sizeof(unsigned long))` under `CONFIG_HAVE_ALIGNED_STRUCT_PAGE`.
 */
export interface AlignSpec {
  readonly longs: number;
  readonly ifdef?: string;
}

export interface EnumType {
  readonly kind: "enum";
  readonly name?: string | undefined;
  /**
   * Bytes; 4 unless the enum is packed or has 64-bit values. `long` for a packed enum whose largest value is
   * `ULONG_MAX` (`enum net_iov_type`): 8 bytes on 64-bit kernels, 4 on 32-bit ones.
   */
  readonly size: 1 | 2 | 4 | 8 | "long";
  readonly signed?: boolean;
  readonly values?: readonly { readonly name: string; readonly value: bigint }[];
}

export interface TypedefType {
  readonly kind: "typedef";
  readonly name: string;
  readonly type: CType;
  /** `typedef T name __aligned(n)`: unlike on a member, this may also lower the alignment. */
  readonly aligned?: number;
}

export interface QualifiedType {
  readonly kind: "qualified";
  readonly qualifiers: readonly ("const" | "volatile" | "restrict")[];
  readonly type: CType;
}

/** A function type; only ever used behind a pointer. */
export interface FunctionType {
  readonly kind: "function";
  readonly returns: CType;
  readonly params: readonly CType[];
  readonly variadic?: boolean;
}

export interface VoidType {
  readonly kind: "void";
}

/**
 * A type known only by size and alignment, such as `spinlock_t`, whose size depends on lock debugging. `size`
 * may name a numeric kernel configuration value, read at layout time.
 */
export interface OpaqueType {
  readonly kind: "opaque";
  readonly name: string;
  readonly size: number | { readonly config: string; readonly default: number };
  readonly align: number | "size";
}

/**
 * A type named in the DSL by a string the built-in kernel types do not define (`"struct foo"`, `"my_t"`).
 * It is looked up in `LayoutOptions.types` when laid out; an unknown name is a `LayoutError`.
 */
export interface RefType {
  readonly kind: "ref";
  readonly name: string;
}

export type CType =
  | IntType
  | FloatType
  | PointerType
  | ArrayType
  | AggregateType
  | EnumType
  | TypedefType
  | QualifiedType
  | FunctionType
  | VoidType
  | OpaqueType
  | RefType;

/** A member of a struct or union. Anonymous struct/union members have no name. */
export interface Member {
  readonly name?: string | undefined;
  readonly type: CType;
  /** Bitfield width in bits; 0 is an unnamed zero-width bitfield that only aligns. */
  readonly bits?: number;
  /** `__attribute__((aligned(n)))` on the member: raises its alignment to n. */
  readonly aligned?: number;
  /**
   * Present only when this kernel configuration option is set (`CONFIG_MEMCG`), or unset when written
   * `!CONFIG_X`. Mirrors the `#ifdef`s that make struct layouts config-dependent.
   */
  readonly ifdef?: string;
}
