import {
  bill,
  createRegistry,
  designs,
  layoutOf,
  linux618Measured,
  page,
  TagAssignmentError,
} from "@memdesc/core";
import { describe, expect, it } from "vitest";
import { allPlugins, composeAll, pluginPackages } from "./plugins.js";

const designNames = Object.keys(designs) as (keyof typeof designs)[];
const pluginKinds = Object.keys(pluginPackages);
const allKinds = ["buddy", "misc", ...pluginKinds];

describe("every first-party plugin in one registry", () => {
  it("composes under every built-in design with each plugin's package name and kind", () => {
    expect(designNames).toEqual([
      "today",
      "path-32",
      "buddy-16",
      "memdesc-8",
      "memdesc-8-2025",
      "memdesc-8-v1",
    ]);
    for (const design of designNames) {
      const r = composeAll(design);
      expect(r.kinds, design).toEqual(allKinds);
      for (const [kind, pkg] of Object.entries(pluginPackages))
        expect(r.plugin(kind as "folio").name).toBe(pkg);
    }
  });

  it("assigns every kind its own tag, none reading as buddy in the 32-byte design", () => {
    for (const design of designNames) {
      const r = composeAll(design);
      const tags = allKinds.map((k) => r.tagOf(k as "folio"));
      if (design === "today") {
        expect(tags.every((t) => t === undefined)).toBe(true);
        continue;
      }
      expect(new Set(tags).size, design).toBe(allKinds.length);
      for (const [i, t] of tags.entries()) {
        expect(t, `${design} ${allKinds[i]}`).toBeGreaterThanOrEqual(0);
        expect(t).toBeLessThan(2 ** r.design.typeBits);
        expect(r.kindOf(t!)).toBe(allKinds[i]);
        if (design === "path-32" && allKinds[i] !== "buddy") expect(t! & 3, allKinds[i]).not.toBe(0);
      }
    }
  });

  it("gives the kinds a design's type table names the tags the table says", () => {
    for (const design of designNames) {
      const r = composeAll(design);
      for (const kind of allKinds) {
        const row = r.design.typeTable.find((e) => e.kind === kind);
        if (row) expect(r.tagOf(kind as "folio"), `${design} ${kind}`).toBe(row.tag);
      }
    }
    const table = (design: string) => {
      const r = composeAll(design);
      return Object.fromEntries(allKinds.map((k) => [k, r.tagOf(k as "folio")]));
    };
    // The current Memdescs table (docs/kernel.md): ptdesc on 8, netmem on Bump (6), zpdesc on ZPDesc (12);
    // ioptdesc has no row and takes an unassigned tag (14), labelled this project's proposal.
    expect(table("memdesc-8")).toEqual({
      misc: 0,
      buddy: 1,
      folio: 2,
      anon: 3,
      slab: 5,
      netmem: 6,
      ptdesc: 8,
      zpdesc: 12,
      ioptdesc: 14,
    });
    expect(
      composeAll("memdesc-8")
        .typeTable()
        .find((t) => t.kind === "ioptdesc")?.provenance?.basis,
    ).toBe("proposal");
    expect(table("buddy-16")).toEqual(table("memdesc-8"));
    // The page's 2025 revision: PageTable 7, NetPool 8, IOMMU 11.
    expect(table("memdesc-8-2025")).toEqual({
      misc: 0,
      buddy: 1,
      folio: 2,
      anon: 3,
      slab: 5,
      ptdesc: 7,
      netmem: 8,
      ioptdesc: 11,
      zpdesc: 12,
    });
    expect(table("memdesc-8-v1")).toEqual({
      misc: 0,
      folio: 1,
      anon: 2,
      slab: 4,
      buddy: 5,
      ioptdesc: 8,
      ptdesc: 9,
      netmem: 10,
      zpdesc: 12,
    });
    expect(table("path-32")).toEqual({
      buddy: 0,
      misc: 1,
      folio: 2,
      anon: 3,
      slab: 5,
      ptdesc: 6,
      ioptdesc: 7,
      zpdesc: 9,
      netmem: 10,
    });
  });

  it("reports a tag conflict clearly rather than composing", () => {
    const [f, a, s, p, i, z, n] = allPlugins();
    const wantEleven = [f, a, s, p, { ...i, tag: 11 }, { ...z, tag: 11 }, n];
    expect(() => createRegistry({ design: "memdesc-8", plugins: wantEleven })).toThrow(TagAssignmentError);
    expect(() => createRegistry({ design: "memdesc-8", plugins: wantEleven })).toThrow(
      'plugin "@memdesc/zpdesc" (kind zpdesc) and plugin "@memdesc/ioptdesc" (kind ioptdesc) both want tag 11 in design memdesc-8',
    );
  });

  it("sizes the separately allocated descriptors, each with its pfn (docs/kernel.md), in every design", () => {
    for (const design of designNames) {
      const r = composeAll(design);
      const size = (kind: string, order = 0, use?: string) =>
        r.descriptorSize(kind as "folio", order, use as "hugetlb" | undefined);
      expect(size("folio", 0), design).toMatchObject({ variant: "small", rounded: 80 });
      expect(size("folio", 9), design).toMatchObject({ variant: "large", rounded: 128 });
      expect(size("anon", 0), design).toMatchObject({ variant: "small", rounded: 80 });
      expect(size("folio", 9, "hugetlb"), design).toMatchObject({ variant: "hugetlb", size: 160 });
      expect(size("slab", 1), design).toMatchObject({ rounded: 64 });
      // A pfn each: ptdesc 48 → 56 (64 in its cache), zpdesc 32 → 40 (48), netmem and ioptdesc 40 → 48.
      expect(size("ptdesc"), design).toMatchObject({ size: 56, rounded: 64 });
      expect(size("ioptdesc"), design).toMatchObject({ size: 48, rounded: 48 });
      expect(size("zpdesc"), design).toMatchObject({ size: 40, rounded: 48 });
      expect(size("netmem"), design).toMatchObject({ size: 48, rounded: 48 });
      for (const kind of pluginKinds)
        expect(r.wayBackOf(kind as "folio"), `${design} ${kind}`).toEqual({ field: "pfn" });
      expect(size("buddy")).toBeUndefined();
      expect(size("misc")).toBeUndefined();
    }
  });

  it("passes every plugin's overlay rules against core's struct page, upstream and measured", () => {
    const r = composeAll();
    const reports = r.checkOverlays();
    expect(reports.map((x) => x.kind)).toEqual(pluginKinds);
    const failures = (rs: typeof reports) =>
      rs.flatMap((x) => x.results.filter((res) => res.status !== "pass" && res.status !== "skipped"));
    expect(failures(reports)).toEqual([]);
    expect(reports.flatMap((x) => x.results).length).toBeGreaterThan(50);
    const measured = layoutOf(page, { config: linux618Measured });
    expect(failures(r.checkOverlays({ page: measured }))).toEqual([]);
  });

  it("bills the worked examples of docs/kernel.md with the real plugins", () => {
    const GiB = 262_144;
    const MiB = 2 ** 20;
    const totals = (uses: Parameters<typeof bill>[1]["uses"]) =>
      Object.fromEntries(bill(composeAll(), { uses }).designs.map((d) => [d.design, d.total]));
    // memdesc-8 pays the 8-byte buddy word's free-list arrays too: 4 bytes a page of RAM, 1 MiB a GiB.
    expect(totals({ anon: { pages: GiB, descriptors: GiB, orders: { 0: GiB } } })).toEqual({
      today: 16 * MiB,
      "path-32": 29_360_128,
      "buddy-16": 24 * MiB,
      "memdesc-8": 23 * MiB,
    });
    expect(totals({ file: { pages: GiB, descriptors: 512, orders: { 9: 512 } } })).toEqual({
      today: 16 * MiB,
      "path-32": 8_454_144,
      "buddy-16": 4_259_840,
      "memdesc-8": 3_211_264,
    });
    expect(totals({ slab: { pages: GiB, descriptors: GiB / 2, orders: { 1: GiB / 2 } } })).toEqual({
      today: 16 * MiB,
      "path-32": 16 * MiB,
      "buddy-16": 12 * MiB,
      "memdesc-8": 11 * MiB,
    });
    expect(totals({ pagetable: { pages: GiB, descriptors: GiB, orders: { 0: GiB } } })).toEqual({
      today: 16 * MiB,
      "path-32": 24 * MiB,
      "buddy-16": 20 * MiB,
      "memdesc-8": 19 * MiB,
    });
    // HVO: today keeps one page of a 2 MiB hugetlb folio's eight pages of struct pages.
    const hugetlb = { hugetlb: { pages: GiB, descriptors: 512, orders: { 9: 512 } } };
    const hvo = Object.fromEntries(
      bill(composeAll(), { uses: hugetlb, hvo: true }).designs.map((d) => [d.design, d.total]),
    );
    const hugetlbTotals = {
      "path-32": 8_470_528,
      "buddy-16": 4_276_224,
      "memdesc-8": 3_227_648,
    };
    expect(totals(hugetlb)).toEqual({ today: 16 * MiB, ...hugetlbTotals });
    expect(hvo).toEqual({ today: 2 * MiB, ...hugetlbTotals });
    const gigantic = { hugetlb: { pages: GiB, descriptors: 1, orders: { 18: 1 } } };
    expect(
      Object.fromEntries(
        bill(composeAll(), { uses: gigantic, hvo: true }).designs.map((d) => [d.design, d.total]),
      ),
    ).toEqual({ today: 4096, "path-32": 8_388_768, "buddy-16": 4_194_464, "memdesc-8": 3_145_888 });
    const b = bill(composeAll(), {
      uses: {
        iommu: { pages: 64, descriptors: 64, orders: { 0: 64 } },
        zsmalloc: { pages: 64, descriptors: 64, orders: { 0: 64 } },
        netmem: { pages: 64, descriptors: 64, orders: { 0: 64 } },
      },
    });
    expect(b.warnings).toEqual([]);
    expect(b.designs.find((d) => d.design === "memdesc-8")!.uses.map((u) => [u.kind, u.arithmetic])).toEqual([
      ["ioptdesc", "64 × 8 + 64 × 48 = 3,584"],
      ["zpdesc", "64 × 8 + 64 × 48 = 3,584"],
      ["netmem", "64 × 8 + 64 × 48 = 3,584"],
    ]);
  });
});
