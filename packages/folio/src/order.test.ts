import { MAX_PAGE_ORDER } from "@memdesc/core";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { FolioError } from "./errors.js";
import {
  folioFieldPlace,
  folioFieldPlaces,
  folioNrPages,
  folioOrder,
  hugetlbOrders,
  isFolioOrder,
  largeFieldsAt,
  largeFolioFieldPlaces,
  maxFolioOrder,
  minOrderForPage,
  needsLargeDescriptor,
} from "./order.js";

const folioOrders = fc.oneof(fc.integer({ min: 0, max: MAX_PAGE_ORDER }), fc.constantFrom(...hugetlbOrders));

describe("order ↔ nr_pages", () => {
  it("round-trips every folio order", () => {
    fc.assert(
      fc.property(folioOrders, (order) => {
        const n = folioNrPages(order);
        expect(n).toBe(2 ** order);
        expect(folioOrder(n)).toBe(order);
      }),
    );
  });

  it("knows which orders exist: 0..MAX_PAGE_ORDER and the hugetlb orders", () => {
    expect(maxFolioOrder).toBe(18);
    expect([...Array(20).keys()].filter(isFolioOrder)).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 18]);
    expect(isFolioOrder(-1)).toBe(false);
    expect(isFolioOrder(2.5)).toBe(false);
  });

  it("rejects page counts that are not a folio, with one typed error", () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 1 << 20 }), (n) => {
        fc.pre((n & (n - 1)) !== 0);
        expect(() => folioOrder(n)).toThrow(FolioError);
      }),
    );
    expect(() => folioOrder(2048)).toThrow(
      "2048 pages is order 11, which no folio has (0..10, or hugetlb 9 or 18)",
    );
    expect(() => folioOrder(0)).toThrow("0 pages is not a folio: a folio covers 2^order pages");
    expect(() => folioNrPages(12)).toThrow("order 12 is not a folio order (0..10, or hugetlb 9 or 18)");
  });
});

describe("where today's folio fields live", () => {
  it("puts each large-folio field in the tail page and cacheline the header gives it (x86-64)", () => {
    const places = largeFolioFieldPlaces().filter(
      (p) => !p.field.startsWith("_flags_") && !p.field.startsWith("_head_"),
    );
    expect(places.map((p) => [p.field, p.page, p.cacheline, p.pageOffset, p.minOrder])).toEqual([
      ["_large_mapcount", 1, 1, 16, 1],
      ["_nr_pages_mapped", 1, 1, 20, 1],
      ["_entire_mapcount", 1, 1, 24, 1],
      ["_pincount", 1, 1, 28, 1],
      ["_mm_id_mapcount", 1, 1, 32, 1],
      ["_mm_id", 1, 1, 40, 1],
      ["_mm_ids", 1, 1, 40, 1],
      ["_usable_1", 1, 1, 16, 1],
      ["_mapcount_1", 1, 1, 48, 1],
      ["_refcount_1", 1, 1, 52, 1],
      ["_nr_pages", 1, 1, 56, 1],
      ["_deferred_list", 2, 2, 16, 2],
      ["_hugetlb_subpool", 3, 3, 16, 2],
      ["_hugetlb_cgroup", 3, 3, 24, 2],
      ["_hugetlb_cgroup_rsvd", 3, 3, 32, 2],
      ["_hugetlb_hwpoison", 3, 3, 40, 2],
    ]);
  });

  it("lists only the folio's own fields: not the struct page views, not members of typedef'd structs", () => {
    const fields = folioFieldPlaces().map((p) => p.field);
    expect(fields).toContain("lru");
    expect(fields.some((f) => f.includes("."))).toBe(false);
    expect(fields.some((f) => /^(page|__page_\d)$/.test(f))).toBe(false);
    expect(folioFieldPlace("memcg_data")).toMatchObject({ page: 0, cacheline: 0, minOrder: 0, offset: 56 });
  });

  it("on i386 a struct page is 40 bytes, so pages and cachelines part ways", () => {
    const p = folioFieldPlace("_entire_mapcount", { abi: "ilp32" });
    expect(p).toMatchObject({ offset: 96, page: 2, pageOffset: 16, cacheline: 1, minOrder: 2 });
    expect(folioFieldPlace("_nr_pages", { abi: "ilp32" })).toMatchObject({
      page: 1,
      cacheline: 1,
      offset: 72,
    });
  });

  it("names the field it cannot find", () => {
    expect(() => folioFieldPlace("_folio_nr_pages")).toThrow(
      new FolioError("UNKNOWN_FIELD", "struct folio has no field _folio_nr_pages (lp64)"),
    );
  });

  it("page k of a folio exists from order ceil(log2(k + 1))", () => {
    expect([0, 1, 2, 3, 4, 7, 8].map(minOrderForPage)).toEqual([0, 1, 2, 2, 3, 3, 4]);
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 1 << 18 }), (k) => {
        const o = minOrderForPage(k);
        expect(2 ** o).toBeGreaterThan(k);
        if (o > 0) expect(2 ** (o - 1)).toBeLessThanOrEqual(k);
      }),
    );
  });
});

describe("when the 8-byte design needs the large descriptor", () => {
  it("from order 1: an order-1 folio already has first-tail-page state, order 0 has none", () => {
    expect(needsLargeDescriptor(0)).toBe(false);
    expect(largeFieldsAt(0)).toEqual([]);
    expect(needsLargeDescriptor(1)).toBe(true);
    expect(largeFieldsAt(1).every((p) => p.page === 1)).toBe(true);
    expect(largeFieldsAt(2).map((p) => p.field)).toContain("_deferred_list");
    fc.assert(fc.property(folioOrders, (order) => needsLargeDescriptor(order) === order > 0));
  });

  it("is the same on i386", () => {
    expect([0, 1, 2, 9].map((o) => needsLargeDescriptor(o, { abi: "ilp32" }))).toEqual([
      false,
      true,
      true,
      true,
    ]);
  });

  it("rejects an order no folio has", () => {
    expect(() => needsLargeDescriptor(19)).toThrow(FolioError);
  });
});
