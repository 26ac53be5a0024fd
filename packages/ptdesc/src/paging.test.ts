import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { pageTablePages, tableSpanShift } from "./paging.js";

const GiB = 2 ** 30;
const MiB = 2 ** 20;

describe("pageTablePages: x86-64 page tables needed to map a range", () => {
  it("spans: a PTE table maps 2 MiB, a PMD table 1 GiB, a PUD table 512 GiB, a P4D table 256 TiB", () => {
    expect(["pte", "pmd", "pud", "p4d", "pgd"].map((l) => 2 ** tableSpanShift(l as "pte"))).toEqual([
      2 * MiB,
      GiB,
      512 * GiB,
      2 ** 48,
      2 ** 57,
    ]);
  });

  it("1 GiB of 4 KiB pages: 512 PTE tables, one PMD, PUD and PGD (4-level)", () => {
    expect(pageTablePages(GiB)).toEqual({
      pte: 512,
      pmd: 1,
      pud: 1,
      p4d: 0,
      pgd: 1,
      total: 515,
      bytes: 515 * 4096,
    });
  });

  it("5-level paging adds one P4D table; PTI doubles the PGD", () => {
    expect(pageTablePages(GiB, { levels: 5 })).toMatchObject({ p4d: 1, pgd: 1, total: 516 });
    expect(pageTablePages(GiB, { pti: true })).toMatchObject({ pgd: 2, total: 516 });
  });

  it("counts tables a misaligned range straddles", () => {
    // 8 KiB across the 2 MiB boundary needs two PTE tables; across the 1 GiB boundary, two PMD tables too.
    expect(pageTablePages(8192, { start: 2 * MiB - 4096 })).toMatchObject({ pte: 2, pmd: 1, total: 5 });
    expect(pageTablePages(8192, { start: GiB - 4096 })).toMatchObject({ pte: 2, pmd: 2, pud: 1, total: 6 });
    expect(pageTablePages(8192, { start: 2n ** 39n - 4096n })).toMatchObject({ pte: 2, pmd: 2, pud: 2 });
  });

  it("needs no PTE tables for 2 MiB mappings and no PMD tables for 1 GiB ones", () => {
    expect(pageTablePages(GiB, { leaf: "2m" })).toMatchObject({ pte: 0, pmd: 1, pud: 1, total: 3 });
    expect(pageTablePages(4 * GiB, { leaf: "1g" })).toMatchObject({ pte: 0, pmd: 0, pud: 1, total: 2 });
  });

  it("maps a whole 128 TiB user half with 4-level paging", () => {
    const r = pageTablePages(2 ** 47);
    expect(r).toMatchObject({ pte: 2 ** 26, pmd: 2 ** 17, pud: 256, pgd: 1 });
  });

  it("needs nothing for an empty range", () => {
    expect(pageTablePages(0).total).toBe(0);
  });

  it("rejects ranges beyond the address space, misaligned huge mappings and bad options", () => {
    expect(() => pageTablePages(2 ** 48 + 4096)).toThrow(
      "range ends at 0x1000000001000, beyond the 48-bit address space of 4-level paging",
    );
    expect(() => pageTablePages(2 ** 48 + 4096, { levels: 5 })).not.toThrow();
    expect(() => pageTablePages(MiB, { leaf: "2m" })).toThrow(
      "a range mapped with 2m leaves must start and end on a 2m boundary (start 0x0, bytes 1048576)",
    );
    expect(() => pageTablePages(-1)).toThrow("bytes must be a whole number ≥ 0, got -1");
    expect(() => pageTablePages(1, { levels: 3 as 4 })).toThrow(
      "levels must be 4 or 5 (x86-64 paging), got 3",
    );
  });

  const range = fc.record({
    start: fc.bigInt({ min: 0n, max: 2n ** 46n }).map((v) => v & ~4095n),
    pages: fc.bigInt({ min: 0n, max: 2n ** 22n }),
  });

  it("per level, equals the number of aligned spans the range touches (property)", () => {
    fc.assert(
      fc.property(range, ({ start, pages }) => {
        const bytes = pages * 4096n;
        const r = pageTablePages(bytes, { start });
        const touched = (shift: number) => {
          if (bytes === 0n) return 0;
          let n = 0;
          for (let a = start >> BigInt(shift); a <= (start + bytes - 1n) >> BigInt(shift); a++) n++;
          return n;
        };
        return r.pte === touched(21) && r.pmd === touched(30) && r.pud === touched(39);
      }),
    );
  });

  it("is sub-additive: mapping two adjacent ranges separately never needs fewer tables (property)", () => {
    fc.assert(
      fc.property(range, fc.bigInt({ min: 0n, max: 2n ** 22n }), ({ start, pages }, more) => {
        const a = pageTablePages(pages * 4096n, { start });
        const b = pageTablePages(more * 4096n, { start: start + pages * 4096n });
        const whole = pageTablePages((pages + more) * 4096n, { start });
        return whole.total <= a.total + b.total && whole.pte >= Math.max(a.pte, b.pte);
      }),
    );
  });

  it("for an aligned start, PTE tables are ceil(bytes / 2 MiB) (property)", () => {
    fc.assert(
      fc.property(fc.nat({ max: 2 ** 20 }), fc.nat({ max: 2 ** 16 }), (pages, table) => {
        const r = pageTablePages(pages * 4096, { start: table * 2 * MiB });
        return r.pte === Math.ceil((pages * 4096) / (2 * MiB));
      }),
    );
  });
});
