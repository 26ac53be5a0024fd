import type { Design, PayloadField } from "../design/schema.js";
import { MemdescError } from "../errors.js";

export type WordCodecErrorCode =
  | "NO_WORD"
  | "TAG_RANGE"
  | "UNKNOWN_KIND"
  | "NOT_POINTER"
  | "NOT_INLINE"
  | "MISALIGNED"
  | "ADDRESS_RANGE"
  | "PAYLOAD_OVERFLOW"
  | "UNKNOWN_FIELD";

/** A word that cannot be encoded or decoded: bad tag, misaligned descriptor, payload that does not fit. */
export class WordCodecError extends MemdescError {
  declare readonly code: WordCodecErrorCode;
  constructor(code: WordCodecErrorCode, message: string) {
    super(code, message);
  }
}

/** What a memdesc word says: a type tag and either a descriptor address or inline fields. */
export type DecodedWord =
  | {
      readonly tag: number;
      readonly kind: string | undefined;
      readonly storage: "pointer";
      readonly address: bigint;
    }
  | {
      readonly tag: number;
      readonly kind: string | undefined;
      readonly storage: "inline";
      readonly fields: Readonly<Record<string, bigint>>;
    };

/** A word to encode, by kind or tag. */
export type WordValue =
  | { readonly kind: string; readonly address: bigint | number }
  | { readonly kind: string; readonly fields: Readonly<Record<string, bigint | number>> }
  | { readonly tag: number; readonly address: bigint | number }
  | { readonly tag: number; readonly fields: Readonly<Record<string, bigint | number>> };

interface TagInfo {
  readonly kind: string | undefined;
  readonly storage: "pointer" | "inline";
  readonly payload: readonly PayloadField[];
}

const TWO32 = 4294967296;

/**
 * Encodes and decodes memdesc words for one design: the low `typeBits` are the type; a pointer type's other
 * bits are a descriptor address aligned to the design's descriptor alignment, an inline type's are fields.
 * `encode`/`decode` take and give BigInts for clarity; the `read*`/`write*` methods work on two u32 halves in
 * a `Uint32Array` (one half per page for 32-bit words) and are what hot loops use.
 */
export class WordCodec {
  readonly design: Design;
  private readonly tags: ReadonlyMap<number, TagInfo>;
  private readonly kinds: ReadonlyMap<string, number>;
  private readonly typeMask: number;
  private readonly alignMask: number;

  /**
   * `assignments` maps kinds to tags (a registry's); without it, the design's own type table is used.
   * `payloads` gives the inline fields of kinds the design's table does not describe.
   */
  constructor(
    design: Design,
    assignments?: ReadonlyMap<
      string,
      { tag: number; storage: "pointer" | "inline"; payload?: readonly PayloadField[] }
    >,
  ) {
    this.design = design;
    this.typeMask = 2 ** design.typeBits - 1;
    this.alignMask = design.descriptorAlign - 1;
    const tags = new Map<number, TagInfo>();
    const kinds = new Map<string, number>();
    for (const e of design.typeTable) {
      tags.set(e.tag, { kind: e.kind, storage: e.storage, payload: e.payload ?? [] });
      if (e.kind && !kinds.has(e.kind)) kinds.set(e.kind, e.tag);
    }
    if (assignments) {
      for (const [kind, a] of assignments) {
        const row = tags.get(a.tag);
        // The design is the authority on its own words; a plugin's fields serve where the design says nothing.
        const payload = (row?.kind === kind ? row.payload : undefined) ?? a.payload ?? [];
        tags.set(a.tag, { kind, storage: a.storage, payload });
        kinds.set(kind, a.tag);
      }
    }
    this.tags = tags;
    this.kinds = kinds;
  }

  /** The tag of a kind. */
  tagOf(kind: string): number {
    this.requireWord();
    const tag = this.kinds.get(kind);
    if (tag === undefined)
      throw new WordCodecError("UNKNOWN_KIND", `design ${this.design.name} has no type for kind "${kind}"`);
    return tag;
  }

