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

  it("takes a tag the table leaves free, never one the plan gives another type, labelled this project's proposal", () => {
    const tags = Object.keys(designs).map((d) =>
      createRegistry({ design: d, plugins: [ioptdesc()] }).tagOf("ioptdesc"),
    );
    // Not 11: the current table gives 11 to acctmem. 14 is its first unassigned tag.
    expect(tags).toEqual([undefined, 5, 14, 14, 11, 8]);
    const row = createRegistry({ plugins: [ioptdesc()] })
      .typeTable()
      .find((r) => r.kind === "ioptdesc")!;
    expect(row.provenance).toMatchObject({
      basis: "proposal",
      reasoning: expect.stringMatching(/names no ioptdesc type; it takes tag 14/),
    });
  });

  it("is 40 bytes of fields and its memory's pfn: 48 in each design's descriptor cache (28 → 32 on i386)", () => {
    for (const design of Object.keys(designs)) {
      const r = createRegistry({ design, plugins: [ioptdesc()] });
      expect(r.descriptorSize("ioptdesc")).toEqual({ variant: "default", size: 48, rounded: 48 });
      expect(r.wayBackOf("ioptdesc")).toEqual({ field: "pfn" });
    }
    expect(
      createRegistry({ abi: "ilp32", config: linux618, plugins: [ioptdesc()] }).descriptorSize("ioptdesc"),
    ).toEqual({
      variant: "default",
      size: 28,
      rounded: 32,
    });
  });

  it("names today's model and the projection apart, and bills the projection's slot bookkeeping", () => {
    const today = createRegistry({ plugins: [ioptdesc()] });
    const proj = createRegistry({ plugins: [ioptdesc({ model: "projection" })] });
    expect(proj.descriptorSize("ioptdesc")).toEqual({ variant: "default", size: 56, rounded: 64 });
    expect(today.plugin("ioptdesc").simulation!.behaviours!.map((b) => b.provenance.basis)).toEqual([
      "kernel",
      "kernel",
    ]);
    expect(proj.plugin("ioptdesc").simulation!.behaviours!.map((b) => b.provenance.basis)).toEqual([
      "proposal",
      "proposal",
    ]);
    expect(proj.provenanceOf("ioptdesc").fields.iopt_slots_used).toMatchObject({ basis: "proposal" });
    expect(today.provenanceOf("ioptdesc").fields.iopt_slots_used).toBeUndefined();
    expect(() => ioptdesc({ model: "future" as never })).toThrow(
      expect.objectContaining({
        code: "BAD_PLUGIN_OPTIONS",
        subject: "ioptdesc() options",
        issues: [
          expect.objectContaining({
            path: ["model"],
            message: expect.stringMatching(/"today"\|"projection"/),
          }),
        ],
      }),
    );
    expect(() => ioptdesc({ modle: "projection" } as never)).toThrow(
      /ioptdesc\(\) options: Unrecognized key: "modle"/,
    );
  });

  it("prices a GiB of order-0 IOMMU tables: 16, 20, 16 and 14 MiB (+1 MiB of arrays)", () => {
    const b = bill(createRegistry({ plugins: [ioptdesc()] }), {
      uses: { iommu: { pages: GiB, descriptors: GiB, orders: { 0: GiB } } },
    });
    expect(Object.fromEntries(b.designs.map((d) => [d.design, d.total / 2 ** 20]))).toEqual({
      today: 16,
      "path-32": 20,
      "buddy-16": 16,
      "memdesc-8": 15,
    });
  });

  it("makes iommu_pages_list available as a layout", () => {
    const r = createRegistry({ plugins: [ioptdesc()] });
    expect(r.engine.layout(r.plugin("ioptdesc").layouts!.iommu_pages_list!).size).toBe(16);
  });
});
