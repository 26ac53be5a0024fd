import { c, findField, layoutOf, linux618 } from "@memdesc/core";
import { describe, expect, it } from "vitest";
import { folioLargeFields, folioSmallFields, memdescFolio } from "./memdesc.js";

const { small, large } = memdescFolio("folio");
const lay = (t: typeof small, abi: "lp64" | "ilp32" = "lp64") => layoutOf(t, { abi, config: linux618 });

describe("the memdesc-era struct folio", () => {
  it("small: the Memdescs/Path field list lays out to 80 bytes, a multiple of 16", () => {
    const l = lay(small);
    expect(l.size).toBe(80);
    expect(l.fields.filter((f) => f.depth === 0).map((f) => [f.path, f.offset, f.size])).toEqual([
      ["flags", 0, 8],
      ["lru", 8, 16],
      ["mapping", 24, 8],
      ["index", 32, 8],
      ["private", 40, 8],
      ["_refcount", 48, 4],
      ["_mapcount", 52, 4],
      ["_pincount", 56, 4],
      ["order", 60, 1],
      ["pfn", 64, 8],
      ["memcg", 72, 8],
    ]);
    // The page's "1, then 3 bytes free" after order.
    expect(l.holes).toEqual([{ in: "", after: "order", offset: 61, size: 3 }]);
  });

  it("large: the small fields plus today's large-folio fields, with the 4-byte counters packed, is 128 bytes", () => {
    const l = lay(large);
    expect(l.size).toBe(128);
    expect(l.holes).toEqual([{ in: "", after: "order", offset: 61, size: 3 }]);
    const at = (p: string) => [findField(l, p)?.offset, findField(l, p)?.size];
    expect(at("_large_mapcount")).toEqual([80, 4]);
    expect(at("_nr_pages_mapped")).toEqual([84, 4]);
    expect(at("_entire_mapcount")).toEqual([88, 4]);
    expect(at("_nr_pages")).toEqual([92, 4]);
    expect(at("_mm_id_mapcount")).toEqual([96, 8]);
    expect(at("_mm_ids")).toEqual([104, 8]);
    expect(at("_mm_id")).toEqual([104, 8]);
    expect(at("_deferred_list")).toEqual([112, 16]);
    // The large-folio fields add 48 bytes to the 80, as docs/kernel.md ("Descriptor sizes in the memdesc era") counts them.
    expect(lay(c.struct("large_only", [...folioLargeFields])).size).toBe(48);
  });

  it("the same field lists on i386: 48 and 80 bytes", () => {
    expect(lay(small, "ilp32").size).toBe(48);
    expect(lay(large, "ilp32").size).toBe(80);
    // mm_id_mapcount_t and mm_id_t are shorts there.
    expect(findField(lay(large, "ilp32"), "_mm_id_mapcount")?.size).toBe(4);
  });

  it("grows by extra fields (every variant) and large-only fields; the hugetlb variant adds the hugetlb pointers", () => {
    const grown = memdescFolio("folio", {
      extraFields: [["_grow", c.array(c.u8, 48)]],
      extraLargeFields: [["_large_grow", c.ulong]],
    });
    expect(lay(grown.small).size).toBe(128);
    expect(lay(grown.large).size).toBe(184);
    expect(lay(memdescFolio("folio").hugetlb).size).toBe(160);
    expect(lay(grown.hugetlb).size).toBe(216);
    expect(folioSmallFields).toHaveLength(11);
  });

  it("names the variants after the struct: anon_folio, anon_folio_large and anon_folio_hugetlb", () => {
    const anon = memdescFolio("anon_folio");
    expect([anon.small.name, anon.large.name, anon.hugetlb.name]).toEqual([
      "anon_folio",
      "anon_folio_large",
      "anon_folio_hugetlb",
    ]);
  });
});
