import { builtinTypes } from "../ctype/builtins.js";
import type { AggregateType, CType } from "../ctype/types.js";
import { LayoutEngine } from "./engine.js";
import type { KernelConfig, LaidMember, Layout } from "./types.js";

/**
 * A struct or union as pahole sees it: the members it prints, with offsets both absolute (what the offset
 * comments show) and relative to the aggregate (what its hole, padding and alignment rules use).
 */
export interface PClass {
  readonly kind: "struct" | "union";
  readonly name: string | undefined;
  /** The C type, for remembering what pahole inferred about it (packed or not). */
  readonly type: AggregateType;
  readonly offset: number;
  readonly size: number;
  readonly members: readonly PMember[];
}

export interface PMember {
  readonly name: string | undefined;
  readonly type: CType;
  readonly offset: number;
  readonly rel: number;
  /** The size pahole counts: 0 for its "empty base" types, otherwise `typeSize`. */
  readonly size: number;
  /** The size of the member's type as laid out. */
  readonly typeSize: number;
  readonly bitOffset?: number | undefined;
  readonly bitSize?: number | undefined;
  /** For a struct or union member, its members as laid out. */
  readonly laid?: readonly LaidMember[] | undefined;
}

/** Holes as pahole's `class__find_holes` counts them, indexed like `PClass.members`. */
export interface PHoles {
  readonly hole: readonly number[];
  readonly bitHole: readonly number[];
  readonly preHole: number;
  readonly preBitHole: number;
  readonly nrHoles: number;
  readonly nrBitHoles: number;
  readonly padding: number;
  readonly bitPadding: number;
}

export interface PaholeModelOptions {
  /** Kernel configuration, for `#ifdef`ed members of types reached only through their C description. */
  readonly config?: KernelConfig;
  /** Types that name references resolve to, as given to `layoutOf`. */
  readonly types?: ReadonlyMap<string, CType> | Readonly<Record<string, CType>>;
}

/**
 * What pahole derives from a layout beyond offsets: holes, natural alignments, and the `packed` and
 * `aligned` attributes it infers from BTF, which records neither. One model serves one formatting run, as
 * pahole remembers per type what it inferred.
 */
export class PaholeModel {
  readonly engine: LayoutEngine;
  readonly cacheline: number;
  private readonly types: ReadonlyMap<string, CType>;
  private readonly natural = new WeakMap<AggregateType, number>();
  private readonly packed = new WeakMap<AggregateType, boolean>();
  private readonly unionsInferred = new WeakSet<AggregateType>();

  constructor(layout: Layout, options: PaholeModelOptions = {}) {
    this.engine = new LayoutEngine({
      abi: layout.abi,
      ...(options.config ? { config: options.config } : {}),
      ...(options.types ? { types: options.types } : {}),
    });
    this.cacheline = layout.cacheline;
    const extra = options.types;
    this.types =
      extra === undefined
        ? builtinTypes
        : new Map([...builtinTypes, ...(extra instanceof Map ? extra : Object.entries(extra))]);
  }

  /** pahole's `tag__strip_typedefs_and_modifiers`, resolving names the layout was made with. */
  strip(t: CType): CType {
    let cur = t;
    for (;;) {
      if (cur.kind === "typedef" || cur.kind === "qualified") cur = cur.type;
      else if (cur.kind === "ref" && this.types.has(cur.name)) cur = this.types.get(cur.name)!;
      else return cur;
    }
  }

  /** The outermost aggregate of a layout. */
  top(layout: Layout): PClass {
    return this.classOf(layout.type, 0, layout);
  }

  /**
   * An aggregate at `offset`: from members already laid out in place (absolute offsets), or else laid out
   * here from its C type.
   */
  classOf(
    type: AggregateType,
    offset: number,
    placed?: { readonly size: number; readonly members: readonly LaidMember[] },
  ): PClass {
    const laid = placed ?? this.engine.layout(type);
    const members = placed ? placed.members : this.shift(laid.members, offset);
    const size = laid.size;
    return {
      kind: type.kind as "struct" | "union",
      name: type.name,
      type,
      offset,
      size,
      // BTF and DWARF have no unnamed bitfields: they are only holes to pahole.
      members: members
        .filter((m) => !(m.bitSize !== undefined && m.name === undefined))
        .map((m) => ({
          name: m.name,
          type: m.type,
          offset: m.offset,
          rel: m.offset - offset,
          size: this.isEmptyBase(m.type) ? 0 : m.size,
          typeSize: m.size,
          bitOffset: m.bitOffset,
          bitSize: m.bitSize,
          laid: m.members,
        })),
    };
  }

