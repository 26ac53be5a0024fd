import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { fixtureBtf } from "../test/fixture.js";
import { crossCheck } from "./cross-check.js";
import { BtfError } from "./errors.js";
import { Kind } from "./kinds.js";
import { readBtf } from "./reader.js";

const original = fixtureBtf();

/** Everything a consumer might do with a file: index, decode, convert, lay out, cross-check. */
function useEverything(bytes: Uint8Array): void {
  const btf = readBtf(bytes, { file: "mutated.btf" });
  for (let id = 1; id <= btf.lastId; id++) {
    btf.type(id);
    const k = btf.kind(id);
    if (k !== Kind.datasec && k !== Kind.declTag) btf.ctype(id);
    if (k === Kind.struct || k === Kind.union) btf.layout(id);
  }
  btf.findStruct("folio");
  crossCheck(btf);
}

/** Runs `fn`; anything thrown must be a BtfError. */
function onlyBtfErrors(bytes: Uint8Array): void {
  try {
    useEverything(bytes);
  } catch (e) {
    if (!(e instanceof BtfError)) throw e;
    expect(e.message).toMatch(/^mutated\.btf: /);
  }
}

const mutation = fc.oneof(
  // Overwrite a few bytes anywhere.
  fc
    .array(fc.record({ at: fc.nat(original.length - 1), byte: fc.integer({ min: 0, max: 255 }) }), {
      minLength: 1,
      maxLength: 8,
    })
    .map((edits) => (b: Uint8Array) => {
      for (const { at, byte } of edits) if (b.length) b[at % b.length] = byte;
      return b;
    }),
  // Overwrite an aligned 32-bit word with an extreme value: counts, offsets, sizes, type ids.
  fc
    .record({
      word: fc.nat(Math.floor(original.length / 4) - 1),
      value: fc.constantFrom(
        0,
        1,
        0xff,
        0xffff,
        0x10000,
        0x7fffffff,
        0x80000000,
        0xffffffff,
        0x04000000,
        0x84ffffff,
      ),
    })
    .map(({ word, value }) => (b: Uint8Array) => {
      if (b.length >= 4)
        new DataView(b.buffer, b.byteOffset).setUint32((word * 4) % (b.length - 3), value, true);
      return b;
    }),
  // Truncate.
  fc.nat(original.length - 1).map((len) => (b: Uint8Array) => b.slice(0, len)),
  // Insert bytes.
  fc
    .record({ at: fc.nat(original.length), bytes: fc.uint8Array({ minLength: 1, maxLength: 16 }) })
    .map(({ at, bytes }) => (b: Uint8Array) => {
      const where = at % (b.length + 1);
      const out = new Uint8Array(b.length + bytes.length);
      out.set(b.subarray(0, where));
      out.set(bytes, where);
      out.set(b.subarray(where), where + bytes.length);
      return out;
    }),
);

describe("fuzzing real BTF bytes", () => {
  it("the fixture itself reads cleanly", () => {
    expect(() => useEverything(original)).not.toThrow();
  });

  it("never throws anything but BtfError, never hangs, and never allocates without bound", () => {
    const heapBefore = process.memoryUsage().heapUsed;
    fc.assert(
      fc.property(fc.array(mutation, { minLength: 1, maxLength: 3 }), (mutations) => {
        let bytes: Uint8Array = original.slice();
        for (const m of mutations) bytes = m(bytes);
        onlyBtfErrors(bytes);
      }),
      { numRuns: 1500 },
    );
    // Counts and sizes are checked against the bytes before anything is allocated for them, so a
    // corrupt count never turns into a large allocation (a failed one would have thrown a RangeError).
    expect(process.memoryUsage().heapUsed - heapBefore).toBeLessThan(512 * 1024 * 1024);
  }, 120_000);

  it("targeted corruptions of counts give BtfErrors without allocating for them", () => {
    const view = (b: Uint8Array) => new DataView(b.buffer, b.byteOffset);
    // type_len and str_len claiming gigabytes.
    for (const at of [12, 20]) {
      const b = original.slice();
      view(b).setUint32(at, 0xfffffff0, true);
      expect(() => readBtf(b)).toThrow(BtfError);
    }
    // Every record's vlen set to the maximum.
    const btf = readBtf(original);
    for (let id = 1; id <= btf.lastId; id++) {
      const b = original.slice();
      const at = btf.recordOffset(id) + 4;
      view(b).setUint32(at, view(b).getUint32(at, true) | 0xffff, true);
      onlyBtfErrors(b);
    }
  });
});
