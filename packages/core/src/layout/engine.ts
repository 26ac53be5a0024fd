import { type Abi, type AbiName, resolveAbi } from "../abi/abi.js";
import { builtinTypes } from "../ctype/builtins.js";
import type { AggregateType, CType, Member } from "../ctype/types.js";
import { LayoutError, type TypeSite } from "../errors.js";
import { assembleLayout } from "./assemble.js";
import { configEnabled } from "./config.js";
import type { KernelConfig, LaidMember, Layout } from "./types.js";

export interface LayoutOptions {
  /** `lp64` (default), `ilp32` or `ilp32-arm`, or an `Abi` object. */
  readonly abi?: Abi | AbiName;
  /** Kernel configuration for `#ifdef`ed members and configurable sizes. */
  readonly config?: KernelConfig;
  /** Types that `ref`s (type names the built-ins do not define) resolve to, keyed `struct foo` or `foo_t`. */
  readonly types?: ReadonlyMap<string, CType> | Readonly<Record<string, CType>>;
}

/** A member placed inside its aggregate: `bitpos` counts bits from the aggregate's start. */
interface Placed {
  readonly member: Member;
  readonly type: CType;
  readonly bitpos: number;
  readonly size: number;
  readonly align: number;
  readonly nested?: Placement | undefined;
}

interface Placement {
  readonly kind: "struct" | "union";
  readonly size: number;
  readonly align: number;
  readonly members: readonly Placed[];
}

const isPow2 = (n: number) => Number.isInteger(n) && n > 0 && (n & (n - 1)) === 0;
const roundUp = (n: number, to: number) => Math.ceil(n / to) * to;

/**
 * Lays out C types the way GCC does for one ABI and kernel configuration: natural alignment, `packed` and
 * `aligned` attributes, and bitfields under PCC_BITFIELD_TYPE_MATTERS (a bitfield may not span more
 * alignment units of its type than the type itself; named bitfields align the struct, unnamed ones do not).
 * Placements are memoised per type object, so laying out many structs that share members stays cheap.
 */
export class LayoutEngine {
  readonly abi: Abi;
  readonly config: KernelConfig;
  private readonly types: ReadonlyMap<string, CType>;
  private readonly memo = new WeakMap<AggregateType, Placement>();
  private readonly inProgress = new Set<AggregateType>();

  constructor(options: LayoutOptions = {}) {
    this.abi = resolveAbi(options.abi);
    this.config = { CONFIG_64BIT: this.abi.is64bit, ...options.config };
    const extra = options.types;
    this.types =
      extra === undefined
        ? builtinTypes
        : new Map([...builtinTypes, ...(extra instanceof Map ? extra : Object.entries(extra))]);
  }

  /** Lays out a struct or union (or a typedef of one). */
  layout(type: CType): Layout {
    let t = type;
    let typedefName: string | undefined;
    while (t.kind === "typedef" || t.kind === "qualified" || t.kind === "ref") {
      if (t.kind === "typedef") typedefName ??= t.name;
      t = t.kind === "ref" ? this.resolveRef(t.name, {}) : t.type;
    }
    if (t.kind !== "struct" && t.kind !== "union")
      throw new LayoutError("BAD_TYPE", `only a struct or union can be laid out, not ${t.kind}`, {});
    const placement = this.place(t, { struct: aggregateLabel(t, typedefName) });
    return assembleLayout({
      kind: t.kind,
      name: t.name,
      typedefName,
      type: t,
      abi: this.abi.name,
      size: placement.size,
      align: placement.align,
      cacheline: this.abi.cacheline,
      members: this.toLaid(placement, 0),
    });
  }