  /** The aggregate a struct- or union-typed member expands to. */
  memberClass(m: PMember, type: AggregateType): PClass {
    return this.classOf(type, m.offset, m.laid ? { size: m.typeSize, members: m.laid } : undefined);
  }

  private shift(members: readonly LaidMember[], by: number): LaidMember[] {
    return members.map((m) => ({
      ...m,
      offset: m.offset + by,
      ...(m.members ? { members: this.shift(m.members, by) } : {}),
    }));
  }

  /**
   * pahole's "empty base optimization trick" in `tag__size`: a 1-byte struct or union with no members it can
   * see (only unnamed bitfields) counts as 0 bytes, and so does an array of them.
   */
  isEmptyBase(type: CType): boolean {
    let t = this.strip(type);
    while (t.kind === "array") t = this.strip(t.element);
    if ((t.kind !== "struct" && t.kind !== "union") || !t.members) return false;
    const visible = t.members.some(
      (m) => this.engine.enabled(m.ifdef) && !(m.bits !== undefined && m.name === undefined),
    );
    return !visible && this.engine.sizeAlign(t).size === 1;
  }

  /** pahole's `tag__natural_alignment` of a (stripped) type: scalars by size, aggregates by their members. */
  naturalAlign(type: CType): number {
    const t = this.strip(type);
    switch (t.kind) {
      case "pointer":
        return this.engine.abi.pointerSize;
      case "int":
      case "float":
      case "enum":
        return this.engine.sizeAlign(t).size || 1;
      case "array":
        return this.naturalAlign(t.element);
      case "opaque":
        return this.engine.sizeAlign(t).align;
      case "struct":
      case "union": {
        const known = this.natural.get(t);
        if (known !== undefined) return known;
        let n = 1;
        for (const m of t.members ?? []) {
          if (!this.engine.enabled(m.ifdef) || (m.bits !== undefined && m.name === undefined)) continue;
          n = Math.max(n, this.naturalAlign(m.type));
        }
        this.natural.set(t, n);
        return n;
      }
      default:
        return 1;
    }
  }

  /** Natural alignment of a member, from its laid-out members where it has them. */
  memberNaturalAlign(m: PMember): number {
    const t = this.strip(m.type);
    if (m.laid && (t.kind === "struct" || t.kind === "union")) {
      const cls = this.memberClass(m, t);
      return Math.max(1, ...cls.members.map((x) => this.memberNaturalAlign(x)));
    }
    return this.naturalAlign(m.type);
  }

  /** pahole's `class__find_holes`; a union has none. */
  holes(cls: PClass): PHoles {
    const n = cls.members.length;
    const hole = new Array<number>(n).fill(0);
    const bitHole = new Array<number>(n).fill(0);
    let preHole = 0;
    let preBitHole = 0;
    let nrHoles = 0;
    let nrBitHoles = 0;
    if (cls.kind !== "struct")
      return { hole, bitHole, preHole, preBitHole, nrHoles, nrBitHoles, padding: 0, bitPadding: 0 };
    let curBitfieldEnd = cls.size * 8;
    let curBitfieldSize = 0;
    let lastSeenBit = 0;
    let inBitfield = false;
    cls.members.forEach((m, i) => {
      const bitStart = m.rel * 8 + (m.bitOffset ?? 0);
      const bitEnd = bitStart + (m.bitSize ? m.bitSize : m.size * 8);
      let bitHoles = 0;
      let byteHoles = 0;
      if (inBitfield) {
        const bitfieldEnd = Math.min(bitStart, curBitfieldEnd);
        bitHoles = bitfieldEnd - lastSeenBit;
        lastSeenBit = bitfieldEnd;
      }
      if (m.bitSize) {
        const alignedStart = m.rel * 8;
        if (lastSeenBit < alignedStart && alignedStart <= bitStart) {
          byteHoles = m.rel - Math.trunc(lastSeenBit / 8);
          lastSeenBit = alignedStart;
        }
        bitHoles += bitStart - lastSeenBit;
      } else {
        byteHoles = Math.trunc(bitStart / 8) - Math.trunc(lastSeenBit / 8);
      }
      lastSeenBit = bitEnd;
      if (m.bitSize) {
        inBitfield = true;
        if (bitEnd > curBitfieldEnd || m.size * 8 > curBitfieldSize) {
          curBitfieldSize = m.size * 8;
          curBitfieldEnd = m.rel * 8 + curBitfieldSize;
          // A field that borrowed bits from the previous unit ends in the next one.
          if (bitEnd > curBitfieldEnd) curBitfieldEnd += curBitfieldSize;
        }
      } else {
        inBitfield = false;
        curBitfieldSize = 0;
        curBitfieldEnd = bitEnd;
      }
      if (i > 0) {
        hole[i - 1] = byteHoles;
        bitHole[i - 1] = bitHoles;
      } else {
        preHole = byteHoles;
        preBitHole = bitHoles;
      }
      if (bitHoles) nrBitHoles++;
      if (byteHoles) nrHoles++;
    });
    let bitPadding = 0;
    if (inBitfield) {
      const bitfieldEnd = Math.min(cls.size * 8, curBitfieldEnd);
      bitPadding = bitfieldEnd - lastSeenBit;
      lastSeenBit = bitfieldEnd;
    }
    const padding = cls.size - Math.trunc(lastSeenBit / 8);
    return { hole, bitHole, preHole, preBitHole, nrHoles, nrBitHoles, padding, bitPadding };
  }

