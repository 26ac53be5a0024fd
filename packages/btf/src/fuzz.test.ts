import { fuzzReader, mutatedBytes } from "@memdesc/testkit";
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

describe("fuzzing real BTF bytes", () => {
  it("the fixture itself reads cleanly", () => {
    expect(() => useEverything(original)).not.toThrow();
  });

  it("never throws anything but BtfError, never hangs, and never allocates without bound (seeded)", async () => {
    const { accepted, rejected } = await fuzzReader(mutatedBytes(original), useEverything, {
      expected: (e) => e instanceof BtfError && /^mutated\.btf: /.test(e.message),
      seed: 18,
      numRuns: 1500,
    });
    // Counts and sizes are checked against the bytes before anything is allocated for them, so a corrupt count
    // never turns into a large allocation (a failed one would be a RangeError, which fails the run).
    expect(rejected).toBeGreaterThan(0);
    expect(accepted).toBeGreaterThan(0);
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
