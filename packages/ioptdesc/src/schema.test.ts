import { createRegistry, issuesOf, keyPath } from "@memdesc/core";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { ioptdesc } from "./plugin.js";
import { ioptdescValueSchema } from "./schema.js";

const issues = (v: unknown) => {
  const r = ioptdescValueSchema.safeParse(v);
  return r.success
    ? ""
    : issuesOf(r.error.issues)
        .map((i) => (i.path.length > 0 ? `${keyPath(i.path)}: ${i.message}` : i.message))
        .join("\n");
};

describe("ioptdesc value schema", () => {
  it("accepts power-of-two sizes from 1/16 of a page to a max-order block, coherent by default", () => {
    expect(ioptdescValueSchema.parse({ size: 256 })).toEqual({ size: 256, incoherent: false });
    expect(ioptdescValueSchema.parse({ size: 1024, incoherent: true })).toEqual({
      size: 1024,
      incoherent: true,
    });
    expect(ioptdescValueSchema.parse({ size: 16384, order: 2 })).toEqual({
      size: 16384,
      order: 2,
      incoherent: false,
    });
    expect(ioptdescValueSchema.parse({ size: 2 ** 22 }).size).toBe(2 ** 22);
  });

  it("rejects sizes that are not a power of two, naming what the allocator would round to", () => {
    expect(issues({ size: 3000 })).toBe(
      "size: iommu-pages allocations are a power of two in size: 3000 is not (iommu_alloc_pages_node_sz rounds up to 4096)",
    );
  });

  it("bounds the size and requires whole bytes", () => {
    expect(issues({ size: 128 })).toBe("size: size is at least 1/16 of a page (256 bytes)");
    expect(issues({ size: 2 ** 23 })).toBe(
      "size: size is at most PAGE_SIZE << MAX_PAGE_ORDER (4194304 bytes)",
    );
    expect(issues({ size: 256.5 })).toBe("size: size must be a whole number of bytes");
    expect(issues({})).toBe("size: size must be a number of bytes");
  });

  it("checks the folio order against get_order(size): a sub-page table still takes a page", () => {
    expect(issues({ size: 1024, order: 0 })).toBe("");
    expect(issues({ size: 1024, order: 1 })).toBe(
      "order: a 1024-byte table is an order-0 folio (get_order(1024)), not order 1",
    );
    expect(issues({ size: 8192, order: 3 })).toBe(
      "order: a 8192-byte table is an order-1 folio (get_order(8192)), not order 3",
    );
  });

  it("requires incoherent to be a boolean and rejects unknown fields", () => {
    expect(issues({ size: 4096, incoherent: 1 })).toBe("incoherent: incoherent must be true or false");
    expect(issues({ size: 4096, index: 3 })).toMatch(/index/);
  });

  it("accepts exactly the powers of two in range (property)", () => {
    fc.assert(
      fc.property(fc.integer({ min: 256, max: 2 ** 22 }), (size) => {
        const pow2 = (size & (size - 1)) === 0;
        return ioptdescValueSchema.safeParse({ size }).success === pow2;
      }),
    );
  });

  it("reports through the registry with the kind and plugin named", () => {
    const r = createRegistry({ plugins: [ioptdesc()] });
    expect(r.parse("ioptdesc", { size: 1024 })).toEqual({ size: 1024, incoherent: false });
    expect(() => r.parse("ioptdesc", { size: 1000 })).toThrow(
      'ioptdesc value (plugin "@memdesc/ioptdesc"): size: iommu-pages allocations are a power of two in size: 1000 is not (iommu_alloc_pages_node_sz rounds up to 1024)',
    );
  });
});
