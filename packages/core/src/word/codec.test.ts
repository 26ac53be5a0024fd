import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { memdesc8, miscSubtypes, path32 } from "../design/builtin.js";
import { defineDesign } from "../design/schema.js";
import { WordCodec, WordCodecError } from "./codec.js";

const codec = new WordCodec(memdesc8);
const address = fc.bigInt({ min: 0n, max: (1n << 60n) - 1n }).map((a) => a << 4n);

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
      fc.property(
        fc.integer({ min: 0, max: 127 }),
        fc.integer({ min: 0, max: 1 }),
        fc.integer({ min: 0, max: 63 }),
        fc.integer({ min: 0, max: 1023 }),
        (subtype, mappable, order, node) => {
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
        },
      ),
    );
    expect(codec.encode({ kind: "misc", fields: { subtype: miscSubtypes.zero, order: 9 } })).toBe(0x9010n);
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
    for (const lo of [0x1000, 0x1004, 0x1008, 0x100c]) expect(p.decode(BigInt(lo)).kind).toBe("buddy");
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
