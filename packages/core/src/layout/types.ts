import type { AbiName } from "../abi/abi.js";
import type { AggregateType, CType } from "../ctype/types.js";

/**
 * Kernel configuration values a layout depends on: booleans for `#ifdef`ed members (`CONFIG_MEMCG`) and
 * numbers for sizes (`SPINLOCK_SIZE`). `CONFIG_64BIT` defaults from the ABI.
 */
export type KernelConfig = Readonly<Record<string, boolean | number>>;

/** A member as placed: offsets are bytes from the start of the outermost layout. */
export interface LaidMember {
  /** Undefined for an anonymous struct or union, whose members belong to the enclosing namespace. */
  readonly name: string | undefined;
  /** The declared type, with typedef names kept (so it prints as written) and name references resolved. */
  readonly type: CType;
  readonly offset: number;
  /** Bytes; for a bitfield, the size of its declared type (the storage unit pahole shows). */
  readonly size: number;
  /** The alignment the member was placed with (after `packed` and `aligned` attributes). */
  readonly align: number;
  /** Bitfields only: bit position within the storage unit that starts at `offset`, and width. */
  readonly bitOffset?: number;
  readonly bitSize?: number;
  /** `__aligned(n)` written on the member. */
  readonly alignedAttr?: number;
  /** For a struct or union member (named or anonymous): its kind and members, laid out in place. */
  readonly aggregate?: "struct" | "union";
  readonly members?: readonly LaidMember[];
}

/** One field of the flattened layout: every member at every depth, with its access path. */
export interface Field {
  /** The C access path from the outermost struct: `lru`, `desc._flags`, `__page_1.compound_head`. */
  readonly path: string;
  /** The path including anonymous members, written `{union@8}`: `{union@8}.{struct@8}.{union@8}.lru`. */
  readonly fullPath: string;
  readonly name: string;
  readonly offset: number;
  readonly size: number;
  readonly bitOffset?: number;
  readonly bitSize?: number;
  /** The C type name, as pahole prints it. */
  readonly typeName: string;
  /** Nesting depth below the outermost struct (top-level members are 0). */
  readonly depth: number;
  /** The unions this field sits in, outermost first, and which arm of each. */
  readonly unions: readonly { readonly union: number; readonly arm: number }[];
  /** An anonymous struct or union member; its `path` is its `fullPath`. */
  readonly anonymous?: boolean;
}

/** A union anywhere in the layout: the fields in different arms overlay each other. */
export interface UnionGroup {
  readonly fullPath: string;
  readonly offset: number;
  readonly size: number;
  /** A label per arm: the member's name, or `{struct@off}` for an anonymous one. */
  readonly arms: readonly string[];
}

/** Unused space inside a struct between two members (or after a bitfield run). */
export interface Hole {
  /** The struct it is in: `""` for the outermost, otherwise that struct's full path. */
  readonly in: string;
  /** The member the hole follows. */
  readonly after: string;
  readonly offset: number;
  /** Whole bytes of hole. */
  readonly size: number;
  /** Bits of hole inside a bitfield storage unit, when the hole is smaller than a byte or not byte-aligned. */
  readonly bits?: number;
}

/** A struct or union laid out for one ABI and configuration. */
export interface Layout {
  readonly kind: "struct" | "union";
  /** The tag, or undefined for an anonymous struct reached through a typedef. */
  readonly name: string | undefined;
  /** The typedef it was laid out through (`memdesc_flags_t`), if any. */
  readonly typedefName?: string | undefined;
  readonly type: AggregateType;
  readonly abi: AbiName;
  readonly size: number;
  readonly align: number;
  readonly cacheline: number;
  readonly members: readonly LaidMember[];
  readonly fields: readonly Field[];
  readonly unions: readonly UnionGroup[];
  readonly holes: readonly Hole[];
  /** Trailing padding of the outermost struct. */
  readonly padding: number;
  /** Trailing bit padding after a final bitfield, before the byte padding. */
  readonly bitPadding: number;
}
