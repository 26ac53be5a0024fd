import type { AbiName } from "@memdesc/core/layout";

/** Decoded BTF records. Type ids are numbers; id 0 is `void`. */

interface Common {
  readonly id: number;
  /** The record's name ("" for anonymous types and for kinds without names). */
  readonly name: string;
  /** Byte offset of the record in the file it was read from. */
  readonly offset: number;
}

/** `BTF_KIND_INT`: `size` in bytes; `bits` and `bitOffset` from the encoding word. */
export interface BtfInt extends Common {
  readonly kind: "int";
  readonly size: number;
  readonly signed: boolean;
  readonly char: boolean;
  readonly bool: boolean;
  readonly bits: number;
  readonly bitOffset: number;
}

export interface BtfPtr extends Common {
  readonly kind: "ptr";
  readonly type: number;
}

/** Multi-dimensional C arrays arrive flattened by pahole: `a[5][6]` is 30 elements. */
export interface BtfArray extends Common {
  readonly kind: "array";
  readonly type: number;
  readonly indexType: number;
  readonly nelems: number;
}

export interface BtfMember {
  readonly name: string;
  readonly type: number;
  /** Bits from the start of the struct or union. */
  readonly bitOffset: number;
  /** Bitfield width; 0 when the member is not a bitfield. */
  readonly bitSize: number;
}

export interface BtfComposite extends Common {
  readonly kind: "struct" | "union";
  readonly size: number;
  /** Whether member offsets carry a bitfield size in their top byte. */
  readonly kindFlag: boolean;
  readonly members: readonly BtfMember[];
}

export interface BtfEnumValue {
  readonly name: string;
  readonly value: bigint;
}

export interface BtfEnum extends Common {
  readonly kind: "enum" | "enum64";
  readonly size: number;
  readonly signed: boolean;
  readonly values: readonly BtfEnumValue[];
}

export interface BtfFwd extends Common {
  readonly kind: "fwd";
  /** `kind_flag`: a forward-declared union rather than a struct. */
  readonly union: boolean;
}

export interface BtfRef extends Common {
  readonly kind: "typedef" | "volatile" | "const" | "restrict";
  readonly type: number;
}

/** `BTF_KIND_TYPE_TAG`: `attribute` is kind_flag, the newer `__attribute__((btf_type_attr))` form. */
export interface BtfTypeTag extends Common {
  readonly kind: "type_tag";
  readonly type: number;
  readonly attribute: boolean;
}

/** A function (subprogram): `linkage` is 0 static, 1 global, 2 extern. */
export interface BtfFunc extends Common {
  readonly kind: "func";
  readonly type: number;
  readonly linkage: number;
}

export interface BtfParam {
  readonly name: string;
  readonly type: number;
}

export interface BtfFuncProto extends Common {
  readonly kind: "func_proto";
  readonly returns: number;
  readonly params: readonly BtfParam[];
  /** A final `{0, 0}` parameter, which `params` leaves out. */
  readonly variadic: boolean;
}

export interface BtfVar extends Common {
  readonly kind: "var";
  readonly type: number;
  readonly linkage: number;
}

export interface BtfDatasecVar {
  readonly type: number;
  readonly offset: number;
  readonly size: number;
}

export interface BtfDatasec extends Common {
  readonly kind: "datasec";
  readonly size: number;
  readonly vars: readonly BtfDatasecVar[];
}

export interface BtfFloat extends Common {
  readonly kind: "float";
  readonly size: number;
}

/** `BTF_KIND_DECL_TAG`: `componentIdx` -1 tags the type itself, otherwise a member or parameter. */
export interface BtfDeclTag extends Common {
  readonly kind: "decl_tag";
  readonly type: number;
  readonly componentIdx: number;
  readonly attribute: boolean;
}

export type BtfType =
  | BtfInt
  | BtfPtr
  | BtfArray
  | BtfComposite
  | BtfEnum
  | BtfFwd
  | BtfRef
  | BtfTypeTag
  | BtfFunc
  | BtfFuncProto
  | BtfVar
  | BtfDatasec
  | BtfFloat
  | BtfDeclTag;

export type BtfKindName = BtfType["kind"];

type WithoutId<T> = T extends unknown ? Omit<T, "id" | "offset"> : never;

/** A record to write: a decoded record without its id and offset (ids are positions in the list). */
export type BtfTypeSpec = WithoutId<BtfType>;

/**
 * What the type helpers (sizes and alignments, C types, layouts) read of a BTF file: the record accessors of
 * `Btf`, which implements it. They take this rather than `Btf` itself, which constructs them.
 */
export interface BtfTypeReader {
  /** The file it was read from, for messages. */
  readonly file: string | undefined;
  readonly lastId: number;
  readonly pointerSize: 4 | 8;
  readonly abi: AbiName;
  recordOffset(id: number): number;
  kind(id: number): number;
  kindName(id: number): string;
  vlen(id: number): number;
  name(id: number): string;
  sizeOrType(id: number): number;
  target(id: number): number;
  arrayElement(id: number): number;
  arrayLength(id: number): number;
  sizeOf(id: number): number;
  alignOf(id: number): number;
  type(id: number): BtfType;
  resolve(id: number): number;
}
