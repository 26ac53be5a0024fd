import { bill, createRegistry, designs, findField, linux618 } from "@memdesc/core";
import { describe, expect, it } from "vitest";
import { ioptdesc } from "./plugin.js";

const GiB = 262_144;

describe("the ioptdesc plugin", () => {
  it("describes IOMMU page-table pages and passes its rules in a registry", () => {
    const r = createRegistry({ plugins: [ioptdesc()] });
    expect(r.ownerOf("iommu")).toBe("ioptdesc");
    expect(r.checkOverlays()[0]!.results.every((x) => x.status === "pass")).toBe(true);
    expect(findField(r.todayLayout("ioptdesc"), "incoherent")).toBeUndefined();
    const later = createRegistry({ plugins: [ioptdesc({ incoherent: true })] });
    expect(findField(later.todayLayout("ioptdesc"), "incoherent")?.offset).toBe(32);
    expect(later.checkOverlays()[0]!.results.every((x) => x.status === "pass")).toBe(true);
  });

  it("takes a free tag: no published type table names it", () => {
    const tags = Object.keys(designs).map((d) =>
      createRegistry({ design: d, plugins: [ioptdesc()] }).tagOf("ioptdesc"),
    );
    expect(tags).toEqual([undefined, 5, 11, 11, 8]);
  });

  it("is 40 bytes, 48 in each design's 16-byte-aligned descriptor cache (32 on i386)", () => {
    for (const design of Object.keys(designs))
      expect(createRegistry({ design, plugins: [ioptdesc()] }).descriptorSize("ioptdesc")).toEqual({
        variant: "default",
        size: 40,
        rounded: 48,
      });
    expect(
      createRegistry({ abi: "ilp32", config: linux618, plugins: [ioptdesc()] }).descriptorSize("ioptdesc"),
    ).toEqual({
      variant: "default",
      size: 24,
      rounded: 32,
    });
  });

  it("prices a GiB of order-0 IOMMU tables: 16, 20, 16 and 14 MiB", () => {
    const b = bill(createRegistry({ plugins: [ioptdesc()] }), {
      uses: { iommu: { pages: GiB, descriptors: GiB, orders: { 0: GiB } } },
    });
    expect(Object.fromEntries(b.designs.map((d) => [d.design, d.total / 2 ** 20]))).toEqual({
      today: 16,
      "path-32": 20,
      "buddy-16": 16,
      "memdesc-8": 14,
    });
  });

  it("makes iommu_pages_list available as a layout", () => {
    const r = createRegistry({ plugins: [ioptdesc()] });
    expect(r.engine.layout(r.plugin("ioptdesc").layouts!.iommu_pages_list!).size).toBe(16);
  });
});
