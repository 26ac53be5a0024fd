/**
 * What a page of memory is used for, as the kernel's memory management tells its pages apart (page flags, page
 * types, vmstat): core's uses. Descriptor plugins declare which uses they describe (`@memdesc/folio` describes
 * `file` and `anon`); a plugin for memory core does not name declares a use of its own (`@memdesc/ioptdesc`'s
 * `iommu`), and the built-in inline kinds take the rest.
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
  reserved: "reserved pages",
  zero: "the shared zero page",
  offline: "offline (ballooned or unplugged) pages",
  hwpoison: "hardware-poisoned pages",
  compound: "other compound pages (large kmalloc, driver __GFP_COMP)",
  kernel: "untyped kernel memory (vmalloc, stacks, per-CPU free lists, plain alloc_pages)",
  uninit: "memory whose struct pages are not initialised yet (deferred init)",
  hole: "PFNs with no RAM behind them",
} as const;

/** One of core's memory uses. */
export type CoreMemoryUse = keyof typeof memoryUses;

/** A memory use: one of core's, or one a plugin declares (`iommu`, declared by `@memdesc/ioptdesc`). */
export type MemoryUse = CoreMemoryUse | (string & {});

export const memoryUseNames = Object.keys(memoryUses) as CoreMemoryUse[];

/** Whether `use` is one of core's uses. */
export const isCoreUse = (use: string): use is CoreMemoryUse => Object.hasOwn(memoryUses, use);

/**
 * How a use is named: lower-case letters first, then letters, digits and dashes (`iommu`, `largeKmalloc`,
 * `my-pages`).
 */
export const useNamePattern = /^[a-z][A-Za-z0-9-]*$/;

/**
 * The uses of a set of plugins, in the order bills list them: core's uses up to `hugetlb` (the memory descriptors
 * describe), then the uses the plugins declare in the order they come, then core's uses that no descriptor
 * describes (reserved pages, holes …).
 */
export function orderUses(declared: readonly string[]): string[] {
  const cut = memoryUseNames.indexOf("hugetlb") + 1;
  const extra = [...new Set(declared)].filter((u) => !isCoreUse(u));
  return [...memoryUseNames.slice(0, cut), ...extra, ...memoryUseNames.slice(cut)];
}

/** Uses that have no struct page at all, so no design pays for them. */
export const unbackedUses: ReadonlySet<MemoryUse> = new Set(["hole"]);
