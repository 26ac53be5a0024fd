import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { thousands, thousandsFixed } from "./format.js";

// The oracle is ICU, through `toLocaleString`: the functions must print what it prints, byte for byte.
const icu = (v: number, digits: number) =>
  v.toLocaleString("en-US", { minimumFractionDigits: digits, maximumFractionDigits: digits });

/** Numbers as reports hold them: byte counts over MiB, page counts, ties at every decimal, and anything at all. */
const numbers = fc.oneof(
  fc.integer({ min: 0, max: 2 ** 40 }).map((b) => b / 2 ** 20),
  fc.integer({ min: -(10 ** 9), max: 10 ** 9 }).map((k) => k / 1000 + 0.0005),
  fc.integer({ min: -(10 ** 7), max: 10 ** 7 }).map((k) => (2 * k + 1) / 200),
  fc.double({ noNaN: false }),
  fc.constantFrom(0, -0, 1.005, 2.675, 99999.995, 0.995, -0.004, 2 ** 53, 1e21, -1e-7),
);

describe("thousands", () => {
  it("prints whole numbers as toLocaleString('en-US') does", () => {
    fc.assert(
      fc.property(fc.oneof(fc.maxSafeInteger(), fc.integer(), fc.nat(999_999)), (v) => {
        expect(thousands(v)).toBe(v.toLocaleString("en-US"));
      }),
    );
  });

  it("passes fractions, huge numbers and non-numbers to it", () => {
    for (const v of [0.5, 1234.5678, 2 ** 60, Number.NaN, Number.POSITIVE_INFINITY, -0])
      expect(thousands(v)).toBe(v.toLocaleString("en-US"));
  });
});

describe("thousandsFixed", () => {
  it("prints any number with 0–4 decimals as ICU does", () => {
    fc.assert(
      fc.property(numbers, fc.integer({ min: 0, max: 4 }), (v, digits) => {
        expect(thousandsFixed(v, digits)).toBe(icu(v, digits));
      }),
      { numRuns: 5000 },
    );
  });

  it("rounds the shortest decimal, half away from zero, and keeps the sign of a negative zero", () => {
    expect(thousandsFixed(1.005, 2)).toBe("1.01");
    expect(thousandsFixed(99999.995, 2)).toBe("100,000.00");
    expect(thousandsFixed(-0.125, 2)).toBe("-0.13");
    expect(thousandsFixed(-0.004, 2)).toBe("-0.00");
    expect(thousandsFixed(1234567.891, 0)).toBe("1,234,568");
  });
});
