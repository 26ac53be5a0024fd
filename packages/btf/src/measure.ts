import { BtfError } from "./errors.js";
import { Kind } from "./kinds.js";
import type { BtfTypeReader } from "./types.js";

/** Sizes larger than this (4 GiB) cannot come from a real C type in BTF, whose size words are u32. */
export const MAX_TYPE_SIZE = 0xffffffff;

const pow2Floor = (n: number) => (n < 1 ? 1 : 2 ** Math.floor(Math.log2(n)));

/**
 * Sizes and alignments computed from BTF alone. BTF records every size but no alignment, so alignment is the
 * natural one (what GCC gives without attributes), lowered where the recorded offsets and size prove the
 * type packed. An `aligned` attribute that raised it cannot be seen and is not guessed.
 */
export class Measure {
  private readonly sizes = new Map<number, number>();
  private readonly aligns = new Map<number, number>();
  private readonly inProgress = new Set<number>();

  constructor(private readonly btf: BtfTypeReader) {}

  /** Bytes a value of this type occupies; incomplete types (void, FWD, functions) are an error. */
  sizeOf(id: number): number {
    const cached = this.sizes.get(id);
    if (cached !== undefined) return cached;
    const btf = this.btf;
    let factor = 1;
    let cur = btf.resolve(id);
    let steps = 0;
    while (btf.kind(cur) === Kind.array) {
      factor *= btf.arrayLength(cur);
      cur = btf.resolve(btf.arrayElement(cur));
      if (++steps > 64) throw this.cycle(id, "array elements nest more than 64 deep");
    }
    const k = btf.kind(cur);
    let unit: number;
    switch (k) {
      case Kind.int:
      case Kind.enum:
      case Kind.enum64:
      case Kind.float:
      case Kind.struct:
      case Kind.union:
        unit = btf.sizeOrType(cur);
        break;
      case Kind.ptr:
        unit = btf.pointerSize;
        break;
      case Kind.var:
        unit = this.sizeOf(btf.target(cur));
        break;
      default:
        throw new BtfError(
          "BTF_NOT_A_TYPE",
          `${k === 0 ? "void" : (btf.kindName(cur) ?? "this kind")} has no size`,
          { typeId: cur, offset: k === 0 ? undefined : btf.recordOffset(cur), file: btf.file },
        );
    }
    const size = factor * unit;
    if (size > MAX_TYPE_SIZE)
      throw new BtfError("BTF_SIZE", `type is ${size} bytes, more than a BTF size can express`, {
        typeId: id,
        offset: btf.recordOffset(id),
        file: btf.file,
      });
    this.sizes.set(id, size);
    return size;
  }

  /** Alignment in bytes (see the class comment for what BTF can and cannot tell). */
  alignOf(id: number): number {
    const cached = this.aligns.get(id);
    if (cached !== undefined) return cached;
    const btf = this.btf;
    const r = btf.resolve(id);
    const k = btf.kind(r);
    let align: number;
    switch (k) {
      case Kind.int:
      case Kind.enum:
      case Kind.enum64:
      case Kind.float:
        align = this.scalarAlign(btf.sizeOrType(r));
        break;
      case Kind.ptr:
        align = btf.pointerSize;
        break;
      case Kind.array: {
        if (this.inProgress.has(r)) throw this.cycle(r, "array contains itself");
        this.inProgress.add(r);
        try {
          align = this.alignOf(btf.arrayElement(r));
        } finally {
          this.inProgress.delete(r);
        }
        break;
      }
      case Kind.struct:
      case Kind.union:
        align = this.aggregateAlign(r);
        break;
      default:
        align = 1;
    }
    this.aligns.set(id, align);
    return align;
  }

  /** 8-byte scalars are 4-aligned on i386 (the ABI assumed for 4-byte pointers); long double too. */
  private scalarAlign(size: number): number {
    const big = this.btf.pointerSize === 8 ? 16 : 4;
    if (size >= 16) return big;
    if (size === 8) return this.btf.pointerSize === 8 ? 8 : 4;
    if (size === 12) return 4;
    return pow2Floor(size);
  }

  private aggregateAlign(id: number): number {
    const btf = this.btf;
    if (this.inProgress.has(id)) throw this.cycle(id, "struct or union contains itself by value");
    this.inProgress.add(id);
    try {
      const t = btf.type(id);
      if (t.kind !== "struct" && t.kind !== "union") return 1;
      // No members but a size: in C, a struct of unnamed bitfields only, which GCC aligns to 1.
      if (t.members.length === 0) return 1;
      let natural = 1;
      const aligns = t.members.map((m) => {
        const a = this.alignOf(m.type);
        natural = Math.max(natural, a);
        return a;
      });
      // A packed type shows itself by a size or a member offset its natural alignment would not allow.
      let align = natural;
      const fits = (a: number) =>
        t.size % a === 0 &&
        t.members.every(
          (m, i) =>
            m.bitSize > 0 || m.bitOffset % 8 !== 0 || (m.bitOffset / 8) % Math.min(a, aligns[i]!) === 0,
        );
      while (align > 1 && !fits(align)) align /= 2;
      return align;
    } finally {
      this.inProgress.delete(id);
    }
  }

  private cycle(id: number, detail: string): BtfError {
    return new BtfError("BTF_CYCLE", detail, {
      typeId: id,
      offset: this.btf.recordOffset(id),
      file: this.btf.file,
    });
  }
}
