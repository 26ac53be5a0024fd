import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { getOrder, iommuAllocPagesNodeSz, ioptdescMemSize, isPowerOfTwo, roundUpPowOfTwo } from "./alloc.js";

describe("get_order", () => {
  it("gives the smallest order whose block holds the size", () => {
    expect([1, 256, 1024, 4096, 4097, 8192, 8193, 2 ** 22].map(getOrder)).toEqual([0, 0, 0, 0, 1, 1, 2, 10]);
  });

  it("is undefined for 0 and rejects non-sizes", () => {
    expect(() => getOrder(0)).toThrow("get_order(0) is undefined: size must be at least 1 byte");
    expect(() => getOrder(-4)).toThrow("get_order: size must be a whole number of bytes ≥ 0, got -4");
    expect(() => getOrder(1.5)).toThrow(/whole number/);
  });

  it("satisfies PAGE_SIZE << (order - 1) < size <= PAGE_SIZE << order (property)", () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 2 ** 40 }), (size) => {
        const order = getOrder(size);
        return size <= 4096 * 2 ** order && (order === 0 || size > 4096 * 2 ** (order - 1));
      }),
    );
  });
});

describe("roundup_pow_of_two and is_power_of_2", () => {
  it("round up to the next power of two", () => {
    expect([1, 2, 3, 255, 256, 257, 3000].map(roundUpPowOfTwo)).toEqual([1, 2, 4, 256, 256, 512, 4096]);
    expect(() => roundUpPowOfTwo(0)).toThrow("roundup_pow_of_two(0) is undefined");
  });

  it("agree with each other (property)", () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 2 ** 50 }), (n) => {
        const p = roundUpPowOfTwo(n);
        return isPowerOfTwo(p) && p >= n && p / 2 < n && isPowerOfTwo(n) === (p === n);
      }),
    );
    expect([0, -2, 2 ** 53, 2 ** 53 - 1, 6, 1.5].map(isPowerOfTwo)).toEqual([
      false,
      false,
      false,
      false,
      false,
      false,
    ]);
  });
});

describe("iommu_alloc_pages_node_sz sizing", () => {
  it("gives a sub-page table a whole page today, covering the rounded size", () => {
    expect(iommuAllocPagesNodeSz(256)).toEqual({
      size: 256,
      order: 0,
      pages: 1,
      allocatedBytes: 4096,
      coveredBytes: 256,
      alignment: 256,
      subPage: true,
      wastedBytes: 3840,
      stats: { NR_IOMMU_PAGES: 1, NR_SECONDARY_PAGETABLE: 1 },
    });
    expect(iommuAllocPagesNodeSz(1024)).toMatchObject({ order: 0, coveredBytes: 1024, wastedBytes: 3072 });
  });

  it("rounds other sizes up to a power of two and aligns to it", () => {
    expect(iommuAllocPagesNodeSz(4096)).toMatchObject({
      order: 0,
      pages: 1,
      coveredBytes: 4096,
      subPage: false,
    });
    expect(iommuAllocPagesNodeSz(12288)).toMatchObject({
      order: 2,
      pages: 4,
      allocatedBytes: 16384,
      coveredBytes: 16384,
      alignment: 16384,
      wastedBytes: 0,
      stats: { NR_IOMMU_PAGES: 4, NR_SECONDARY_PAGETABLE: 4 },
    });
    expect(iommuAllocPagesNodeSz(2 ** 22)).toMatchObject({ order: 10, pages: 1024 });
  });

  it("fails where the kernel returns NULL, saying why", () => {
    expect(() => iommuAllocPagesNodeSz(2 ** 22 + 1)).toThrow(
      "iommu_alloc_pages_node_sz: size 4194305 needs order 11, above MAX_PAGE_ORDER (10); __folio_alloc_node() fails",
    );
    expect(() => iommuAllocPagesNodeSz(4096, { highmem: true })).toThrow(/__GFP_HIGHMEM is refused/);
    expect(() => iommuAllocPagesNodeSz(0)).toThrow(
      "iommu_alloc_pages_node_sz: size 0 has no order (get_order(0) is undefined)",
    );
    expect(iommuAllocPagesNodeSz(2 ** 23, { maxOrder: 12 }).order).toBe(11);
  });

  it("covers the size, within the allocation, aligned to the covered size (property)", () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 2 ** 22 }), (size) => {
        const a = iommuAllocPagesNodeSz(size);
        return (
          a.coveredBytes >= size &&
          a.coveredBytes < 2 * size &&
          a.coveredBytes <= a.allocatedBytes &&
          a.allocatedBytes === ioptdescMemSize(a.order) &&
          a.allocatedBytes % a.alignment === 0 &&
          a.subPage === a.coveredBytes < 4096 &&
          (a.subPage ? a.order === 0 : a.allocatedBytes === a.coveredBytes)
        );
      }),
    );
  });
});
