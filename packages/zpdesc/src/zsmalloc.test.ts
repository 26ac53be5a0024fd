import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  calculateZspageChainSize,
  classSizeOf,
  decodeZpdescPageType,
  firstObjOffsets,
  hugeClassSize,
  sizeClassIndex,
  zpdescPageType,
  zsMinAllocSize,
  zspageClass,
  zsSizeClassCount,
  zsSizeClasses,
} from "./zsmalloc.js";

const PAGE = 4096;

describe("zsmalloc size classes (x86-64, 4 KiB pages)", () => {
  it("has 255 classes of 32 + 16·k bytes up to a page", () => {
    expect(zsMinAllocSize()).toBe(32);
    expect(zsSizeClassCount()).toBe(255);
    expect([0, 1, 253, 254].map((i) => classSizeOf(i))).toEqual([32, 48, 4080, 4096]);
    expect(() => classSizeOf(255)).toThrow("size class index must be a whole number from 0 to 254, got 255");
  });

  it("maps an allocation size to the class that fits it (get_size_class_index)", () => {
    expect([0, 1, 32, 33, 48, 49, 4096, 5000].map((s) => sizeClassIndex(s))).toEqual([
      0, 0, 0, 1, 1, 2, 254, 254,
    ]);
  });

  it("chains the page count that wastes least, 1 for powers of two", () => {
    expect([32, 64, 4096].map((s) => calculateZspageChainSize(s))).toEqual([1, 1, 1]);
    expect(calculateZspageChainSize(48)).toBe(3); // 3 × 4096 = 256 × 48
    expect(calculateZspageChainSize(3264)).toBe(4);
    expect(calculateZspageChainSize(3264, 16)).toBe(4);
    expect(() => calculateZspageChainSize(48, 3)).toThrow(
      "CONFIG_ZSMALLOC_CHAIN_SIZE must be a whole number from 4 to 16, got 3",
    );
  });

  it("puts objects of 3625 bytes or more in huge classes with CONFIG_ZSMALLOC_CHAIN_SIZE=8", () => {
    expect(hugeClassSize()).toBe(3632 - 7);
    const huge = zsSizeClasses().filter((k) => k.huge && k.mergedInto === undefined);
    expect(huge.map((k) => k.size)).toEqual([4096]);
    expect(zspageClass(3648)).toBeUndefined();
    expect(zsSizeClasses()[sizeClassIndex(3648)]!.mergedInto).toBe(254);
    expect(zspageClass(3632)).toMatchObject({ pagesPerZspage: 8, objsPerZspage: 9, huge: false });
  });

  it("merges a class into the next larger one only when both have the same zspage shape (property)", () => {
    for (const chain of [4, 8, 16]) {
      const classes = zsSizeClasses(chain);
      for (const k of classes) {
        expect(k.pagesPerZspage).toBe(calculateZspageChainSize(k.size, chain));
        expect(k.objsPerZspage).toBe(Math.floor((k.pagesPerZspage * PAGE) / k.size));
        if (k.mergedInto !== undefined) {
          const into = classes[k.mergedInto]!;
          expect(into.mergedInto).toBeUndefined();
          expect([into.pagesPerZspage, into.objsPerZspage]).toEqual([k.pagesPerZspage, k.objsPerZspage]);
          expect(into.size).toBeGreaterThan(k.size);
        }
      }
    }
  });

  it("never wastes more at the end of a zspage than any other chain length would (property)", () => {
    fc.assert(
      fc.property(fc.integer({ min: 32, max: 4096 }), fc.integer({ min: 4, max: 16 }), (size, chain) => {
        const best = calculateZspageChainSize(size, chain);
        if (best < 1 || best > chain) return false;
        const waste = (i: number) => (i * PAGE) % size;
        for (let i = 1; i <= chain; i++) if (waste(i) < waste(best)) return false;
        return true;
      }),
    );
  });
});

describe("first_obj_offset", () => {
  it("is where the first object starting in each page begins (init_zspage)", () => {
    expect(firstObjOffsets(3264, 4)).toEqual([0, 2432, 1600, 768]);
    expect(firstObjOffsets(48, 3)).toEqual([0, 32, 16]);
    expect(firstObjOffsets(4096, 1)).toEqual([0]);
  });

  it("equals init_zspage's running offset, stays in the page and on ZS_ALIGN (property)", () => {
    fc.assert(
      fc.property(fc.integer({ min: 2, max: 256 }), fc.integer({ min: 1, max: 16 }), (k, pages) => {
        const size = 16 * k; // class sizes are multiples of ZS_SIZE_CLASS_DELTA
        const offsets = firstObjOffsets(size, pages);
        // init_zspage: off starts at 0; after each page, off advances past PAGE_SIZE and wraps with %=.
        let off = 0;
        for (let i = 0; i < pages; i++) {
          if (offsets[i] !== off || off >= PAGE || off % 8 !== 0) return false;
          do off += size;
          while (off < PAGE);
          off %= PAGE;
        }
        return true;
      }),
    );
  });

  it("shares a 32-bit word with PGTY_zsmalloc in the top byte", () => {
    expect(zpdescPageType(2432)).toBe(0xf6000980);
    expect(decodeZpdescPageType(0xf6000980)).toEqual({ pageType: 0xf6, firstObjOffset: 2432 });
    expect(() => zpdescPageType(1 << 24)).toThrow(
      "first_obj_offset must be a whole number from 0 to 16777215",
    );
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 0xffffff }), (o) => {
        const d = decodeZpdescPageType(zpdescPageType(o));
        return d.pageType === 0xf6 && d.firstObjOffset === o;
      }),
    );
  });
});
