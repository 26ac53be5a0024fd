import {
  type AggregateType,
  c,
  type DescriptorProvenance,
  deriveMembers,
  inferred,
  kernel,
  type MemberSpec,
  pfnMember,
} from "@memdesc/core";

/**
 * The members of `struct ptdesc` (include/linux/mm_types.h, Linux 6.18), in order. Where the source writes
 * `pgoff_t pt_index`, the 6.18 BTF records `long unsigned int`, and so does this description.
 *
 * - `pt_flags`: node, zone and section in the high bits, as in `page->flags`.
 * - `pt_rcu_head` / `pt_list` / `{ _pt_pad_1, pmd_huge_pte }`: RCU freeing of page tables; the x86 pgd list
 *   and s390 gmap lists; THP's deposited PTE table (`pmd_huge_pte`) behind a pad that keeps
 *   `compound_head` bit 0 clear.
 * - `__page_mapping`: only keeps `page->mapping` clear.
 * - `pt_index` (s390 gmap) / `pt_mm` (x86 pgds) / `pt_frag_refcount` (powerpc fragments) / `pt_share_count`
 *   (hugetlb PMD sharing, `CONFIG_HUGETLB_PMD_PAGE_TABLE_SHARING`).
 * - `_pt_pad_2` / `ptl`: the split page-table lock, inline unless `spinlock_t` is larger than a long
 *   (`ALLOC_SPLIT_PTLOCKS`, lock debugging), when it is a pointer to a separately allocated lock.
 * - `__page_type`, `__page_refcount`: struct page's, unused for page tables.
 * - `pt_memcg_data` (`CONFIG_MEMCG`): memcg accounting of page tables.
 */
export const ptdescMembers = [
  ["pt_flags", c.memdescFlags],
  c.union([
    ["pt_rcu_head", c.rcuHead],
    ["pt_list", c.listHead],
    c.struct([
      ["_pt_pad_1", c.ulong],
      ["pmd_huge_pte", c.pgtable],
    ]),
  ]),
  ["__page_mapping", c.ulong],
  c.union([
    ["pt_index", c.ulong],
    ["pt_mm", "struct mm_struct *"],
    ["pt_frag_refcount", c.atomic],
    c.ifdef("CONFIG_HUGETLB_PMD_PAGE_TABLE_SHARING", [["pt_share_count", c.atomic]]),
  ]),
  c.union([
    ["_pt_pad_2", c.ulong],
    c.ifdef("ALLOC_SPLIT_PTLOCKS", [["ptl", c.ptr(c.spinlock)]]),
    c.ifdef("!ALLOC_SPLIT_PTLOCKS", [["ptl", c.spinlock]]),
  ]),
  ["__page_type", c.uint],
  ["__page_refcount", c.atomic],
  c.ifdef("CONFIG_MEMCG", [["pt_memcg_data", c.ulong]]),
] as const satisfies readonly MemberSpec[];

/** `struct ptdesc` as Linux 6.18 defines it: 64 bytes on x86-64, overlaying struct page. */
export const ptdescToday: AggregateType = c.struct("ptdesc", ptdescMembers);

/**
 * Members a ptdesc carries only to overlay struct page: `__page_mapping` keeps `page->mapping` clear,
 * `__page_type` and `__page_refcount` are struct page's own. A separately allocated ptdesc drops them
 * (docs/kernel.md, "Descriptor sizes in the memdesc era": 8 + 16 + 8 + 8 + 8 = 48).
 */
export const ptdescOverlayOnly = ["__page_mapping", "__page_type", "__page_refcount"] as const;

export interface PtdescLayoutOptions {
  /** Keep every member of today's ptdesc in the separately allocated one (72 bytes instead of 56). */
  readonly keepAllFields?: boolean;
}

/**
 * The way back to a page table's memory: allocated apart from its page, a ptdesc needs the page's PFN for
 * `ptdesc_address()` / `ptdesc_page()`, and `pagetable_free()` to free it. Today the ptdesc is the page's own
 * struct page, so its address gives the PFN.
 */
export const ptdescPfnMember = pfnMember;

/**
 * The member list of the memdesc-era ptdesc: today's, less the overlay-only members unless kept, and the `pfn` of
 * its page.
 */
export function ptdescMemdescMembers(options: PtdescLayoutOptions = {}): readonly MemberSpec[] {
  return deriveMembers(ptdescMembers, {
    drop: options.keepAllFields ? [] : ptdescOverlayOnly,
    append: [ptdescPfnMember],
  });
}

/** Where ptdesc's layouts come from. */
export const ptdescProvenance: DescriptorProvenance = {
  today: kernel("include/linux/mm_types.h", "6.18"),
  memdesc: inferred(
    "today's ptdesc less __page_mapping, __page_type and __page_refcount, which only keep struct page's words; the plan points type 8 at struct ptdesc but publishes no field list",
    "include/linux/mm_types.h (6.18); kernelnewbies.org/MatthewWilcox/Memdescs",
  ),
  fields: {
    pfn: inferred(
      "allocated apart from its page, a ptdesc needs the page's PFN for ptdesc_address() and pagetable_free(), as the planned folio keeps pfn",
      "include/linux/mm.h ptdesc_address(), pagetable_free(); kernelnewbies.org/MatthewWilcox/Memdescs/Path (folio pfn)",
    ),
  },
};

/**
 * The separately allocated `struct ptdesc` of the 32- and 8-byte designs, laid out from its member list:
 * 48 bytes of fields and the 8-byte pfn, 56 on x86-64 (64 once rounded to 16), or 72 with `keepAllFields`.
 */
export function ptdescMemdesc(options: PtdescLayoutOptions = {}): AggregateType {
  return c.struct("ptdesc", ptdescMemdescMembers(options));
}
