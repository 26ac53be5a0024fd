import {
  diffPahole,
  findField,
  formatPahole,
  layoutOf,
  linux618,
  linux618Measured,
  page,
  parsePahole,
} from "@memdesc/core";
import { paholeReference } from "@memdesc/testkit";
import { describe, expect, it } from "vitest";
import { folioPageMembers, folioToday } from "./today.js";

const text = paholeReference("pahole_folio.txt");
const [ref] = parsePahole(text);
const lp64 = layoutOf(folioToday, { abi: "lp64", config: linux618Measured });

describe("struct folio today (Linux 6.18, x86-64)", () => {
  it("has the measured size, cachelines and top-level members", () => {
    expect(ref).toBeDefined();
    expect(lp64.size).toBe(ref!.size);
    expect(lp64.size / lp64.cacheline).toBe(ref!.cachelines);
    expect(lp64.members.length).toBe(ref!.members);
  });

  // Field by field and byte for byte against pahole -C folio: the conformance checks (conformance.test.ts).

  it("is the same upstream, where struct page has no buddy_since", () => {
    const upstream = layoutOf(folioToday, { config: linux618 });
    expect(formatPahole(upstream, { config: linux618 })).toBe(text);
  });

  it("overlays one struct page per union, named page, __page_1, __page_2, __page_3", () => {
    expect(folioPageMembers).toEqual(["page", "__page_1", "__page_2", "__page_3"]);
    const pageSize = layoutOf(page, { config: linux618 }).size;
    folioPageMembers.forEach((name, i) => {
      expect(findField(lp64, name)).toMatchObject({ offset: i * pageSize, size: pageSize });
    });
  });
});

describe("struct folio on i386 (ilp32)", () => {
  const ilp32 = layoutOf(folioToday, { abi: "ilp32", config: linux618 });
  const at = (path: string) => findField(ilp32, path)?.offset;

  it("spans four 40-byte struct pages (36 bytes of members, aligned to 2 × sizeof(long))", () => {
    expect(layoutOf(page, { abi: "ilp32", config: linux618 }).size).toBe(40);
    expect(ilp32.size).toBe(160);
    expect(ilp32.align).toBe(8);
  });

  it("keeps the head page's fields where struct page has them", () => {
    expect([at("flags"), at("lru"), at("mapping"), at("index"), at("private")]).toEqual([0, 4, 12, 16, 20]);
    expect([at("_mapcount"), at("_refcount"), at("memcg_data")]).toEqual([24, 28, 32]);
  });

  it("halves the MM owner slots (short mapcounts, unsigned short ids) so the rmap words fit 4 longs", () => {
    expect(findField(ilp32, "_mm_id_mapcount")).toMatchObject({
      offset: 56,
      size: 4,
      typeName: "mm_id_mapcount_t",
    });
    expect(findField(ilp32, "_mm_id")).toMatchObject({ offset: 60, size: 4 });
    expect(findField(ilp32, "_usable_1")).toMatchObject({ offset: 48, size: 16 });
    expect([at("_mapcount_1"), at("_refcount_1"), at("_nr_pages")]).toEqual([64, 68, 72]);
  });

  it("moves _entire_mapcount and _pincount to the second tail page, after the deferred list", () => {
    expect([at("_flags_2"), at("_head_2"), at("_deferred_list")]).toEqual([80, 84, 88]);
    expect([at("_entire_mapcount"), at("_pincount")]).toEqual([96, 100]);
    expect(at("_hugetlb_hwpoison")).toBe(140);
  });

  it("has no _nr_pages without NR_PAGES_IN_LARGE_FOLIO (neither memcg nor slab object extensions)", () => {
    const bare = layoutOf(folioToday, {
      config: { ...linux618, CONFIG_MEMCG: false, CONFIG_SLAB_OBJ_EXT: false },
    });
    expect(findField(bare, "_nr_pages")).toBeUndefined();
    expect(findField(bare, "memcg_data")).toBeUndefined();
    const objExtOnly = layoutOf(folioToday, { config: { ...linux618, CONFIG_MEMCG: false } });
    expect(findField(objExtOnly, "_nr_pages")?.offset).toBe(120);
    expect(findField(objExtOnly, "_unused_slab_obj_exts")?.offset).toBe(56);
  });
});