  /** The kind a tag stands for, if any. */
  kindOf(tag: number): string | undefined {
    return this.tags.get(tag)?.kind;
  }

  encode(value: WordValue): bigint {
    this.requireWord();
    const tag = "kind" in value ? this.tagOf(value.kind) : this.checkTag(value.tag);
    const info = this.tags.get(tag);
    const what = info?.kind ?? `tag ${tag}`;
    if ("address" in value) {
      if (info?.storage === "inline")
        throw new WordCodecError(
          "NOT_POINTER",
          `${what} is stored inline in ${this.design.name}, not as a pointer`,
        );
      const address = BigInt(value.address);
      const limit = 1n << BigInt(this.design.wordBits);
      if (address < 0n || address >= limit)
        throw new WordCodecError(
          "ADDRESS_RANGE",
          `descriptor address 0x${address.toString(16)} does not fit in a ${this.design.wordBits}-bit word`,
        );
      if (address & BigInt(this.alignMask))
        throw new WordCodecError(
          "MISALIGNED",
          `descriptor address 0x${address.toString(16)} is not ${this.design.descriptorAlign}-byte aligned, so it would overwrite the type bits`,
        );
      return address | BigInt(tag);
    }
    if (info && info.storage !== "inline")
      throw new WordCodecError(
        "NOT_INLINE",
        `${what} is a pointer type in ${this.design.name}; give an address`,
      );
    const words = this.packFields(tag, what, info?.payload ?? [], value.fields);
    const later = words.findIndex((w, i) => i > 0 && w !== 0n);
    if (later > 0)
      throw new WordCodecError(
        "UNKNOWN_FIELD",
        `${what} has fields in word ${later} of its ${this.design.entryBytes}-byte entry; encode the whole entry with encodeEntry()`,
      );
    return words[0]!;
  }

  /**
   * Encodes a whole page entry: one bigint per word of the entry (BuddyAllocator Option 1's 16-byte entry keeps
   * `prev` and the order in word 1). The memdesc word is `[0]`.
   */
  encodeEntry(value: WordValue): bigint[] {
    this.requireWord();
    if ("address" in value) return [this.encode(value), ...this.emptyWords()];
    const tag = "kind" in value ? this.tagOf(value.kind) : this.checkTag(value.tag);
    const info = this.tags.get(tag);
    if (info && info.storage !== "inline")
      throw new WordCodecError(
        "NOT_INLINE",
        `${info.kind ?? `tag ${tag}`} is a pointer type in ${this.design.name}; give an address`,
      );
    return this.packFields(tag, info?.kind ?? `tag ${tag}`, info?.payload ?? [], value.fields);
  }

  /** Decodes a whole page entry (one bigint per word): inline fields may sit in any of its words. */
  decodeEntry(words: readonly bigint[]): DecodedWord {
    const first = this.decode(words[0] ?? 0n);
    if (first.storage !== "inline") return first;
    const info = this.tags.get(first.tag);
    const fields: Record<string, bigint> = {};
    for (const f of info?.payload ?? []) {
      const w = words[f.word ?? 0] ?? 0n;
      fields[f.name] = (w >> BigInt(f.bit)) & ((1n << BigInt(f.width)) - 1n);
    }
    return { ...first, fields };
  }

  /** The words of an entry past the memdesc word, all zero. */
  private emptyWords(): bigint[] {
    const n = Math.max(1, Math.floor((this.design.entryBytes * 8) / this.design.wordBits));
    return Array.from({ length: n - 1 }, () => 0n);
  }

  private packFields(
    tag: number,
    what: string,
    payload: readonly PayloadField[],
    values: Readonly<Record<string, bigint | number>>,
  ): bigint[] {
    const words = [BigInt(tag), ...this.emptyWords()];
    for (const [name, raw] of Object.entries(values)) {
      const field = payload.find((f) => f.name === name);
      if (!field)
        throw new WordCodecError(
          "UNKNOWN_FIELD",
          `${what} has no inline field "${name}" in ${this.design.name}${payload.length ? ` (fields: ${payload.map((f) => f.name).join(", ")})` : ""}`,
        );
      const v = BigInt(raw);
      const max = (1n << BigInt(field.width)) - 1n;
      if (v < 0n || v > max)
        throw new WordCodecError(
          "PAYLOAD_OVERFLOW",
          `${what}.${name} = ${v} does not fit in ${field.width} bits (0..${max})`,
        );
      const i = field.word ?? 0;
      words[i] = words[i]! | (v << BigInt(field.bit));
    }
    return words;
  }

