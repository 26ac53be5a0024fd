import { createRegistry, ValidationError } from "@memdesc/core";
import { describe, expect, it } from "vitest";
import { anonFolio, folio } from "./plugin.js";
import { folioValueSchema } from "./schema.js";

const issues = (v: unknown) => {
  const r = folioValueSchema.safeParse(v);
  return r.success ? [] : r.error.issues.map((i) => `${i.path.join(".")}: ${i.message}`);
};

describe("a folio's values", () => {
  it("accepts real folios and fills in defaults and nrPages", () => {
    expect(folioValueSchema.parse({ order: 0, refcount: 1 })).toEqual({
      order: 0,
      nrPages: 1,
      hugetlb: false,
      refcount: 1,
      mapcount: -1,
      pincount: 0,
    });
    expect(
      folioValueSchema.parse({
        order: 9,
        nrPages: 512,
        refcount: 3,
        mapcount: 0,
        entireMapcount: 0,
        nrPagesMapped: 0,
      }),
    ).toMatchObject({ nrPages: 512, entireMapcount: 0 });
    expect(folioValueSchema.parse({ order: 18, hugetlb: true, refcount: 1 }).nrPages).toBe(262_144);
    expect(folioValueSchema.parse({ order: 10, refcount: 0 }).nrPages).toBe(1024);
    expect(issues({ order: 2, refcount: 5, pincount: 5, nrPagesMapped: 4 })).toEqual([]);
  });

  it.each([
    [{ order: -1, refcount: 1 }, ["order: order cannot be negative"]],
    [{ order: -1, hugetlb: true, refcount: 1 }, ["order: order cannot be negative"]],
    [{ order: 1.5, refcount: 1 }, ["order: Invalid input: expected int, received number"]],
    [
      { order: 11, refcount: 1 },
      ["order: order 11 is above MAX_PAGE_ORDER (10) and is not a hugetlb order (9 or 18)"],
    ],
    [
      { order: 18, refcount: 1 },
      ["order: order 18 is above MAX_PAGE_ORDER (10); only a hugetlb folio (hugetlb: true) is that large"],
    ],
    [{ order: 3, hugetlb: true, refcount: 1 }, ["order: order 3 is not a hugetlb order on x86-64 (9 or 18)"]],
    [{ order: 3, nrPages: 7, refcount: 1 }, ["nrPages: nrPages must be 2^order = 8 for order 3, not 7"]],
    [{ order: 0, refcount: -1 }, ["refcount: refcount (_refcount) cannot be negative"]],
    [
      { order: 0, refcount: 1, mapcount: -2 },
      ["mapcount: mapcount (_mapcount) is -1 when unmapped and cannot be lower"],
    ],
    [{ order: 0, refcount: 1, pincount: -1 }, ["pincount: pincount (_pincount) cannot be negative"]],
    [
      { order: 0, refcount: 1, pincount: 2 },
      ["pincount: pincount 2 exceeds refcount 1: every pin holds a reference"],
    ],
    [
      { order: 0, refcount: 1, entireMapcount: 0 },
      ["entireMapcount: an order-0 folio has no _entire_mapcount (large folios only)"],
    ],
    [
      { order: 1, refcount: 1, entireMapcount: -2 },
      ["entireMapcount: entireMapcount (_entire_mapcount) cannot be lower than -1"],
    ],
    [
      { order: 0, refcount: 1, nrPagesMapped: 1 },
      ["nrPagesMapped: an order-0 folio has no _nr_pages_mapped (large folios only)"],
    ],
    [
      { order: 2, refcount: 1, nrPagesMapped: 5 },
      ["nrPagesMapped: nrPagesMapped 5 exceeds the folio's 4 pages"],
    ],
  ])("rejects %j", (value, expected) => {
    expect(issues(value)).toEqual(expected);
  });

  it("reports every broken constraint at once", () => {
    expect(issues({ order: 4, nrPages: 8, refcount: 0, pincount: 1 })).toEqual([
      "nrPages: nrPages must be 2^order = 16 for order 4, not 8",
      "pincount: pincount 1 exceeds refcount 0: every pin holds a reference",
    ]);
  });

  it("is what a registry validates folio and anon values with, naming the kind and plugin", () => {
    const r = createRegistry({ plugins: [folio(), anonFolio()] });
    expect(r.parse("anon", { order: 2, refcount: 1 }).nrPages).toBe(4);
    expect(() => r.parse("folio", { order: 2, refcount: -3 })).toThrow(
      new ValidationError(
        "BAD_VALUE",
        'folio value (plugin "@memdesc/folio")',
        folioValueSchema.safeParse({ order: 2, refcount: -3 }).error!.issues,
      ),
    );
    expect(() => r.parse("folio", { order: 2, refcount: -3 })).toThrow(
      'folio value (plugin "@memdesc/folio"): refcount: refcount (_refcount) cannot be negative',
    );
  });
});
