import fc from "fast-check";
import { beforeEach, describe, expect, it } from "vitest";
import { buddy16, memdesc8, miscSubtypes, path32, today } from "../design/builtin.js";
import { defineDesign } from "../design/schema.js";
import { createWordCodec, WordCodec, WordCodecError } from "./codec.js";

// Made for each test, not at import: a codec that throws while being built must fail tests, not the file's
// loading or a beforeAll (which skip the tests, and a mutation run does not count skips as failures).
let codec: WordCodec;
beforeEach(() => {
  codec = new WordCodec(memdesc8);
});
const address = fc.bigInt({ min: 0n, max: (1n << 60n) - 1n }).map((a) => a << 4n);
/** Misc's fields, each over its whole range: subtype (7 bits), mappable, order (6 bits) and node. */
const miscFields = [
  fc.integer({ min: 0, max: 127 }),
  fc.integer({ min: 0, max: 1 }),
  fc.integer({ min: 0, max: 63 }),
  fc.integer({ min: 0, max: 1023 }),
] as const;

const codeOf = (f: () => unknown) => {
  try {
    f();
  } catch (e) {
    expect(e).toBeInstanceOf(WordCodecError);
    return (e as WordCodecError).code;
  }
  throw new Error("expected a WordCodecError");
};

describe("memdesc word codec", () => {
  it("round-trips every pointer type and 16-byte-aligned address", () => {
    const pointerTags = memdesc8.typeTable.filter((e) => e.storage === "pointer").map((e) => e.tag);
    fc.assert(
      fc.property(fc.constantFrom(...pointerTags), address, (tag, addr) => {
        const word = codec.encode({ tag, address: addr });
        expect(word & 15n).toBe(BigInt(tag));
        expect(codec.decode(word)).toEqual({
          tag,
          kind: codec.kindOf(tag),
          storage: "pointer",
          address: addr,
        });
      }),
    );
  });

  it("round-trips Misc words: subtype bits 4-10, mappable bit 11, order bits 12-17", () => {
    fc.assert(
      fc.property(...miscFields, (subtype, mappable, order, node) => {
        const word = codec.encode({ kind: "misc", fields: { subtype, mappable, order, node } });
        expect(Number((word >> 4n) & 127n)).toBe(subtype);
        expect(Number((word >> 11n) & 1n)).toBe(mappable);
        expect(Number((word >> 12n) & 63n)).toBe(order);
        const d = codec.decode(word);
        expect(d).toMatchObject({ tag: 0, kind: "misc", storage: "inline" });
        expect(d.storage === "inline" && d.fields).toEqual({
          subtype: BigInt(subtype),
          mappable: BigInt(mappable),
          order: BigInt(order),
          zone: 0n,
          node: BigInt(node),
        });
      }),
    );
    expect(codec.encode({ kind: "misc", fields: { subtype: miscSubtypes.zero, order: 9 } })).toBe(0x9010n);
  });

  it("packs an inline word as its two u32 halves: Misc's bits in the low half, and the word decodes back", () => {
    fc.assert(
      fc.property(...miscFields, (subtype, mappable, order, node) => {
        const [lo, hi] = codec.packInline({ kind: "misc", fields: { subtype, mappable, order, node } });
        expect([lo, hi].every((h) => Number.isInteger(h) && h >= 0 && h < 2 ** 32)).toBe(true);
        expect((lo >>> 4) & 127).toBe(subtype);
        expect((lo >>> 11) & 1).toBe(mappable);
        expect((lo >>> 12) & 63).toBe(order);
        const d = codec.decode(BigInt(lo) | (BigInt(hi) << 32n));
        expect(d.storage === "inline" && d.fields).toMatchObject({ node: BigInt(node) });
      }),
    );
  });

  it("agrees between the BigInt API and the typed-array hot path", () => {
    fc.assert(
      fc.property(fc.constantFrom(2, 3, 5, 7), fc.integer({ min: 0, max: 2 ** 49 - 1 }), (tag, a) => {
        const addr = a * 16;
        const words = new Uint32Array(4);
        codec.writePointer(words, 1, tag, addr);
        const word = (BigInt(words[3]!) << 32n) | BigInt(words[2]!);
        expect(word).toBe(codec.encode({ tag, address: addr }));
        expect(codec.readAddress(words, 1)).toBe(addr);
        expect(codec.readTagAt(words, 1)).toBe(tag);
      }),
    );
  });

  it("decodes the 32-byte design's buddy aliases: low two bits 00 is Buddy", () => {
    const p = new WordCodec(path32);
    for (const lo of [0x1000, 0x1004, 0x1008, 0x100c]) {
      expect(p.decode(BigInt(lo))).toMatchObject({ tag: 0, kind: "buddy" });
      expect(p.readTag(lo)).toBe(0);
    }
    expect(p.decode(0x1002n)).toEqual({ tag: 2, kind: "folio", storage: "pointer", address: 0x1000n });
    // A buddy word's low two bits stay 00 whatever its fields, so it always reads as Buddy.
    const word = p.encode({ kind: "buddy", fields: { order: 9, slot: 7 } });
    expect(word & 3n).toBe(0n);
    expect(p.decode(word)).toMatchObject({ kind: "buddy", fields: { order: 9n, slot: 7n } });
  });

  it("works with 32-bit words and their 28-bit payload", () => {
    const d32 = defineDesign({
      name: "memdesc-4",
      title: "4-byte word",
      entryBytes: 4,
      wordBits: 32,
      wordBitsReason: "a test of the codec's 32-bit path",
      typeBits: 4,
      typeTable: [
        {
          tag: 0,
          kind: "misc",
          meaning: "Misc",
          storage: "inline",
          payload: [{ name: "rest", bit: 4, width: 28 }],
        },
        { tag: 2, kind: "folio", meaning: "File", storage: "pointer" },
      ],
    });
    const c32 = new WordCodec(d32);
    expect(c32.encode({ kind: "misc", fields: { rest: 2 ** 28 - 1 } })).toBe(0xfffffff0n);
    expect(codeOf(() => c32.encode({ kind: "misc", fields: { rest: 2 ** 28 } }))).toBe("PAYLOAD_OVERFLOW");
    expect(codeOf(() => c32.encode({ kind: "folio", address: 2n ** 32n }))).toBe("ADDRESS_RANGE");
    const words = new Uint32Array(2);
    c32.writePointer(words, 1, 2, 0xfffffff0);
    expect([words[1], c32.readAddress(words, 1), c32.readTagAt(words, 1)]).toEqual([
      0xfffffff2, 0xfffffff0, 2,
    ]);
  });

  it("gives typed errors for bad tags, misaligned addresses and payload overflow", () => {
    expect(codeOf(() => codec.encode({ tag: 16, address: 0 }))).toBe("TAG_RANGE");
    expect(codeOf(() => codec.encode({ tag: -1, address: 0 }))).toBe("TAG_RANGE");
    expect(codeOf(() => codec.encode({ kind: "folio", address: 0x1008 }))).toBe("MISALIGNED");
    expect(codeOf(() => codec.writePointer(new Uint32Array(2), 0, 2, 0x1008))).toBe("MISALIGNED");
    expect(codeOf(() => codec.encode({ kind: "misc", fields: { order: 64 } }))).toBe("PAYLOAD_OVERFLOW");
    expect(codeOf(() => codec.encode({ kind: "misc", fields: { colour: 1 } }))).toBe("UNKNOWN_FIELD");
    expect(codeOf(() => codec.encode({ kind: "misc", address: 16 }))).toBe("NOT_POINTER");
    expect(codeOf(() => codec.encode({ kind: "folio", fields: {} }))).toBe("NOT_INLINE");
    expect(codeOf(() => codec.encode({ kind: "nothing", address: 16 }))).toBe("UNKNOWN_KIND");
    expect(codeOf(() => codec.encode({ kind: "folio", address: 1n << 64n }))).toBe("ADDRESS_RANGE");
    expect(() => codec.encode({ kind: "folio", address: 0x1008 })).toThrow(
      "descriptor address 0x1008 is not 16-byte aligned, so it would overwrite the type bits",
    );
  });
});