  decode(word: bigint): DecodedWord {
    this.requireWord();
    const limit = 1n << BigInt(this.design.wordBits);
    if (word < 0n || word >= limit)
      throw new WordCodecError(
        "ADDRESS_RANGE",
        `0x${word.toString(16)} is not a ${this.design.wordBits}-bit word`,
      );
    const tag = this.readTag(Number(word & 0xffffffffn));
    const info = this.tags.get(tag);
    if (info?.storage === "inline") {
      // The memdesc word's own fields; those in later words of a wider entry need `decodeEntry()`.
      const fields: Record<string, bigint> = {};
      for (const f of info.payload)
        if ((f.word ?? 0) === 0) fields[f.name] = (word >> BigInt(f.bit)) & ((1n << BigInt(f.width)) - 1n);
      return { tag, kind: info.kind, storage: "inline", fields };
    }
    return { tag, kind: info?.kind, storage: "pointer", address: word & ~BigInt(this.typeMask) };
  }

  /** The tag of a word from its low 32 bits, honouring buddy aliasing in the 32-byte design. */
  readTag(lo: number): number {
    if (this.design.tagDecoding === "buddy-low2" && (lo & 3) === 0) return 0;
    return lo & this.typeMask;
  }

  /** Writes a pointer word for page `index` (two u32 halves per page for 64-bit words). */
  writePointer(words: Uint32Array, index: number, tag: number, address: number): void {
    if (address % this.design.descriptorAlign !== 0 || address < 0)
      throw new WordCodecError(
        "MISALIGNED",
        `descriptor address ${address} is not ${this.design.descriptorAlign}-byte aligned`,
      );
    if (this.design.wordBits === 32) {
      if (address >= TWO32)
        throw new WordCodecError("ADDRESS_RANGE", `descriptor address ${address} does not fit in 32 bits`);
      words[index] = (address | tag) >>> 0;
      return;
    }
    const lo = address >>> 0;
    words[2 * index] = (lo | tag) >>> 0;
    words[2 * index + 1] = (address - lo) / TWO32;
  }

  /** Reads the descriptor address of page `index` (exact below 2^53). */
  readAddress(words: Uint32Array, index: number): number {
    if (this.design.wordBits === 32) return (words[index]! & ~this.typeMask) >>> 0;
    return ((words[2 * index]! & ~this.typeMask) >>> 0) + words[2 * index + 1]! * TWO32;
  }

  /** Reads the tag of page `index`. */
  readTagAt(words: Uint32Array, index: number): number {
    return this.readTag(this.design.wordBits === 32 ? words[index]! : words[2 * index]!);
  }

  /** An inline word as two u32 halves, computed once so hot loops can store it with two writes. */
  packInline(value: Extract<WordValue, { fields: unknown }>): readonly [lo: number, hi: number] {
    const word = this.encode(value);
    return [Number(word & 0xffffffffn), Number(word >> 32n)];
  }

  private checkTag(tag: number): number {
    if (!Number.isInteger(tag) || tag < 0 || tag > this.typeMask)
      throw new WordCodecError(
        "TAG_RANGE",
        `tag ${tag} is outside 0..${this.typeMask} (${this.design.typeBits} type bits)`,
      );
    return tag;
  }

  private requireWord(): void {
    if (this.design.typeBits === 0)
      throw new WordCodecError(
        "NO_WORD",
        `design ${this.design.name} has no memdesc word: descriptors overlay struct page`,
      );
  }
}

export function createWordCodec(design: Design): WordCodec {
  return new WordCodec(design);
}
