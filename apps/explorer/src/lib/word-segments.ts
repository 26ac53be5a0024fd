import type { Design, PayloadField } from "@memdesc/core";

/** One run of bits in the word diagram, high bit first. */
export interface Segment {
  readonly high: number;
  readonly low: number;
  readonly label: string;
  readonly role: "type" | "address" | "zero" | "field" | "unused";
}

/** The type bits as the design reads them: the low two only for a buddy pointer in path-32. */
function typeBitsOf(design: Design, kind: string | undefined, tag: number | undefined): number {
  if (design.tagDecoding === "buddy-low2" && (kind === "buddy" || (tag !== undefined && (tag & 3) === 0)))
    return 2;
  return design.typeBits;
}

/**
 * The bit layout of a word of `kind` (or of a pointer word when `kind` is undefined): the type bits, then a
 * pointer's alignment zeros and address, or an inline kind's fields with the unused bits between them. Word
 * `index` > 0 of a wider entry (buddy-16's second word) holds fields only, no type.
 */
export function segmentsOf(
  design: Design,
  payload: readonly PayloadField[] | undefined,
  kind?: string,
  tag?: number,
  index = 0,
): Segment[] {
  const bits = design.wordBits;
  const typeBits = index > 0 ? 0 : typeBitsOf(design, kind, tag);
  const out: Segment[] = [];
  if (payload === undefined) {
    const alignBits = Math.log2(design.descriptorAlign);
    out.push({
      high: bits - 1,
      low: alignBits,
      label: `descriptor address (${design.descriptorAlign}-byte aligned)`,
      role: "address",
    });
    if (alignBits > typeBits)
      out.push({ high: alignBits - 1, low: typeBits, label: "zero (alignment)", role: "zero" });
  } else {
    const fields = payload.filter((f) => (f.word ?? 0) === index).sort((a, b) => b.bit - a.bit);
    let next = bits - 1;
    for (const f of fields) {
      const high = f.bit + f.width - 1;
      if (high < next) out.push({ high: next, low: high + 1, label: "unused", role: "unused" });
      out.push({ high, low: f.bit, label: f.name, role: "field" });
      next = f.bit - 1;
    }
    if (next >= typeBits) out.push({ high: next, low: typeBits, label: "unused", role: "unused" });
  }
  if (typeBits > 0) out.push({ high: typeBits - 1, low: 0, label: "type", role: "type" });
  return out;
}

/** `bits 17–12` or `bit 11` */
export const bitRange = (s: { high: number; low: number }) =>
  s.high === s.low ? `bit ${s.low}` : `bits ${s.high}–${s.low}`;
