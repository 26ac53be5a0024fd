import type { CountedUse, SurveyUse } from "../uses.js";
import type { Attribution, CounterRef, Ledger } from "./ledger.js";

/**
 * How each counted use's pages are found in the page map, in the order they are attributed (they share
 * `kernel`). The sources are what the kernel does with those pages, so where kpageflags puts them:
 *
 * - pcp: free pages on per-CPU lists read 0 (neither PageBuddy nor in a free block), so `kernel`, or
 *   `uninit` where they fill whole memory sections.
 * - zsmalloc: `alloc_zpdesc()` takes order-0 pages (mm/zsmalloc.c) with no kpageflags bit but PRIVATE on a
 *   zspage's first page: `kernel`. One zpdesc per page.
 * - iommu: `iommu_alloc_pages_node_sz()` (drivers/iommu/iommu-pages.c) takes a folio of get_order(size) with no
 *   page type: order 0 reads 0 (`kernel`), larger orders are compound (`compound`). One ioptdesc per
 *   allocation. Page tables are mostly order 0, so `kernel` is taken first (inferred).
 * - largeKmalloc: kmalloc of more than two pages (KMALLOC_SHIFT_HIGH is PAGE_SHIFT + 1, include/linux/slab.h)
 *   goes to the page allocator with __GFP_COMP (mm/slub.c, `___kmalloc_large_node`): compound pages of order
 *   2 or more, `compound` in the page map. Which compound pages they are cannot be seen; whole compound pages
 *   are taken, largest order first (an exact cover of the counted pages whenever one exists).
 */
export const attributionPlans: Readonly<
  Record<
    CountedUse,
    {
      readonly from: readonly { readonly use: SurveyUse; readonly minOrder?: number }[];
      readonly describe: boolean;
    }
  >
> = {
  pcp: { from: [{ use: "kernel" }, { use: "uninit" }], describe: false },
  zsmalloc: { from: [{ use: "kernel" }], describe: true },
  iommu: { from: [{ use: "kernel" }, { use: "compound", minOrder: 1 }], describe: true },
  largeKmalloc: { from: [{ use: "compound", minOrder: 2 }], describe: true },
};

export const attributionOrder: readonly CountedUse[] = ["pcp", "zsmalloc", "iommu", "largeKmalloc"];

/** Pages of a ledger a counted use could be taken from. */
export function available(ledger: Ledger, use: CountedUse): number {
  let n = 0;
  for (const src of attributionPlans[use].from)
    if (src.minOrder === undefined) n += ledger.pages(src.use);
    else
      ledger.orders(src.use).forEach((c, k) => {
        if (k >= src.minOrder!) n += c * 2 ** k;
      });
  return n;
}

/** Moves `pages` counted pages of a use out of the page-map uses that hold them, and says what it did. */
export function attributeUse(ledger: Ledger, use: CountedUse, pages: number, ref: CounterRef): Attribution {
  const plan = attributionPlans[use];
  const taken: { from: SurveyUse; pages: number; descriptors: number }[] = [];
  let left = pages;
  for (const src of plan.from) {
    if (left <= 0) break;
    if (src.minOrder === undefined) {
      const n = ledger.movePages(src.use, use, left, plan.describe);
      if (n > 0) taken.push({ from: src.use, pages: n, descriptors: plan.describe ? n : 0 });
      left -= n;
    } else {
      const m = ledger.moveCompound(src.use, use, left, src.minOrder);
      if (m.pages > 0) taken.push({ from: src.use, pages: m.pages, descriptors: m.descriptors });
      left -= m.pages;
    }
  }
  ledger.countedBy(use, ref);
  return { use, counter: ref.counter, file: ref.file, counted: pages, taken, short: left };
}

/**
 * Splits `total` pages among groups in order of preference, each taking what it has room for: a counter the
 * kernel keeps per node, placed in the node's zones highest first (the page allocator's fallback order for
 * GFP_KERNEL: Normal before DMA32 before DMA), or a machine-wide counter placed in cgroups, uncharged pages
 * first. What no group has room for stays with the first (and is reported short there).
 */
export function distribute(
  total: number,
  groups: readonly { id: number; room: number }[],
): Map<number, number> {
  const out = new Map<number, number>();
  let left = total;
  for (const g of groups) {
    const n = Math.min(left, Math.max(0, g.room));
    if (n > 0) out.set(g.id, n);
    left -= n;
  }
  if (left > 0 && groups.length > 0) {
    const first = groups[0]!.id;
    out.set(first, (out.get(first) ?? 0) + left);
  }
  return out;
}