  /** Size and alignment of any complete type. */
  sizeAlign(type: CType, site: TypeSite = {}): { size: number; align: number } {
    switch (type.kind) {
      case "int": {
        const size =
          type.size === "long"
            ? this.abi.longSize
            : type.size === "pointer"
              ? this.abi.pointerSize
              : type.size;
        return { size, align: this.scalarAlign(size) };
      }
      case "float": {
        if (type.size === 10 || type.size === 12 || type.size === 16) {
          // long double: 12 bytes, 4-aligned on i386; 16 bytes, 16-aligned on x86-64.
          return this.abi.is64bit ? { size: 16, align: 16 } : { size: 12, align: 4 };
        }
        return { size: type.size, align: this.scalarAlign(type.size) };
      }
      case "pointer":
        return { size: this.abi.pointerSize, align: this.abi.pointerSize };
      case "enum": {
        const size = type.size === "long" ? this.abi.longSize : type.size;
        return { size, align: this.scalarAlign(size) };
      }
      case "array": {
        if (!Number.isInteger(type.length) || type.length < 0)
          throw new LayoutError(
            "ARRAY_LENGTH",
            `array length must be a whole number ≥ 0, got ${type.length}`,
            site,
          );
        const el = this.sizeAlign(type.element, site);
        return { size: type.flexible ? 0 : el.size * type.length, align: el.align };
      }
      case "struct":
      case "union": {
        const p = this.place(type, { ...site, struct: aggregateLabel(type) ?? site.struct });
        return { size: p.size, align: p.align };
      }
      case "typedef": {
        const inner = this.sizeAlign(type.type, site);
        if (type.aligned === undefined) return inner;
        if (!isPow2(type.aligned))
          throw new LayoutError("BAD_ALIGNMENT", `aligned(${type.aligned}) is not a power of two`, site);
        return { size: inner.size, align: type.aligned };
      }
      case "qualified":
        return this.sizeAlign(type.type, site);
      case "opaque": {
        const size =
          typeof type.size === "number"
            ? type.size
            : Number(this.config[type.size.config] ?? type.size.default);
        return { size, align: type.align === "size" ? this.scalarAlign(size) : type.align };
      }
      case "ref":
        return this.sizeAlign(this.resolveRef(type.name, site), site);
      case "void":
      case "function":
        throw new LayoutError("INCOMPLETE_TYPE", `${type.kind} has no size; use a pointer to it`, site);
    }
  }

  /** Whether a member guarded by `ifdef` exists in this configuration (`A&&!B` is supported). */
  enabled(ifdef: string | undefined): boolean {
    return configEnabled(this.config, ifdef);
  }

  /** The alignment an `aligned` attribute on the aggregate asks for (1 when it has none or it is off). */
  private aggregateAligned(agg: AggregateType, site: TypeSite): number {
    const spec = agg.aligned;
    if (spec === undefined) return 1;
    let n: number;
    if (typeof spec === "number") n = spec;
    else if (!this.enabled(spec.ifdef)) return 1;
    else n = spec.longs * this.abi.longSize;
    if (!isPow2(n)) throw new LayoutError("BAD_ALIGNMENT", `aligned(${n}) is not a power of two`, site);
    return n;
  }

  private scalarAlign(size: number): number {
    if (size === 8) return this.abi.int64Align;
    if (size === 16) return this.abi.int128Align ?? this.abi.int64Align;
    return size;
  }

  private resolveRef(name: string, site: TypeSite): CType {
    const found = this.types.get(name);
    if (!found) throw new LayoutError("UNKNOWN_TYPE", `unknown C type "${name}"`, site);
    return found;
  }

  private place(agg: AggregateType, site: TypeSite): Placement {
    const cached = this.memo.get(agg);
    if (cached) return cached;
    if (!agg.members) throw new LayoutError("INCOMPLETE_TYPE", `${aggregateLabel(agg)} is incomplete`, site);
    if (this.inProgress.has(agg))
      throw new LayoutError(
        "BAD_TYPE",
        `${aggregateLabel(agg) ?? "an anonymous aggregate"} contains itself`,
        site,
      );
    this.inProgress.add(agg);
    try {
      checkNames(agg, site, this);
      const placement = agg.kind === "struct" ? this.placeStruct(agg, site) : this.placeUnion(agg, site);
      this.memo.set(agg, placement);
      return placement;
    } finally {
      this.inProgress.delete(agg);
    }
  }