/** The code and message of the WordCodecError `f` throws. */
const errorOf = (f: () => unknown) => {
  try {
    f();
  } catch (e) {
    expect(e).toBeInstanceOf(WordCodecError);
    return { code: (e as WordCodecError).code, message: (e as WordCodecError).message };
  }
  throw new Error("expected a WordCodecError");
};

describe("memdesc word codec: edges and messages", () => {
  it("takes addresses up to the last aligned one below 2^64, and words up to 2^64 - 1", () => {
    const top = (1n << 64n) - 16n;
    expect(codec.encode({ kind: "folio", address: top })).toBe(top | 2n);
    expect(errorOf(() => codec.encode({ kind: "folio", address: 1n << 64n }))).toEqual({
      code: "ADDRESS_RANGE",
      message: "descriptor address 0x10000000000000000 does not fit in a 64-bit word",
    });
    expect(errorOf(() => codec.encode({ kind: "folio", address: -16n })).code).toBe("ADDRESS_RANGE");
    expect(codec.decode((1n << 64n) - 1n).tag).toBe(15);
    expect(errorOf(() => codec.decode(1n << 64n))).toEqual({
      code: "ADDRESS_RANGE",
      message: "0x10000000000000000 is not a 64-bit word",
    });
    expect(errorOf(() => codec.decode(-1n)).code).toBe("ADDRESS_RANGE");
  });

  it("tags 0 to 15 are in range, others are not, each error naming the range", () => {
    expect(codec.encode({ tag: 0, fields: {} })).toBe(0n);
    expect(codec.encode({ tag: 15, address: 16 })).toBe(31n);
    expect(errorOf(() => codec.encode({ tag: 16, address: 0 }))).toEqual({
      code: "TAG_RANGE",
      message: "tag 16 is outside 0..15 (4 type bits)",
    });
    expect(errorOf(() => codec.encode({ tag: 1.5, address: 0 })).code).toBe("TAG_RANGE");
  });

  it("names the kind, design and fields in its messages", () => {
    expect(errorOf(() => codec.encode({ kind: "misc", address: 16 })).message).toBe(
      "misc is stored inline in memdesc-8, not as a pointer",
    );
    expect(errorOf(() => codec.encode({ kind: "folio", fields: {} })).message).toBe(
      "folio is a pointer type in memdesc-8; give an address",
    );
    expect(errorOf(() => codec.encodeEntry({ kind: "folio", fields: {} }))).toEqual({
      code: "NOT_INLINE",
      message: "folio is a pointer type in memdesc-8; give an address",
    });
    expect(errorOf(() => codec.tagOf("nothing"))).toEqual({
      code: "UNKNOWN_KIND",
      message: 'design memdesc-8 has no type for kind "nothing"',
    });
    expect(errorOf(() => codec.encode({ kind: "misc", fields: { colour: 1 } })).message).toBe(
      'misc has no inline field "colour" in memdesc-8 (fields: subtype, mappable, order, zone, node)',
    );
    expect(errorOf(() => codec.encode({ kind: "misc", fields: { order: -1 } }))).toEqual({
      code: "PAYLOAD_OVERFLOW",
      message: "misc.order = -1 does not fit in 6 bits (0..63)",
    });
    expect(errorOf(() => codec.writePointer(new Uint32Array(2), 0, 2, -16))).toEqual({
      code: "MISALIGNED",
      message: "descriptor address -16 is not 16-byte aligned",
    });
  });

  it("a design without a memdesc word has no codec to speak of", () => {
    const none = new WordCodec(today);
    for (const f of [
      () => none.encode({ tag: 0, fields: {} }),
      () => none.encodeEntry({ tag: 0, fields: {} }),
      () => none.decode(0n),
      () => none.tagOf("folio"),
    ])
      expect(errorOf(f)).toEqual({
        code: "NO_WORD",
        message: "design today has no memdesc word: descriptors overlay struct page",
      });
  });

  it("16-byte entries (buddy Option 1): the order and prev in word 1, encoded and decoded whole", () => {
    const c = new WordCodec(buddy16);
    const entry = c.encodeEntry({ kind: "buddy", fields: { next: 0x123, order: 9, prev: 0x456 } });
    expect(entry).toEqual([(0x123n << 4n) | 1n, (0x456n << 4n) | 9n]);
    expect(c.decodeEntry(entry)).toEqual({
      tag: 1,
      kind: "buddy",
      storage: "inline",
      fields: { next: 0x123n, order: 9n, prev: 0x456n },
    });
    // decode() sees only word 0's fields; encode() refuses fields that land in word 1.
    expect(c.decode(entry[0]!)).toEqual({
      tag: 1,
      kind: "buddy",
      storage: "inline",
      fields: { next: 0x123n },
    });
    expect(errorOf(() => c.encode({ kind: "buddy", fields: { order: 9 } }))).toEqual({
      code: "UNKNOWN_FIELD",
      message: "buddy has fields in word 1 of its 16-byte entry; encode the whole entry with encodeEntry()",
    });
    expect(c.encode({ kind: "buddy", fields: { next: 1 } })).toBe(0x11n);
    // A pointer entry: the word, then a zero word; a pointer word decodes as itself.
    expect(c.encodeEntry({ kind: "folio", address: 0x1000 })).toEqual([0x1002n, 0n]);
    expect(c.decodeEntry([0x1002n, 0x55n])).toEqual({
      tag: 2,
      kind: "folio",
      storage: "pointer",
      address: 0x1000n,
    });
    expect(c.decodeEntry([])).toEqual(c.decode(0n));
    // An 8-byte entry has one word.
    expect(codec.encodeEntry({ kind: "folio", address: 0x1000 })).toEqual([0x1002n]);
    expect(codec.encodeEntry({ tag: 3, address: 0x20 })).toEqual([0x23n]);
  });

  it("tags of unnamed types: encoded by number, named by number in messages", () => {
    const spare = memdesc8.typeTable.find((e) => e.kind === undefined);
    if (!spare) return expect(memdesc8.typeTable.every((e) => e.kind !== undefined)).toBe(true);
    expect(codec.kindOf(spare.tag)).toBeUndefined();
    if (spare.storage === "pointer")
      expect(errorOf(() => codec.encode({ tag: spare.tag, fields: {} })).message).toBe(
        `tag ${spare.tag} is a pointer type in memdesc-8; give an address`,
      );
  });

  it("the typed-array hot path at pages 0 and 3, 64-bit and 32-bit words", () => {
    const words = new Uint32Array(8);
    codec.writePointer(words, 0, 2, 0x12_3456_7890);
    codec.writePointer(words, 3, 5, 2 ** 40 + 16);
    expect([...words]).toEqual([0x3456_7892, 0x12, 0, 0, 0, 0, 0x15, 0x100]);
    expect([codec.readAddress(words, 0), codec.readTagAt(words, 0)]).toEqual([0x12_3456_7890, 2]);
    expect([codec.readAddress(words, 3), codec.readTagAt(words, 3)]).toEqual([2 ** 40 + 16, 5]);
    const p = new WordCodec(
      defineDesign({
        name: "memdesc-4",
        title: "4-byte word",
        entryBytes: 4,
        wordBits: 32,
        wordBitsReason: "a test of the codec's 32-bit path",
        typeBits: 4,
        typeTable: [{ tag: 2, kind: "folio", meaning: "File", storage: "pointer" }],
      }),
    );
    const w32 = new Uint32Array(4);
    p.writePointer(w32, 3, 2, 0x1000);
    expect([...w32]).toEqual([0, 0, 0, 0x1002]);
    expect(errorOf(() => p.writePointer(w32, 0, 2, 2 ** 32))).toEqual({
      code: "ADDRESS_RANGE",
      message: "descriptor address 4294967296 does not fit in 32 bits",
    });
  });

  it("an inline type with no payload decodes to no fields, and takes none", () => {
    const d = defineDesign({
      name: "bare",
      title: "inline type without fields",
      entryBytes: 8,
      typeBits: 4,
      typeTable: [
        { tag: 0, kind: "misc", meaning: "Misc", storage: "inline" },
        { tag: 2, kind: "folio", meaning: "File", storage: "pointer" },
      ],
    });
    const c = new WordCodec(d);
    expect(c.decode(0xff0n)).toEqual({ tag: 0, kind: "misc", storage: "inline", fields: {} });
    expect(c.decodeEntry([0xff0n])).toEqual({ tag: 0, kind: "misc", storage: "inline", fields: {} });
    expect(errorOf(() => c.encode({ kind: "misc", fields: { x: 1 } })).message).toBe(
      'misc has no inline field "x" in bare',
    );
    expect(c.encode({ tag: 0, fields: {} })).toBe(0n);
  });

  it("tags no type has (14 and 15 in memdesc-8): no kind, no fields, named by number", () => {
    expect([codec.kindOf(14), codec.kindOf(15)]).toEqual([undefined, undefined]);
    const noField = 'tag 14 has no inline field "x" in memdesc-8';
    expect(errorOf(() => codec.encode({ tag: 14, fields: { x: 1 } }))).toEqual({
      code: "UNKNOWN_FIELD",
      message: noField,
    });
    expect(errorOf(() => codec.encodeEntry({ tag: 14, fields: { x: 1 } }))).toEqual({
      code: "UNKNOWN_FIELD",
      message: noField,
    });
    expect(codec.encodeEntry({ tag: 14, fields: {} })).toEqual([14n]);
    expect(codec.decode(0x1en)).toEqual({ tag: 14, kind: undefined, storage: "pointer", address: 0x10n });
  });

  it("a pointer type with no kind is named by its tag", () => {
    const d = defineDesign({
      name: "anonymous-pointer",
      title: "a pointer type without a kind",
      entryBytes: 8,
      typeBits: 4,
      typeTable: [{ tag: 2, meaning: "something", storage: "pointer" }],
    });
    const c = new WordCodec(d);
    const message = "tag 2 is a pointer type in anonymous-pointer; give an address";
    expect(errorOf(() => c.encode({ tag: 2, fields: {} })).message).toBe(message);
    expect(errorOf(() => c.encodeEntry({ tag: 2, fields: {} })).message).toBe(message);
  });

  it("a descriptor at address 0 and createWordCodec()", () => {
    const words = new Uint32Array(2);
    codec.writePointer(words, 0, 2, 0);
    expect([...words]).toEqual([2, 0]);
    expect(createWordCodec(memdesc8).encode({ kind: "folio", address: 16 })).toBe(18n);
    expect(new WordCodec(memdesc8).tagOf("slab")).toBe(5);
  });

  it("a registry's assignments: kinds to tags, the design's payload first, the plugin's where it has none", () => {
    const own = [{ name: "x", bit: 4, width: 8 }];
    const c = new WordCodec(
      memdesc8,
      new Map([
        ["misc", { tag: 0, storage: "inline" as const, payload: own }],
        ["widget", { tag: 14, storage: "inline" as const, payload: own }],
        ["gadget", { tag: 13, storage: "inline" as const }],
      ]),
    );
    expect(c.tagOf("widget")).toBe(14);
    expect(c.kindOf(14)).toBe("widget");
    expect(c.encode({ kind: "widget", fields: { x: 255 } })).toBe(0xffen);
    // misc keeps the design's fields (order at bit 12), not the plugin's.
    expect(c.encode({ kind: "misc", fields: { order: 1 } })).toBe(0x1000n);
    expect(errorOf(() => c.encode({ kind: "gadget", fields: { x: 1 } })).message).toBe(
      'gadget has no inline field "x" in memdesc-8',
    );
    expect(c.decode(0xffen)).toEqual({ tag: 14, kind: "widget", storage: "inline", fields: { x: 255n } });
  });
});
