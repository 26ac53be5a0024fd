import type { AggregateType, ArrayType, CType, Member } from "@memdesc/core/layout";
import { BtfError } from "./errors.js";
import { Kind } from "./kinds.js";
import type { BtfComposite, BtfTypeReader } from "./types.js";

/**
 * Attributes BTF does not record, supplied from outside (the cross-check infers them) so that the layout
 * engine can reproduce BTF's offsets.
 */
export interface AggregateAttributes {
  readonly packed?: boolean;
  readonly aligned?: number;
  /** `aligned(n)` on members, by member index. */
  readonly memberAligned?: ReadonlyMap<number, number>;
  /**
   * Unnamed bitfields totalling this many bits before the member with this index (or, at index
   * `members.length`, after the last): C's `u64 : 13;` padding, which compilers leave out of DWARF and so
   * out of BTF.
   */
  readonly padding?: ReadonlyMap<number, number>;
}

/** Deeper nesting than this (by value or through pointers) is treated as malformed BTF. */
const MAX_DEPTH = 256;

const void_: CType = { kind: "void" };
const uchar: CType = { kind: "int", name: "unsigned char", size: 1, signed: false, char: true };
const intSizes = new Set([1, 2, 4, 8, 16]);
const floatSizes = new Set([2, 4, 8, 10, 12, 16]);
const enumSizes = new Set([1, 2, 4, 8]);

/**
 * Converts BTF types to `@memdesc/core` C types, memoised per type id. Values are converted in full; the
 * targets of pointers and function prototypes only by name (`struct page *` becomes a pointer to an incomplete
 * `struct page`), which keeps self-referential structs finite.
 */
export class CTypeConverter {
  private readonly full = new Map<number, CType>();
  private readonly overrides = new Map<number, CType>();
  private readonly shallow = new Map<number, CType>();
  private readonly flexible = new Map<number, ArrayType>();
  private readonly inProgress = new Set<number>();
  private readonly shallowInProgress = new Set<number>();
  private readonly attributes = new Map<number, AggregateAttributes>();
  private readonly typedefAligned = new Map<number, number>();
  private depth = 0;

  constructor(readonly btf: BtfTypeReader) {}

  /** The C type of `id`, as a value (structs with all their members). */
  ctype(id: number): CType {
    const cached = this.overrides.get(id) ?? this.full.get(id);
    if (cached) return cached;
    const t = this.enter(id, false, () => this.convert(id));
    this.full.set(id, t);
    return t;
  }

  /** The C type of `id` as seen through a pointer: named structs and unions by name only. */
  pointee(id: number): CType {
    const cached = this.shallow.get(id);
    if (cached) return cached;
    const t = this.enter(id, true, () => this.convertShallow(id));
    this.shallow.set(id, t);
    return t;
  }

  /**
   * The struct or union `id` with `attrs` applied, built fresh (not memoised), for trying out attributes.
   * Its members' types are the memoised ones.
   */
  aggregateWith(id: number, attrs: AggregateAttributes | undefined): AggregateType {
    return this.enter(id, false, () => this.composite(this.btf.type(id) as BtfComposite, attrs));
  }

  /**
   * Makes `attrs` (or none, when undefined) part of `id`'s conversion from now on. Types already converted
   * that contain it are not rebuilt unless `clearCache` is called.
   */
  setAttributes(id: number, attrs: AggregateAttributes | undefined): void {
    if (attrs) this.attributes.set(id, attrs);
    else this.attributes.delete(id);
    this.full.delete(id);
  }

  attributesOf(id: number): AggregateAttributes | undefined {
    return this.attributes.get(id);
  }

  /** Replaces `id`'s conversion with `type` from now on. */
  override(id: number, type: CType): void {
    this.overrides.set(id, type);
  }

  /** Makes `typedef … __aligned(n)` (or none) part of a typedef's conversion from now on. */
  setTypedefAligned(id: number, aligned: number | undefined): void {
    if (aligned === undefined) this.typedefAligned.delete(id);
    else this.typedefAligned.set(id, aligned);
    this.full.delete(id);
  }

  /** Forgets every memoised conversion (not attributes or overrides), so containing types pick up changes. */
  clearCache(): void {
    this.full.clear();
    this.flexible.clear();
  }

  private enter<T>(id: number, isShallow: boolean, fn: () => T): T {
    const set = isShallow ? this.shallowInProgress : this.inProgress;
    if (set.has(id))
      throw this.err(
        "BTF_CYCLE",
        isShallow
          ? `reference cycle: type id ${id} refers back to itself`
          : `reference cycle: type id ${id} contains itself by value`,
        id,
      );
    if (this.depth >= MAX_DEPTH)
      throw this.err("BTF_CYCLE", `types nest more than ${MAX_DEPTH} levels deep`, id);
    set.add(id);
    this.depth++;
    try {
      return fn();
    } finally {
      this.depth--;
      set.delete(id);
    }
  }

