import { type AggregateType, c, type MemberSpec } from "@memdesc/core";
import { mmIdMembers } from "./today.js";

/*
 * The separately allocated struct folio of the memdesc designs (32-byte and 8-byte struct page), built from
 * field lists so their sizes are laid out, not assumed.
 */

/**
 * The folio of the Memdescs/Path page (kernelnewbies, print revision; docs/kernel.md, "The planned folio"), in its order and
 * with its types: 80 bytes on 64-bit. The page calls the pin count `pincount`; it is `_pincount` here as in
 * today's folio and in the FolioAlloc initialisation sequence.
 */
export const folioSmallFields: readonly MemberSpec[] = [
  ["flags", c.ulong],
  ["lru", c.listHead],
  ["mapping", "struct address_space *"],
  ["index", c.pgoffT],
  ["private", c.ptr()],
  ["_refcount", c.uint],
  ["_mapcount", c.uint],
  ["_pincount", c.uint],
  ["order", c.uchar],
  ["pfn", c.ulong],
  ["memcg", "struct mem_cgroup *"],
];

/**
 * Today's large-folio fields (docs/kernel.md, "Descriptor sizes in the memdesc era"), as a kernel developer would append them: the four 4-byte
 * counters together (`_nr_pages` beside the rmap counters rather than after `_refcount_1`), then the MM owner
 * slots and the deferred-split list. `_pincount` is already among the small fields. 48 bytes on 64-bit.
 */
export const folioLargeFields: readonly MemberSpec[] = [
  ["_large_mapcount", c.atomic],
  ["_nr_pages_mapped", c.atomic],
  ["_entire_mapcount", c.atomic],
  ["_nr_pages", c.uint],
  ...mmIdMembers,
  ["_deferred_list", c.listHead],
];

/** hugetlb's per-folio pointers, today in the third tail page; the large folio of docs/kernel.md leaves them out. */
export const folioHugetlbFields: readonly MemberSpec[] = [
  ["_hugetlb_subpool", c.ptr()],
  ["_hugetlb_cgroup", c.ptr()],
  ["_hugetlb_cgroup_rsvd", c.ptr()],
  ["_hugetlb_hwpoison", c.ptr()],
];

export interface MemdescFolioParts {
  /** Appended to both the small and the large folio. */
  readonly extraFields?: readonly MemberSpec[];
  /** Appended to the large folio only, after `extraFields`. */
  readonly extraLargeFields?: readonly MemberSpec[];
  /** Give the large folio today's four hugetlb pointers too. */
  readonly hugetlbFields?: boolean;
}

/** The small and large memdesc-era folio, named `<name>` and `<name>_large` (`folio`, `anon_folio`). */
export function memdescFolio(
  name: string,
  parts: MemdescFolioParts = {},
): { readonly small: AggregateType; readonly large: AggregateType } {
  const extra = parts.extraFields ?? [];
  return {
    small: c.struct(name, [...folioSmallFields, ...extra]),
    large: c.struct(`${name}_large`, [
      ...folioSmallFields,
      ...folioLargeFields,
      ...(parts.hugetlbFields ? folioHugetlbFields : []),
      ...extra,
      ...(parts.extraLargeFields ?? []),
    ]),
  };
}
