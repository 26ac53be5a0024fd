/**
 * What a page of memory is used for, as a survey or a simulation sees it. Descriptor plugins declare which
 * uses they describe (`@memdesc/folio` describes `file` and `anon`); the built-in inline kinds take the rest.
 */
export const memoryUses = {
  free: "free (buddy) pages",
  pcp: "free pages on per-CPU lists (per_cpu_pages): free, but out of the buddy free lists",
  file: "page-cache folios",
  anon: "anonymous folios",
  ksm: "KSM-merged anonymous folios",
  slab: "slab pages",
  largeKmalloc: "large kmalloc allocations (PGTY_large_kmalloc: kmalloc of more than two pages)",
  pagetable: "CPU page-table pages",
  hugetlb: "hugetlb folios",
  iommu: "IOMMU page-table pages",
  zsmalloc: "zsmalloc backing pages",
  netmem: "page_pool / netmem pages",
  reserved: "reserved pages",
  zero: "the shared zero page",
  offline: "offline (ballooned or unplugged) pages",
  hwpoison: "hardware-poisoned pages",
  compound: "other compound pages (large kmalloc, driver __GFP_COMP)",
  kernel: "untyped kernel memory (vmalloc, stacks, per-CPU free lists, plain alloc_pages)",
  uninit: "memory whose struct pages are not initialised yet (deferred init)",
  hole: "PFNs with no RAM behind them",
} as const;

export type MemoryUse = keyof typeof memoryUses;

export const memoryUseNames = Object.keys(memoryUses) as MemoryUse[];

/** Uses that have no struct page at all, so no design pays for them. */
export const unbackedUses: ReadonlySet<MemoryUse> = new Set(["hole"]);
