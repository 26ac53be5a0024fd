import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { searchBytes } from "./strings.js";

describe("searchBytes (the name search where there is no Buffer: in the explorer)", () => {
  it("finds what Node's Buffer.indexOf finds", () => {
    const byte = fc.constantFrom(0, 0x61, 0x62, 0x5f);
    fc.assert(
      fc.property(
        fc
          .uint8Array({ maxLength: 64 })
          .chain((raw) => fc.constant(raw.map((b) => [0, 0x61, 0x62, 0x5f][b % 4]!))),
        fc.array(byte, { minLength: 2, maxLength: 5 }),
        fc.nat(70),
        (hay, needleBytes, from) => {
          const needle = new Uint8Array(needleBytes);
          expect(searchBytes(hay, needle, from)).toBe(Buffer.from(hay).indexOf(needle, from));
        },
      ),
      { numRuns: 3000 },
    );
  });
});
