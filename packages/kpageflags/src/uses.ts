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
 * Uses that kpageflags cannot show: the kernel keeps them apart with page types or owners it does not export.
 * `countedAs` is where their pages land in a survey instead. They are the kernel's (IOMMU page tables, zsmalloc,
 * page_pool), which plugins declare as uses of their own (`iommu` by @memdesc/ioptdesc).
 */
export const unseenUses = {
  zsmalloc: {
    why: "zsmalloc pages (zpdesc) carry a page type that kpageflags does not export; they are order-0 and never compound",
    countedAs: ["kernel"],
  },
  iommu: {
    why: "IOMMU page tables (ioptdesc) have no kpageflags bit; those of order > 0 are compound (__folio_alloc_node)",
    countedAs: ["kernel", "compound"],
  },
  netmem: {
    why: "page_pool / netmem pages have no kpageflags bit; those mapped to user space (TCP zero-copy receive) show MMAP",
    countedAs: ["kernel", "compound", "file"],
  },
} as const satisfies Record<string, { why: string; countedAs: readonly SurveyUse[] }>;

export type UnseenUse = keyof typeof unseenUses;

/** Large kmalloc is not a use of its own in core, but kpageflags hides it inside `compound`; say so. */
export const largeKmallocNote =
  "large kmalloc allocations (a page type kpageflags does not export) are counted in `compound`";

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
type Uncovered = Exclude<CoreMemoryUse, SurveyUse | UnseenUse>;
const everyUseCovered: [Uncovered] extends [never] ? true : Uncovered = true;
void everyUseCovered;

export const useIndex: Readonly<Record<SurveyUse, number>> = Object.fromEntries(
  surveyUses.map((u, i) => [u, i]),
) as Record<SurveyUse, number>;
