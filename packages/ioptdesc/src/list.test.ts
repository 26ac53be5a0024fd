import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  type IommuPage,
  type IommuPagesList,
  iommuPagesListAdd,
  iommuPagesListEmpty,
  iommuPagesListInit,
  iommuPagesListSplice,
  iommuPutPagesList,
} from "./list.js";

const pg = (virt: number, order = 0, incoherent = false): IommuPage => ({ virt, order, incoherent });
const listOf = (pages: readonly IommuPage[]) => pages.reduce(iommuPagesListAdd, iommuPagesListInit());
const virts = (l: IommuPagesList) => l.pages.map((p) => Number(p.virt));

describe("iommu_pages_list", () => {
  it("starts empty (IOMMU_PAGES_LIST_INIT) and adds at the tail", () => {
    const empty = iommuPagesListInit();
    expect(iommuPagesListEmpty(empty)).toBe(true);
    const l = listOf([pg(0x1000), pg(0x2000), pg(0x3000)]);
    expect(iommuPagesListEmpty(l)).toBe(false);
    expect(virts(l)).toEqual([0x1000, 0x2000, 0x3000]);
    expect(iommuPagesListEmpty(empty)).toBe(true);
    expect(Object.isFrozen(l) && Object.isFrozen(l.pages)).toBe(true);
  });

  it("splices from's pages to the front of to and leaves a non-empty from stale", () => {
    const from = listOf([pg(1), pg(2)]);
    const to = listOf([pg(3)]);
    const r = iommuPagesListSplice(from, to);
    expect(virts(r.to)).toEqual([1, 2, 3]);
    expect(r.from.stale).toBe("iommu_pages_list_splice");
    expect(() => iommuPagesListEmpty(r.from)).toThrow(
      "iommu_pages_list_empty: this list head was left pointing at pages it no longer owns by iommu_pages_list_splice(); re-initialise it with IOMMU_PAGES_LIST_INIT before reuse",
    );
    expect(() => iommuPagesListAdd(r.from, pg(9))).toThrow(/^iommu_pages_list_add: this list head/);
  });

  it("leaves an empty from usable, as list_splice does nothing for it", () => {
    const to = listOf([pg(3)]);
    const r = iommuPagesListSplice(iommuPagesListInit(), to);
    expect(r.to).toBe(to);
    expect(iommuPagesListEmpty(r.from)).toBe(true);
  });

  it("frees every page in list order and leaves the head stale", () => {
    const l = listOf([pg(0x10000, 2), pg(0x20000, 0), pg(0x30000, 1)]);
    const r = iommuPutPagesList(l);
    expect(r.freed.map((p) => p.virt)).toEqual([0x10000, 0x20000, 0x30000]);
    expect(r.pagesFreed).toBe(7);
    expect(r.stats).toEqual({ NR_IOMMU_PAGES: -7, NR_SECONDARY_PAGETABLE: -7 });
    expect(r.warnings).toEqual([]);
    expect(() => iommuPutPagesList(r.list)).toThrow(/by iommu_put_pages_list\(\); re-initialise/);
  });

  it("warns once when the DMA API is used and a page is freed still incoherent", () => {
    const l = listOf([pg(0x1000, 0, true), pg(0x2000, 0, true)]);
    expect(iommuPutPagesList(l).warnings).toEqual([]);
    expect(iommuPutPagesList(l, { useDmaApi: true }).warnings).toEqual([
      "__iommu_free_desc: WARN_ON_ONCE(iopt->incoherent) for page 0x1000: freed while still DMA-mapped; use iommu_pages_stop_incoherent_list() first",
    ]);
  });

  it("refuses to link a page twice, and bad pages", () => {
    const l = listOf([pg(0x1000)]);
    expect(() => iommuPagesListAdd(l, pg(0x1000, 3))).toThrow(
      "iommu_pages_list_add: page 0x1000 is already on this list; its one iopt_freelist_elm cannot be linked twice",
    );
    expect(() => iommuPagesListSplice(l, listOf([pg(0x1000)]))).toThrow(
      "iommu_pages_list_splice: page 0x1000 is on both lists; a page has one iopt_freelist_elm",
    );
    expect(() => iommuPagesListAdd(l, { virt: -1, order: 0 })).toThrow(
      "iommu_pages_list_add: virt must be an address ≥ 0, got -1",
    );
    expect(() => iommuPagesListAdd(l, { virt: 5, order: 0.5 })).toThrow(/order must be a whole number/);
    expect(virts(iommuPagesListAdd(l, { virt: 0xffff888000000000n, order: 0 }))).toHaveLength(2);
  });

  const pageSets = fc
    .uniqueArray(fc.integer({ min: 0, max: 2 ** 32 }), { maxLength: 40 })
    .chain((vs) =>
      fc.tuple(
        fc.constant(vs),
        fc.array(fc.integer({ min: 0, max: 10 }), { minLength: vs.length, maxLength: vs.length }),
        fc.nat({ max: vs.length }),
      ),
    )
    .map(([vs, orders, cut]) => {
      const pages = vs.map((v, i) => pg(v * 4096, orders[i]!));
      return { a: pages.slice(0, cut), b: pages.slice(cut) };
    });

  it("behaves as list_add_tail, list_splice and list_empty on a model (property)", () => {
    fc.assert(
      fc.property(pageSets, ({ a, b }) => {
        const la = listOf(a);
        const lb = listOf(b);
        expect(la.pages).toEqual(a);
        expect(iommuPagesListEmpty(la)).toBe(a.length === 0);
        const { from, to } = iommuPagesListSplice(la, lb);
        expect(to.pages).toEqual([...a, ...b]);
        expect(from.stale !== undefined).toBe(a.length > 0);
        const put = iommuPutPagesList(to);
        expect(put.freed).toEqual([...a, ...b]);
        expect(put.pagesFreed).toBe([...a, ...b].reduce((n, p) => n + 2 ** p.order, 0));
        // The inputs were not changed.
        expect(la.pages).toEqual(a);
        expect(lb.pages).toEqual(b);
      }),
    );
  });
});
