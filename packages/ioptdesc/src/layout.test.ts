import {
  diffPahole,
  findField,
  formatPahole,
  layoutOf,
  linux618,
  linux618Measured,
  parsePahole,
} from "@memdesc/core";
import { paholeReference } from "@memdesc/testkit";
import { describe, expect, it } from "vitest";
import {
  iommuPagesList,
  ioptdesc618,
  ioptdescIncoherent,
  ioptdescMemdesc,
  ioptdescMemdescProjection,
} from "./layout.js";

const offsets = (layout: ReturnType<typeof layoutOf>) =>
  layout.fields.filter((f) => f.depth === 0 || f.unions.length > 0).map((f) => [f.path, f.offset, f.size]);

describe("struct ioptdesc today (Linux 6.18)", () => {
  // Field by field and byte for byte against pahole -C ioptdesc: the conformance checks (conformance.test.ts).
  it("has the measured x86-64 members, and no incoherent before 6.19", () => {
    const layout = layoutOf(ioptdesc618, { abi: "lp64", config: linux618Measured });
    const ref = paholeReference("pahole_ioptdesc.txt");
    expect(parsePahole(ref)[0]!.fields.map((f) => f.path)).toEqual([
      "__page_flags",
      "iopt_freelist_elm",
      "__page_mapping",
      "__index",
      "_private",
      "__page_type",
      "__page_refcount",
      "memcg_data",
    ]);
    expect(findField(layout, "incoherent")).toBeUndefined();
  });

  it("prints iommu_pages_list byte for byte as pahole printed it", () => {
    expect(formatPahole(layoutOf(iommuPagesList, { config: linux618Measured }))).toBe(
      paholeReference("pahole_iommu_pages_list.txt"),
    );
  });

  it("is 36 bytes on i386, every long and pointer 4 bytes", () => {
    const layout = layoutOf(ioptdesc618, { abi: "ilp32", config: linux618 });
    expect(offsets(layout)).toEqual([
      ["__page_flags", 0, 4],
      ["iopt_freelist_elm", 4, 8],
      ["__page_mapping", 12, 4],
      ["__index", 16, 4],
      ["_private", 20, 4],
      ["__page_type", 24, 4],
      ["__page_refcount", 28, 4],
      ["memcg_data", 32, 4],
    ]);
    expect(layout.size).toBe(36);
  });

  it("is 56 bytes without CONFIG_MEMCG", () => {
    expect(layoutOf(ioptdesc618, { config: { ...linux618, CONFIG_MEMCG: false } }).size).toBe(56);
  });
});

describe("struct ioptdesc after 6.18: union { u8 incoherent; pgoff_t __index; }", () => {
  it("puts incoherent at __index's offset without moving anything", () => {
    const layout = layoutOf(ioptdescIncoherent, { config: linux618 });
    expect(findField(layout, "incoherent")).toMatchObject({ offset: 32, size: 1, typeName: "u8" });
    expect(findField(layout, "__index")).toMatchObject({ offset: 32, size: 8, typeName: "pgoff_t" });
    expect(layout.unions).toEqual([
      expect.objectContaining({ offset: 32, size: 8, arms: ["incoherent", "__index"] }),
    ]);
    const today = layoutOf(ioptdesc618, { config: linux618 });
    for (const f of ["__page_flags", "iopt_freelist_elm", "__page_mapping", "_private", "memcg_data"])
      expect(findField(layout, f)?.offset, f).toBe(findField(today, f)?.offset);
    expect(layout.size).toBe(64);
  });
});

describe("struct ioptdesc in the memdesc era", () => {
  it("keeps flags, the list link, incoherent, refcount and memcg, and adds its memory's pfn: 48 bytes", () => {
    const layout = layoutOf(ioptdescMemdesc, { config: linux618 });
    expect(
      layout.fields.map((f) => [f.path, f.offset, f.size]).filter(([p]) => !String(p).includes(".")),
    ).toEqual([
      ["__page_flags", 0, 8],
      ["iopt_freelist_elm", 8, 16],
      ["incoherent", 24, 1],
      ["__page_refcount", 28, 4],
      ["memcg_data", 32, 8],
      ["pfn", 40, 8],
    ]);
    expect(layout.holes).toEqual([{ in: "", after: "incoherent", offset: 25, size: 3 }]);
    expect(layout.size).toBe(48);
  });

  it("is 40 bytes without memcg and 28 on i386", () => {
    expect(layoutOf(ioptdescMemdesc, { config: { ...linux618, CONFIG_MEMCG: false } }).size).toBe(40);
    expect(layoutOf(ioptdescMemdesc, { abi: "ilp32", config: linux618 }).size).toBe(28);
  });

  it("in the projection, keeps its slots' bookkeeping beside incoherent: 56 bytes, 64 in its cache", () => {
    const layout = layoutOf(ioptdescMemdescProjection, { config: linux618 });
    expect(
      layout.fields.map((f) => [f.path, f.offset, f.size]).filter(([p]) => !String(p).includes(".")),
    ).toEqual([
      ["__page_flags", 0, 8],
      ["iopt_freelist_elm", 8, 16],
      ["incoherent", 24, 1],
      ["iopt_slot_shift", 25, 1],
      ["iopt_slots_used", 26, 2],
      ["iopt_slots_pending", 28, 2],
      ["__page_refcount", 32, 4],
      ["memcg_data", 40, 8],
      ["pfn", 48, 8],
    ]);
    expect(layout.size).toBe(56);
  });
});

describe("struct iommu_pages_list", () => {
  it("matches pahole: one list_head, 16 bytes (8 on i386)", () => {
    const layout = layoutOf(iommuPagesList, { config: linux618Measured });
    expect(diffPahole(layout, paholeReference("pahole_iommu_pages_list.txt"))).toEqual([]);
    expect(layoutOf(iommuPagesList, { abi: "ilp32" }).size).toBe(8);
  });
});
