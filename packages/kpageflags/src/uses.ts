import type { CoreMemoryUse, MemoryUse } from "@memdesc/core";

/**
 * The memory uses a kpageflags survey can tell apart, in the order the classifier numbers them. They are a
 * subset of core's `MemoryUse`; the rest are in {@link unseenUses}.
 */
export const surveyUses = [
  "free",
  "file",
  "anon",
  "ksm",
  "slab",
  "pagetable",
  "hugetlb",
  "reserved",
  "zero",
  "offline",
  "hwpoison",
  "compound",
  "kernel",
  "uninit",
  "hole",
] as const satisfies readonly MemoryUse[];

export type SurveyUse = (typeof surveyUses)[number];

/**
 * Uses kpageflags cannot show but the kernel counts: the survey attributes their pages from the counter
 * (taking them from the use the page map put them in) when it can read it. IOMMU page tables and zsmalloc pages
 * are the kernel's, though not core's uses: the plugins that describe them declare them (`iommu` by
 * @memdesc/ioptdesc), and a set without them has their pages billed as page entries, with a warning.
 */
export const countedUses = ["pcp", "iommu", "zsmalloc", "largeKmalloc"] as const;

export type CountedUse = (typeof countedUses)[number];

/** The uses a survey bills: the page map's, and the counted ones, in the order a bill lists them. */
export type BilledUse = SurveyUse | CountedUse;

export const billedUses: readonly BilledUse[] = [
  "free",
  "pcp",
  "file",
  "anon",
  "ksm",
  "slab",
  "largeKmalloc",
  "pagetable",
  "iommu",
  "zsmalloc",
  "hugetlb",
  "reserved",
  "zero",
  "offline",
  "hwpoison",
  "compound",
  "kernel",
  "uninit",
  "hole",
];

/**
 * What the survey says of a use it cannot see: why, where its pages are counted instead, and the counter that
 * would show it. page_pool (netmem) has no counter in /proc or /sys; the netdev netlink family's
 * `page-pool-get` reports its pages per pool.
 */
export const unseenUses = {
  pcp: {
    why: "free pages on per-CPU lists are neither PageBuddy nor in a free block, so they read 0",
    countedAs: ["kernel", "uninit"],
    counter: "count (per CPU) in /proc/zoneinfo",
    needs: ["/proc/zoneinfo"],
  },
  iommu: {
    why: "IOMMU page tables (ioptdesc) have no kpageflags bit; those of order > 0 are compound (__folio_alloc_node)",
    countedAs: ["kernel", "compound"],
    counter: "nr_iommu_pages in /proc/vmstat",
    needs: ["/proc/vmstat", "/proc/vmstat: nr_iommu_pages"],
  },
  zsmalloc: {
    why: "zsmalloc pages (zpdesc) carry a page type that kpageflags does not export; they are order-0 and never compound",
    countedAs: ["kernel"],
    counter: "nr_zspages in /proc/vmstat",
    needs: ["/proc/vmstat", "/proc/vmstat: nr_zspages"],
  },
  largeKmalloc: {
    why: "large kmalloc allocations carry a page type (PGTY_large_kmalloc) that kpageflags does not export",
    countedAs: ["compound"],
    counter: "nr_slab_reclaimable + nr_slab_unreclaimable in /proc/vmstat, less the slab pages",
    needs: ["/proc/vmstat"],
  },
  netmem: {
    why: "page_pool / netmem pages have no kpageflags bit and no /proc counter (netdev netlink page-pool-get has them); those mapped to user space (TCP zero-copy receive) show MMAP",
    countedAs: ["kernel", "compound", "file"],
    counter: undefined,
    needs: [],
  },
} as const satisfies Record<
  string,
  { why: string; countedAs: readonly SurveyUse[]; counter: string | undefined; needs: readonly string[] }
>;

export type UnseenUse = keyof typeof unseenUses;

/** Uses whose memory gets a descriptor of its own in the memdesc design: one per folio, slab or page table. */
export const describedUses: ReadonlySet<SurveyUse> = new Set<SurveyUse>([
  "file",
  "anon",
  "ksm",
  "slab",
  "pagetable",
  "hugetlb",
  "zero",
  "compound",
]);

// Every core use is either surveyed or listed as unseen; this fails to compile when core adds one.
type Uncovered =
  | Exclude<CoreMemoryUse, SurveyUse | UnseenUse>
  | Exclude<BilledUse, CoreMemoryUse | UnseenUse>;
const everyUseCovered: [Uncovered] extends [never] ? true : Uncovered = true;
void everyUseCovered;

export const useIndex: Readonly<Record<SurveyUse, number>> = Object.fromEntries(
  surveyUses.map((u, i) => [u, i]),
) as Record<SurveyUse, number>;
