import {
  type CType,
  ctypes,
  type LaidMember,
  LayoutEngine,
  type LayoutOptions,
  MemdescError,
} from "@memdesc/core/layout";
import { BtfError } from "./errors.js";
import type { BtfMember, BtfTypeSpec } from "./types.js";
import { type WriteBtfOptions, writeBtf } from "./writer.js";

export interface CTypesToBtfOptions extends LayoutOptions {}

export interface EncodedCTypes {
  /** The records, ready for `writeBtf` (the record at index i has type id i + 1). */
  readonly types: BtfTypeSpec[];
  /** The type id given to each C type object encoded. */
  readonly ids: Map<CType, number>;
}

/**
 * Encodes C types as BTF records, with struct and union member offsets computed by `@memdesc/core`'s layout
 * engine (for the ABI and configuration in `options`), as a compiler would emit them. What BTF cannot hold is
 * dropped as DWARF drops it: `packed` and `aligned` attributes (their effect stays in the offsets and sizes),
 * unnamed bitfields, `#ifdef`ed-out members, and `typedef … __aligned(n)`.
 */
export function ctypesToBtf(roots: readonly CType[], options: CTypesToBtfOptions = {}): EncodedCTypes {
  const encoder = new Encoder(options);
  for (const r of roots) encoder.id(r);
  return { types: encoder.types, ids: encoder.ids };
}

/** `ctypesToBtf` then `writeBtf`: the bytes of a BTF file holding `roots` and everything they use. */
export function writeCTypes(
  roots: readonly CType[],
  options: CTypesToBtfOptions & Omit<WriteBtfOptions, "base"> = {},
): Uint8Array {
  return writeBtf(ctypesToBtf(roots, options).types, options);
}

type CQualifier = "const" | "volatile" | "restrict";

class Encoder {
  readonly types: BtfTypeSpec[] = [];
  readonly ids = new Map<CType, number>();
  private readonly engine: LayoutEngine;
  private readonly refs: ReadonlyMap<string, CType>;
  private arrayIndex: number | undefined;

  constructor(options: CTypesToBtfOptions) {
    this.engine = new LayoutEngine(options);
    const extra = options.types;
    this.refs =
      extra === undefined
        ? ctypes.builtinTypes
        : new Map([...ctypes.builtinTypes, ...(extra instanceof Map ? extra : Object.entries(extra))]);
  }

  /** The id of `t`, encoding it (and what it refers to) on first sight. */
  id(t: CType): number {
    if (t.kind === "void") return 0;
    const known = this.ids.get(t);
    if (known !== undefined) return known;
    if (t.kind === "ref" || (t.kind === "qualified" && t.qualifiers.length === 0)) {
      // Names for another type, with no record of their own.
      const target: CType | undefined = t.kind === "ref" ? this.refs.get(t.name) : t.type;
      if (!target) throw new BtfError("BTF_WRITE", `unknown C type "${(t as { name: string }).name}"`);
      const id = this.id(target);
      this.ids.set(t, id);
      return id;
    }
    // Reserve the id first, so a type that points back to itself finds it.
    const index = this.types.length;
    this.types.push({ kind: "fwd", name: "", union: false });
    const id = index + 1;
    this.ids.set(t, id);
    this.types[index] = this.encode(t);
    return id;
  }

  private size(t: CType): number {
    try {
      return this.engine.sizeAlign(t).size;
    } catch (e) {
      if (e instanceof MemdescError) throw new BtfError("BTF_WRITE", e.message);
      throw e;
    }
  }

  private encode(t: Exclude<CType, { kind: "void" | "ref" }>): BtfTypeSpec {
    switch (t.kind) {
      case "int": {
        const size = this.size(t);
        return {
          kind: "int",
          name: t.name,
          size,
          signed: t.signed,
          char: t.char === true,
          bool: t.bool === true,
          bits: size * 8,
          bitOffset: 0,
        };
      }
      case "float":
        return { kind: "float", name: t.name, size: this.size(t) };
      case "pointer":
        return { kind: "ptr", name: "", type: this.id(t.to) };
      case "array":
        return {
          kind: "array",
          name: "",
          type: this.id(t.element),
          indexType: this.indexType(),
          nelems: t.flexible ? 0 : t.length,
        };
      case "struct":
      case "union": {
        if (!t.members) return { kind: "fwd", name: t.name ?? "", union: t.kind === "union" };
        let laid: readonly LaidMember[];
        let size: number;
        try {
          const layout = this.engine.layout(t);
          laid = layout.members;
          size = layout.size;
        } catch (e) {
          if (e instanceof MemdescError) throw new BtfError("BTF_WRITE", e.message);
          throw e;
        }
        // Compilers leave unnamed bitfields out of the debug info; so does this.
        const members: BtfMember[] = laid
          .filter((m) => m.name !== undefined || m.bitSize === undefined)
          .map((m) => ({
            name: m.name ?? "",
            type: this.id(m.type),
            bitOffset: m.offset * 8 + (m.bitOffset ?? 0),
            bitSize: m.bitSize ?? 0,
          }));
        return {
          kind: t.kind,
          name: t.name ?? "",
          size,
          kindFlag: members.some((m) => m.bitSize > 0),
          members,
        };
      }
      case "enum": {
        const size = this.size(t);
        const values = t.values ?? [];
        const wide = size === 8 || values.some((v) => v.value < -(2n ** 31n) || v.value >= 2n ** 32n);
        return {
          kind: wide ? "enum64" : "enum",
          name: t.name ?? "",
          size,
          signed: t.signed === true,
          values,
        };
      }
      case "typedef":
        return { kind: "typedef", name: t.name, type: this.id(t.type) };
      case "qualified": {
        // const volatile T: CONST -> VOLATILE -> T, the outermost qualifier first.
        const [first, ...rest] = t.qualifiers as [CQualifier, ...CQualifier[]];
        const inner: CType = rest.length ? { kind: "qualified", qualifiers: rest, type: t.type } : t.type;
        return { kind: first, name: "", type: this.id(inner) };
      }
      case "function":
        return {
          kind: "func_proto",
          name: "",
          returns: this.id(t.returns),
          params: t.params.map((p) => ({ name: "", type: this.id(p) })),
          variadic: t.variadic === true,
        };
      case "opaque":
        // Known only by size: a struct without members.
        return {
          kind: "struct",
          name: t.name.replace(/^(struct|union) /, ""),
          size: this.size(t),
          kindFlag: false,
          members: [],
        };
    }
  }

  /** The INT pahole gives every array as its index type. */
  private indexType(): number {
    if (this.arrayIndex === undefined) {
      this.arrayIndex = this.types.length + 1;
      this.types.push({
        kind: "int",
        name: "__ARRAY_SIZE_TYPE__",
        size: 4,
        signed: false,
        char: false,
        bool: false,
        bits: 32,
        bitOffset: 0,
      });
    }
    return this.arrayIndex;
  }
}