  /** The alignment a member is placed with, and the type's own size and alignment. */
  private memberMetrics(m: Member, packed: boolean, site: TypeSite) {
    const type = m.type.kind === "ref" ? this.resolveRef(m.type.name, site) : m.type;
    const natural = this.sizeAlign(type, site);
    if (m.aligned !== undefined && !isPow2(m.aligned))
      throw new LayoutError("BAD_ALIGNMENT", `aligned(${m.aligned}) is not a power of two`, site);
    const base = packed ? 1 : natural.align;
    const align = m.aligned !== undefined ? Math.max(base, m.aligned) : base;
    const nested =
      type.kind === "struct" || type.kind === "union" || type.kind === "typedef" || type.kind === "qualified"
        ? this.nestedPlacement(type, site)
        : undefined;
    return { type, size: natural.size, typeAlign: natural.align, align, nested };
  }

  private nestedPlacement(type: CType, site: TypeSite): Placement | undefined {
    let t = type;
    while (t.kind === "typedef" || t.kind === "qualified") t = t.type;
    if (t.kind === "ref") t = this.resolveRef(t.name, site);
    if (t.kind === "struct" || t.kind === "union") return this.place(t, site);
    return undefined;
  }

  private checkBitfield(m: Member, type: CType, size: number, site: TypeSite): number {
    const bits = m.bits!;
    let base = type;
    while (base.kind === "typedef" || base.kind === "qualified") base = base.type;
    if (base.kind !== "int" && base.kind !== "enum")
      throw new LayoutError("BAD_TYPE", `a bitfield must have an integer or enum type`, site);
    if (!Number.isInteger(bits) || bits < 0)
      throw new LayoutError("BITFIELD_WIDTH", `bitfield width must be a whole number ≥ 0, got ${bits}`, site);
    if (bits > size * 8)
      throw new LayoutError(
        "BITFIELD_WIDTH",
        `bitfield is ${bits} bits wide but its type has only ${size * 8}`,
        site,
      );
    if (bits === 0 && m.name !== undefined)
      throw new LayoutError("BITFIELD_WIDTH", `a zero-width bitfield must be unnamed`, site);
    return bits;
  }

  private placeStruct(agg: AggregateType, site: TypeSite): Placement {
    const packed = agg.packed === true;
    const placed: Placed[] = [];
    let bitpos = 0;
    let align = 1;
    const members = agg.members!.filter((m) => this.enabled(m.ifdef));
    members.forEach((m, i) => {
      const msite = { ...site, field: m.name ?? `#${i}` };
      const { type, size, typeAlign, align: memberAlign, nested } = this.memberMetrics(m, packed, msite);
      if (type.kind === "array" && type.flexible && i !== members.length - 1)
        throw new LayoutError("FLEXIBLE_ARRAY", `a flexible array member must be the last member`, msite);
      if (m.bits !== undefined) {
        const bits = this.checkBitfield(m, type, size, msite);
        const unit = typeAlign * 8;
        if (bits === 0) {
          // Even in a packed struct, gcc aligns a zero-width bitfield to its type's alignment unit.
          bitpos = roundUp(bitpos, unit);
          return;
        }
        if (!packed) {
          // GCC's excess_unit_span: the field may not span more alignment units than its type has.
          const units = Math.floor(((bitpos % unit) + bits + unit - 1) / unit);
          if (units > Math.ceil((size * 8) / unit)) bitpos = roundUp(bitpos, unit);
        }
        if (m.aligned !== undefined) bitpos = roundUp(bitpos, m.aligned * 8);
        placed.push({ member: m, type, bitpos, size, align: memberAlign, nested: undefined });
        bitpos += bits;
        if (m.name !== undefined) align = Math.max(align, memberAlign);
        return;
      }
      bitpos = roundUp(bitpos, memberAlign * 8);
      placed.push({ member: m, type, bitpos, size, align: memberAlign, nested });
      bitpos += size * 8;
      align = Math.max(align, memberAlign);
    });
    align = Math.max(align, this.aggregateAligned(agg, site));
    return { kind: "struct", size: roundUp(bitpos, align * 8) / 8, align, members: placed };
  }