  private err(code: BtfError["code"], detail: string, id: number): BtfError {
    return new BtfError(code, detail, {
      typeId: id,
      offset: id > 0 && id <= this.btf.lastId ? this.btf.recordOffset(id) : undefined,
      file: this.btf.file,
    });
  }

  private convert(id: number): CType {
    const btf = this.btf;
    if (id === 0) return void_;
    const t = btf.type(id);
    switch (t.kind) {
      case "int": {
        if (!intSizes.has(t.size)) throw this.err("BTF_SIZE", `INT "${t.name}" has size ${t.size}`, id);
        return {
          kind: "int",
          name: t.name,
          size: t.size as 1 | 2 | 4 | 8 | 16,
          signed: t.signed,
          ...(t.bool ? { bool: true } : {}),
          ...(t.char ? { char: true } : {}),
        };
      }
      case "float":
        if (!floatSizes.has(t.size)) throw this.err("BTF_SIZE", `FLOAT "${t.name}" has size ${t.size}`, id);
        return { kind: "float", name: t.name, size: t.size as 2 | 4 | 8 | 10 | 12 | 16 };
      case "ptr":
        return { kind: "pointer", to: this.pointee(t.type) };
      case "array":
        return { kind: "array", element: this.ctype(t.type), length: t.nelems };
      case "struct":
      case "union":
        if (t.members.length === 0 && t.size > 0) {
          // A complete type with no members: only its size is known.
          return { kind: "opaque", name: `${t.kind} ${t.name}`, size: t.size, align: btf.alignOf(id) };
        }
        return this.composite(t, this.attributes.get(id));
      case "enum":
      case "enum64":
        if (!enumSizes.has(t.size)) throw this.err("BTF_SIZE", `enum "${t.name}" has size ${t.size}`, id);
        return {
          kind: "enum",
          name: t.name || undefined,
          size: t.size as 1 | 2 | 4 | 8,
          ...(t.signed ? { signed: true } : {}),
          values: t.values,
        };
      case "fwd":
        return { kind: t.union ? "union" : "struct", name: t.name };
      case "typedef": {
        const aligned = this.typedefAligned.get(id);
        return {
          kind: "typedef",
          name: t.name,
          type: this.ctype(t.type),
          ...(aligned !== undefined ? { aligned } : {}),
        };
      }
      case "const":
      case "volatile":
      case "restrict":
        return this.qualified(id, (inner) => this.ctype(inner));
      case "type_tag":
        return this.ctype(t.type);
      case "func":
        return this.ctype(t.type);
      case "func_proto":
        return this.functionType(id);
      case "var":
        return this.ctype(t.type);
      case "datasec":
      case "decl_tag":
        throw this.err("BTF_NOT_A_TYPE", `a ${btf.kindName(id)} record is not a C type`, id);
    }
  }

  private convertShallow(id: number): CType {
    const btf = this.btf;
    const k = btf.kind(id);
    switch (k) {
      case Kind.struct:
      case Kind.union: {
        const name = btf.name(id);
        const kind = k === Kind.struct ? "struct" : "union";
        if (name) return { kind, name };
        // Anonymous: no name to print it by, so it is printed whole (pahole expands it in place) and needs its
        // members complete. C cannot nest a struct inside itself by value, so this cannot loop back.
        return this.ctype(id);
      }
      case Kind.typedef:
        return { kind: "typedef", name: btf.name(id), type: this.pointee(btf.target(id)) };
      case Kind.const:
      case Kind.volatile:
      case Kind.restrict:
        return this.qualified(id, (inner) => this.pointee(inner));
      case Kind.typeTag:
        return this.pointee(btf.target(id));
      case Kind.array:
        return { kind: "array", element: this.pointee(btf.arrayElement(id)), length: btf.arrayLength(id) };
      default:
        return this.ctype(id);
    }
  }

  /** `const volatile T`: a chain of qualifiers (and type tags, which are skipped) becomes one node. */
  private qualified(id: number, inner: (id: number) => CType): CType {
    const btf = this.btf;
    const qualifiers: ("const" | "volatile" | "restrict")[] = [];
    let cur = id;
    for (let steps = 0; ; steps++) {
      const k = btf.kind(cur);
      if (k === Kind.const) qualifiers.push("const");
      else if (k === Kind.volatile) qualifiers.push("volatile");
      else if (k === Kind.restrict) qualifiers.push("restrict");
      else if (k !== Kind.typeTag) break;
      if (steps > MAX_DEPTH) throw this.err("BTF_CYCLE", `qualifier chain does not end`, id);
      cur = btf.target(cur);
    }
    return { kind: "qualified", qualifiers: [...new Set(qualifiers)], type: inner(cur) };
  }

