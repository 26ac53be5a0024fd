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
import { ptdescMemdesc, ptdescMemdescMembers, ptdescToday } from "./layout.js";

const at = (layout: ReturnType<typeof layoutOf>, path: string) => {
  const f = findField(layout, path);
  return f && [f.offset, f.size];
};

describe("struct ptdesc today (Linux 6.18)", () => {
  // Field by field and byte for byte against pahole -C ptdesc: the conformance checks (conformance.test.ts).
  it("has the measured x86-64 unions: every arm at its offset", () => {
    const layout = layoutOf(ptdescToday, { abi: "lp64", config: linux618Measured });
    const ref = paholeReference("pahole_ptdesc.txt");
    expect(parsePahole(ref)[0]!.fields.map((f) => f.path)).toEqual([
      "pt_flags",
      "pt_rcu_head",
      "pt_list",
      "_pt_pad_1",
      "pmd_huge_pte",
      "__page_mapping",
      "pt_index",
      "pt_mm",
      "pt_frag_refcount",
      "pt_share_count",
      "_pt_pad_2",
      "ptl",
      "__page_type",
      "__page_refcount",
      "pt_memcg_data",
    ]);
    expect(layout.unions.map((u) => [u.offset, u.size, u.arms])).toEqual([
      [8, 16, ["pt_rcu_head", "pt_list", "{struct@8}"]],
      [32, 8, ["pt_index", "pt_mm", "pt_frag_refcount", "pt_share_count"]],
      [40, 8, ["_pt_pad_2", "ptl"]],
    ]);
    expect(layout.holes).toEqual([]);
  });

  it("is 36 bytes on i386: longs and pointers are 4 bytes, the unions 8, 4 and 4", () => {
    const layout = layoutOf(ptdescToday, { abi: "ilp32", config: linux618 });
    expect(
      [
        "pt_flags",
        "pt_list",
        "_pt_pad_1",
        "pmd_huge_pte",
        "__page_mapping",
        "pt_index",
        "ptl",
        "__page_type",
        "__page_refcount",
        "pt_memcg_data",
      ].map((p) => at(layout, p)),
    ).toEqual([
      [0, 4],
      [4, 8],
      [4, 4],
      [8, 4],
      [12, 4],
      [16, 4],
      [20, 4],
      [24, 4],
      [28, 4],
      [32, 4],
    ]);
    expect([layout.size, layout.align]).toEqual([36, 4]);
  });

  it("loses pt_memcg_data without CONFIG_MEMCG and pt_share_count without hugetlb PMD sharing", () => {
    const layout = layoutOf(ptdescToday, {
      config: { ...linux618, CONFIG_MEMCG: false, CONFIG_HUGETLB_PMD_PAGE_TABLE_SHARING: false },
    });
    expect(layout.size).toBe(56);
    expect(findField(layout, "pt_memcg_data")).toBeUndefined();
    expect(findField(layout, "pt_share_count")).toBeUndefined();
  });

  it("points ptl at a separate lock when spinlock_t outgrows a long (ALLOC_SPLIT_PTLOCKS)", () => {
    const layout = layoutOf(ptdescToday, {
      config: { ...linux618, SPINLOCK_SIZE: 24, ALLOC_SPLIT_PTLOCKS: true },
    });
    expect(findField(layout, "ptl")).toMatchObject({ offset: 40, size: 8, typeName: "spinlock_t *" });
    expect(layout.size).toBe(64);
  });
});

describe("struct ptdesc in the memdesc era", () => {
  it("drops __page_mapping, __page_type and __page_refcount (8 + 16 + 8 + 8 + 8 = 48) and adds its page's pfn: 56", () => {
    const layout = layoutOf(ptdescMemdesc(), { config: linux618 });
    expect(layout.members.map((m) => [m.name ?? "(union)", m.offset, m.size])).toEqual([
      ["pt_flags", 0, 8],
      ["(union)", 8, 16],
      ["(union)", 24, 8],
      ["(union)", 32, 8],
      ["pt_memcg_data", 40, 8],
      ["pfn", 48, 8],
    ]);
    expect(layout.size).toBe(56);
    for (const gone of ["__page_mapping", "__page_type", "__page_refcount"])
      expect(findField(layout, gone), gone).toBeUndefined();
  });

  it("keeps every field with keepAllFields: today's 64 bytes and the pfn", () => {
    const layout = layoutOf(ptdescMemdesc({ keepAllFields: true }), { config: linux618 });
    expect(layout.size).toBe(72);
    expect(ptdescMemdescMembers({ keepAllFields: true })).toHaveLength(9);
  });

  it("is derived from the member list: without memcg it is 48, on i386 28", () => {
    expect(layoutOf(ptdescMemdesc(), { config: { ...linux618, CONFIG_MEMCG: false } }).size).toBe(48);
    expect(layoutOf(ptdescMemdesc(), { abi: "ilp32", config: linux618 }).size).toBe(28);
  });
});
