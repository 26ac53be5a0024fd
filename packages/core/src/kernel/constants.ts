/** x86-64 constants of Linux 6.18, measured (docs/kernel.md, "Platform constants"). */

/** PAGE_SHIFT: 4 KiB pages. */
export const PAGE_SHIFT = 12;
/** PAGE_SIZE */
export const PAGE_SIZE = 1 << PAGE_SHIFT;
/** MAX_PAGE_ORDER: the buddy allocator's largest block is 2^10 pages (4 MiB); /proc/buddyinfo has 11 columns. */
export const MAX_PAGE_ORDER = 10;
/** pageblock_order: 2 MiB pageblocks. */
export const PAGEBLOCK_ORDER = 9;
/** HPAGE_PMD_ORDER: a PMD-mapped THP or 2 MiB hugetlb page. */
export const HPAGE_PMD_ORDER = 9;
/** The order of a 1 GiB (PUD-sized) hugetlb page. */
export const HPAGE_PUD_ORDER = 18;
/** sizeof(struct page) today. */
export const STRUCT_PAGE_SIZE = 64;