  /**
   * The `aligned` attributes pahole's BTF loader infers (`class__infer_alignment`): a member that starts
   * further on than the previous one ended, at an even offset, gets the power of two above the gap when that
   * exceeds its natural alignment (rounded up to the cacheline when the offset sits on one). The same rule
   * on the aggregate's size gives the aggregate's own attribute.
   */
  inferAlignments(cls: PClass): { members: number[]; type: number } {
    let smallest = 0;
    const members = cls.members.map((m) => {
      if (m.size === 0) return 0;
      const a = this.inferAlignment(m.rel, this.memberNaturalAlign(m), smallest);
      smallest = m.rel + m.size;
      return a;
    });
    const natural = Math.max(1, ...cls.members.map((m) => this.memberNaturalAlign(m)));
    return { members, type: this.inferAlignment(cls.size, natural, smallest) };
  }

  private inferAlignment(offset: number, natural: number, smallest: number): number {
    // Offsets are uint32 in pahole: a member before the previous end wraps to a huge gap.
    const delta = (offset - smallest) >>> 0;
    let alignment = 0;
    // 1 << 32 is 1 on x86 as in JavaScript: the shift count is taken mod 32.
    if (delta && offset % 2 === 0) alignment = 1 << (32 - Math.clz32(delta));
    if (alignment <= natural || alignment === 1) return 0;
    const cl = this.cacheline;
    if (alignment < cl && cl % alignment === 0 && offset % cl === 0) return cl;
    return alignment;
  }

  /**
   * pahole's `class__infer_packed_attributes`: a struct with no holes or padding is packed when a member
   * sits off its natural alignment or the size is not a multiple of it. A struct with holes instead marks
   * its struct members that sit off their natural alignment as packed. Remembered per type, as in pahole.
   */
  isPacked(cls: PClass): boolean {
    if (cls.kind !== "struct") return false;
    const known = this.packed.get(cls.type);
    if (known !== undefined) return known;
    const h = this.holes(cls);
    let packed = false;
    if (h.padding !== 0 || h.nrHoles !== 0) {
      this.markUnnatural(cls, (m) => m.rel % this.memberNaturalAlign(m) !== 0);
    } else {
      let max = 1;
      for (const m of cls.members) {
        const natural = this.memberNaturalAlign(m);
        if (natural === 1) continue;
        max = Math.max(max, natural);
        if (m.rel % natural !== 0) {
          packed = true;
          break;
        }
      }
      // (pahole also asks whether an `aligned(1)` was inferred, which its BTF loader never infers.)
      if (!packed && cls.size % max !== 0) packed = true;
    }
    this.packed.set(cls.type, packed);
    return packed;
  }

  /**
   * pahole's `union__infer_packed_attributes`: a struct in a union whose natural alignment does not divide
   * the union's size must be packed.
   */
  inferUnionPacked(cls: PClass): void {
    if (this.unionsInferred.has(cls.type)) return;
    this.markUnnatural(cls, (m) => cls.size % this.memberNaturalAlign(m) !== 0);
    this.unionsInferred.add(cls.type);
  }

  private markUnnatural(cls: PClass, off: (m: PMember) => boolean) {
    for (const m of cls.members) {
      const t = this.strip(m.type);
      if (t.kind === "struct" && off(m)) this.packed.set(t, true);
    }
  }
}