  private placeUnion(agg: AggregateType, site: TypeSite): Placement {
    const packed = agg.packed === true;
    const placed: Placed[] = [];
    let size = 0;
    let align = 1;
    agg.members!.forEach((m, i) => {
      if (!this.enabled(m.ifdef)) return;
      const msite = { ...site, field: m.name ?? `#${i}` };
      const { type, size: msize, align: memberAlign, nested } = this.memberMetrics(m, packed, msite);
      if (m.bits !== undefined) {
        const bits = this.checkBitfield(m, type, msize, msite);
        if (bits === 0) return;
        placed.push({ member: m, type, bitpos: 0, size: msize, align: memberAlign, nested: undefined });
        size = Math.max(size, Math.ceil(bits / 8));
        if (m.name !== undefined) align = Math.max(align, memberAlign);
        return;
      }
      placed.push({ member: m, type, bitpos: 0, size: msize, align: memberAlign, nested });
      size = Math.max(size, msize);
      align = Math.max(align, memberAlign);
    });
    align = Math.max(align, this.aggregateAligned(agg, site));
    return { kind: "union", size: roundUp(size, align), align, members: placed };
  }

  private toLaid(placement: Placement, base: number): LaidMember[] {
    return placement.members.map((p): LaidMember => {
      const m = p.member;
      if (m.bits !== undefined) {
        const unitBytes = p.size;
        const unitOffset = Math.floor(p.bitpos / (unitBytes * 8)) * unitBytes;
        return {
          name: m.name,
          type: p.type,
          offset: base + unitOffset,
          size: p.size,
          align: p.align,
          bitOffset: p.bitpos - unitOffset * 8,
          bitSize: m.bits,
          ...(m.aligned !== undefined ? { alignedAttr: m.aligned } : {}),
        };
      }
      const offset = base + p.bitpos / 8;
      return {
        name: m.name,
        type: p.type,
        offset,
        size: p.size,
        align: p.align,
        ...(m.aligned !== undefined ? { alignedAttr: m.aligned } : {}),
        ...(p.nested ? { aggregate: p.nested.kind, members: this.toLaid(p.nested, offset) } : {}),
      };
    });
  }
}

function aggregateLabel(t: AggregateType, typedefName?: string): string | undefined {
  if (t.name) return `${t.kind} ${t.name}`;
  return typedefName;
}

/** C forbids two members reachable by the same name, including through anonymous members. */
function checkNames(agg: AggregateType, site: TypeSite, engine: LayoutEngine) {
  const seen = new Set<string>();
  const visit = (members: readonly Member[]) => {
    for (const m of members) {
      if (!engine.enabled(m.ifdef)) continue;
      if (m.name !== undefined) {
        if (seen.has(m.name))
          throw new LayoutError("DUPLICATE_FIELD", `duplicate field name "${m.name}"`, {
            ...site,
            field: m.name,
          });
        seen.add(m.name);
      } else if (m.bits === undefined) {
        // An anonymous member, const or volatile as it may be (struct vm_fault's `const struct { … };`).
        let t = m.type;
        while (t.kind === "qualified") t = t.type;
        if ((t.kind === "struct" || t.kind === "union") && t.members) visit(t.members);
      }
    }
  };
  visit(agg.members ?? []);
}

/** Lays out one struct or union: `layoutOf(c.struct("page", [...]), { abi: "lp64" })`. */
export function layoutOf(type: CType, options: LayoutOptions = {}): Layout {
  return new LayoutEngine(options).layout(type);
}
