import fc from "fast-check";
import { describe, expect, it } from "vitest";
import type { UseTally } from "../classify.js";
import { billedUses, type SurveyUse, surveyUses } from "../uses.js";
import { account } from "./account.js";
import { distribute } from "./attribute.js";

const vm = (counter: string) => ({ counter, file: "/proc/vmstat" });

/** Page-map uses with the given tallies, the rest empty. */
function uses(given: Partial<Record<SurveyUse, UseTally>>): Record<SurveyUse, UseTally> {
  return Object.fromEntries(
    surveyUses.map((u) => [u, given[u] ?? { pages: 0, descriptors: 0, orders: [] }]),
  ) as Record<SurveyUse, UseTally>;
}

const compound = (orders: number[]): UseTally => ({
  pages: orders.reduce((s, n, k) => s + n * 2 ** k, 0),
  descriptors: orders.reduce((s, n) => s + n, 0),
  orders,
});

describe("attributing what the counters prove", () => {
  it("bills nr_iommu_pages as iommu: kernel pages first (order 0, one ioptdesc each), then compound pages", () => {
    const a = account(
      uses({ kernel: { pages: 12_001, descriptors: 0, orders: [] }, compound: compound([0, 10, 90]) }),
      {
        counted: { iommu: { pages: 12_345, ref: vm("nr_iommu_pages") } },
      },
    );
    expect(a.billed.iommu).toEqual({
      pages: 12_345,
      descriptors: 12_001 + 86,
      orders: [12_001, 0, 86],
      counted: vm("nr_iommu_pages"),
    });
    expect(a.billed.kernel.pages).toBe(0);
    expect(a.billed.compound).toMatchObject({ pages: 20 + 4 * 4, orders: [0, 10, 4] });
    expect(a.attributions).toEqual([
      {
        use: "iommu",
        counter: "nr_iommu_pages",
        file: "/proc/vmstat",
        counted: 12_345,
        taken: [
          { from: "kernel", pages: 12_001, descriptors: 12_001 },
          { from: "compound", pages: 344, descriptors: 86 },
        ],
        short: 0,
      },
    ]);
  });

  it("takes per-CPU pages and zsmalloc from kernel (pcp without descriptors) and says what it could not find", () => {
    const a = account(
      uses({
        kernel: { pages: 100, descriptors: 0, orders: [] },
        uninit: { pages: 50, descriptors: 0, orders: [] },
      }),
      {
        counted: {
          pcp: { pages: 120, ref: { counter: "pagesets count", file: "/proc/zoneinfo" } },
          zsmalloc: { pages: 7, ref: vm("nr_zspages") },
        },
      },
    );
    expect(a.billed.pcp).toMatchObject({ pages: 120, descriptors: 0 });
    expect(a.billed.uninit.pages).toBe(30);
    expect(a.billed.zsmalloc).toMatchObject({ pages: 0, descriptors: 0 });
    expect(a.attributions[1]).toMatchObject({ use: "zsmalloc", counted: 7, taken: [], short: 7 });
  });

  it("splits large kmalloc out of compound as whole compound pages of order 2 and up, exactly when it can be done", () => {
    fc.assert(
      fc.property(fc.array(fc.nat(6), { minLength: 1, maxLength: 8 }), fc.nat(400), (orders, want) => {
        const a = account(uses({ compound: compound(orders) }), {
          counted: {
            largeKmalloc: {
              pages: want,
              ref: vm("nr_slab_reclaimable + nr_slab_unreclaimable − slab pages"),
            },
          },
        });
        const got = a.billed.largeKmalloc;
        // What whole compound pages of order ≥ 2 can make, found by brute force.
        const reachable = new Set([0]);
        orders.forEach((n, k) => {
          if (k < 2) return;
          for (let i = 0; i < n; i++) for (const r of [...reachable]) reachable.add(r + 2 ** k);
        });
        expect(got.pages).toBeLessThanOrEqual(want);
        if (reachable.has(want)) expect(got.pages).toBe(want);
        expect(got.orders.slice(0, 2).every((n) => n === 0)).toBe(true);
        // Nothing is made or lost: the pages move.
        const total = (b: typeof a.billed) => billedUses.reduce((s, u) => s + b[u].pages, 0);
        expect(total(a.billed)).toBe(compound(orders).pages);
        expect(a.billed.compound.descriptors + got.descriptors).toBe(orders.reduce((s, n) => s + n, 0));
      }),
    );
  });

  it("bills free memory per free block, from buddyinfo, keeping what fits the pages found free", () => {
    const a = account(uses({ free: { pages: 1000, descriptors: 0, orders: [] } }), {
      counted: {},
      freeBlocks: {
        blocks: [10, 5, 0, 2, 0, 0, 0, 0, 0, 1],
        ref: { counter: "free_area nr_free", file: "/proc/buddyinfo" },
      },
    });
    expect(a.billed.free).toMatchObject({
      pages: 1000,
      descriptors: 18,
      orders: [10, 5, 0, 2, 0, 0, 0, 0, 0, 1],
    });
    const over = account(uses({ free: { pages: 520, descriptors: 0, orders: [] } }), {
      counted: {},
      freeBlocks: {
        blocks: [10, 5, 0, 2, 0, 0, 0, 0, 0, 1],
        ref: { counter: "free_area nr_free", file: "/proc/buddyinfo" },
      },
    });
    expect(over.billed.free.orders.reduce((s, n, k) => s + n * 2 ** k, 0)).toBeLessThanOrEqual(520);
    expect(over.freeBlocksTrimmed).toBeGreaterThan(0);
  });

  it("places a counter in groups in order of preference, each taking what it has room for", () => {
    expect([
      ...distribute(100, [
        { id: 2, room: 60 },
        { id: 0, room: 30 },
        { id: 1, room: 50 },
      ]),
    ]).toEqual([
      [2, 60],
      [0, 30],
      [1, 10],
    ]);
    expect([
      ...distribute(100, [
        { id: 2, room: 10 },
        { id: 0, room: 0 },
      ]),
    ]).toEqual([[2, 100]]);
  });
});