  private functionType(id: number): CType {
    const t = this.btf.type(id);
    if (t.kind !== "func_proto") throw this.err("BTF_NOT_A_TYPE", `not a FUNC_PROTO`, id);
    return {
      kind: "function",
      returns: this.pointee(t.returns),
      params: t.params.map((p) => this.pointee(p.type)),
      ...(t.variadic ? { variadic: true } : {}),
    };
  }

  private composite(t: BtfComposite, attrs: AggregateAttributes | undefined): AggregateType {
    if (t.kind !== "struct" && t.kind !== "union")
      throw this.err("BTF_NOT_A_TYPE", `type id ${t.id} is not a struct or union`, t.id);
    const last = t.members.length - 1;
    const members: Member[] = [];
    t.members.forEach((m, i) => {
      const bits = this.bitfieldWidth(t, i);
      let type = this.ctype(m.type);
      // C's flexible array member: a zero-length array ending a struct with other members.
      if (type.kind === "array" && type.length === 0 && t.kind === "struct" && i === last && last > 0)
        type = this.flexibleArray(m.type, type);
      const aligned = attrs?.memberAligned?.get(i);
      const pad = attrs?.padding?.get(i);
      if (pad) members.push(...this.paddingMembers(pad, m.type));
      members.push({
        name: m.name || undefined,
        type,
        ...(bits !== undefined ? { bits } : {}),
        ...(aligned !== undefined ? { aligned } : {}),
      });
    });
    const tail = attrs?.padding?.get(t.members.length);
    if (tail) members.push(...this.paddingMembers(tail, undefined));
    return {
      kind: t.kind,
      name: t.name || undefined,
      members,
      ...(attrs?.packed ? { packed: true } : {}),
      ...(attrs?.aligned !== undefined ? { aligned: attrs.aligned } : {}),
    };
  }

  /**
   * Unnamed bitfields of `bits` in total, of the next member's integer type when it has one (else unsigned
   * char), the remainder first so the rest fill whole storage units.
   */
  private paddingMembers(bits: number, nextType: number | undefined): Member[] {
    let type = uchar;
    if (nextType !== undefined) {
      const r = this.btf.resolve(nextType);
      const k = this.btf.kind(r);
      if ((k === Kind.int || k === Kind.enum || k === Kind.enum64) && intSizes.has(this.btf.sizeOrType(r)))
        type = this.ctype(nextType);
    }
    const width = type === uchar ? 8 : this.btf.sizeOf(nextType!) * 8;
    const out: Member[] = [];
    if (bits % width) out.push({ type, bits: bits % width });
    for (let i = 0; i < Math.floor(bits / width); i++) out.push({ type, bits: width });
    return out;
  }

  private flexibleArray(id: number, type: ArrayType): ArrayType {
    let flex = this.flexible.get(id);
    if (!flex) {
      flex = { ...type, flexible: true };
      this.flexible.set(id, flex);
    }
    return flex;
  }

  /**
   * A member's bitfield width, or undefined: from the offset's top byte when `kind_flag` is set, else from an
   * INT member type whose `nr_bits` or bit offset says it is narrower than its storage (the pre-kind_flag form).
   */
  bitfieldWidth(t: BtfComposite, index: number): number | undefined {
    const btf = this.btf;
    const m = t.members[index]!;
    const r = btf.resolve(m.type);
    const rk = btf.kind(r);
    if (t.kindFlag) {
      if (m.bitSize === 0) return undefined;
      if (rk !== Kind.int && rk !== Kind.enum && rk !== Kind.enum64)
        throw this.err("BTF_NOT_A_TYPE", `bitfield member "${m.name}" is a ${btf.kindName(r)}`, t.id);
      const size = btf.sizeOrType(r);
      if (m.bitSize > size * 8)
        throw this.err(
          "BTF_SIZE",
          `bitfield member "${m.name}" is ${m.bitSize} bits wide but its type has ${size * 8}`,
          t.id,
        );
      return m.bitSize;
    }
    if (btf.kind(m.type) !== Kind.int) return undefined;
    const int = btf.type(m.type);
    if (int.kind !== "int") return undefined;
    if (int.bits === int.size * 8 && int.bitOffset === 0) return undefined;
    if (int.bits === 0 || int.bits + int.bitOffset > int.size * 8)
      throw this.err("BTF_SIZE", `INT "${int.name}" has ${int.bits} bits at bit ${int.bitOffset}`, m.type);
    return int.bits;
  }
}
