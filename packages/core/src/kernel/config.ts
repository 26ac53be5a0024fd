import type { KernelConfig } from "../layout/types.js";

/**
 * Linux 6.18 on x86-64 as distributions build it: memcg, slab object extensions, aligned struct page (for
 * slab's cmpxchg_double), no lock debugging (so `spinlock_t` is 4 bytes).
 */
export const linux618: KernelConfig = {
  CONFIG_MMU: true,
  CONFIG_MEMCG: true,
  CONFIG_SLAB_OBJ_EXT: true,
  CONFIG_HAVE_ALIGNED_STRUCT_PAGE: true,
  CONFIG_TRANSPARENT_HUGEPAGE: true,
  CONFIG_HUGETLB_PAGE: true,
  // x86-64 selects ARCH_WANT_HUGE_PMD_SHARE, so hugetlb's shared PMD tables count sharers in the ptdesc.
  CONFIG_HUGETLB_PMD_PAGE_TABLE_SHARING: true,
  CONFIG_PAGE_MAPCOUNT: true,
  CONFIG_SPLIT_PTE_PTLOCKS: true,
  // SLUB's per-CPU partial lists (struct slab's next/slabs arm) and its double-word cmpxchg of
  // freelist+counters (struct slab's freelist_aba_t), both on in the measured kernel's /proc/config.gz.
  CONFIG_SLUB_CPU_PARTIAL: true,
  CONFIG_HAVE_CMPXCHG_DOUBLE: true,
  SPINLOCK_SIZE: 4,
};

/**
 * The kernel the shipped reference layouts were measured on (`6.18.44-fc`, a Firecracker guest): upstream
 * 6.18 plus a vendor patch that adds `page.buddy_since` in the union with `__folio_index`.
 */
export const linux618Measured: KernelConfig = {
  ...linux618,
  VENDOR_PAGE_BUDDY_SINCE: true,
};

export const kernelConfigs: Readonly<Record<string, KernelConfig>> = {
  "linux-6.18": linux618,
  "linux-6.18-measured": linux618Measured,
};
