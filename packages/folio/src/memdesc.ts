import {
  type AggregateType,
  c,
  type DescriptorProvenance,
  inferred,
  kernel,
  type MemberSpec,
  plan,
} from "@memdesc/core";
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

/**
 * hugetlb's per-folio pointers, today in the fourth cacheline (the third tail page) of every hugetlb folio: its
 * subpool, its two cgroups and its hwpoison list. A hugetlb folio keeps them in the memdesc era, so it takes the
 * `hugetlb` variant: the large folio and these 32 bytes.
 */
export const folioHugetlbFields: readonly MemberSpec[] = [
  ["_hugetlb_subpool", c.ptr()],
  ["_hugetlb_cgroup", c.ptr()],
  ["_hugetlb_cgroup_rsvd", c.ptr()],
  ["_hugetlb_hwpoison", c.ptr()],
];

export interface MemdescFolioParts {
  /** Appended to every variant. */
  readonly extraFields?: readonly MemberSpec[];
  /** Appended to the large and hugetlb variants only, after `extraFields`. */
  readonly extraLargeFields?: readonly MemberSpec[];
}

/**
 * The memdesc-era folio's variants, named `<name>`, `<name>_large` and `<name>_hugetlb` (`folio`,
 * `anon_folio`): small for order 0, large above, and hugetlb for hugetlb folios of any order.
 */
export function memdescFolio(
  name: string,
  parts: MemdescFolioParts = {},
): { readonly small: AggregateType; readonly large: AggregateType; readonly hugetlb: AggregateType } {
  const extra = parts.extraFields ?? [];
  const large = [...folioSmallFields, ...folioLargeFields];
  return {
    small: c.struct(name, [...folioSmallFields, ...extra]),
    large: c.struct(`${name}_large`, [...large, ...extra, ...(parts.extraLargeFields ?? [])]),
    hugetlb: c.struct(`${name}_hugetlb`, [
      ...large,
      ...folioHugetlbFields,
      ...extra,
      ...(parts.extraLargeFields ?? []),
    ]),
  };
}

/**
 * How `struct anon_folio` is derived: the plan names it (type 3, Anon) but publishes no field list. Each of the
 * planned folio's fields is kept because anonymous memory uses it today; none is file-only. So anon_folio has
 * struct folio's field list, and its sizes: inferred, field by field, from these uses.
 */
export const anonFolioFieldUses: Readonly<Record<string, string>> = {
  flags: "swapbacked, swapcache, LRU, active and the rest of the folio flags",
  lru: "the anon LRU lists",
  mapping: "folio_anon_vma(): the anon_vma with PAGE_MAPPING_ANON in its low bit (or KSM's stable node)",
  index: "the linear page index rmap walks the anon_vma with",
  private: "folio->swap, the swap entry while in the swap cache (a union with private)",
  _refcount: "references",
  _mapcount: "page-table mappings",
  _pincount: "FOLL_PIN pins (GUP for DMA)",
  order: "folio_order()",
  pfn: "the way back to its memory",
  memcg: "memcg charging of anonymous memory",
  _large_mapcount: "mappings of a large anon folio",
  _nr_pages_mapped: "partially mapped large anon folios (deferred split)",
  _entire_mapcount: "PMD mappings of anon THPs",
  _nr_pages: "folio_nr_pages() of a large folio",
  _mm_id_mapcount: "the MM owner tracking of large anon folios (folio_maybe_mapped_shared)",
  _mm_ids: "the MM owner tracking of large anon folios",
  _deferred_list: "the deferred-split queue of partially mapped anon THPs",
};

const planFolio = plan(
  "kernelnewbies.org/MatthewWilcox/Memdescs/Path",
  "print revision",
  "and FolioAlloc (kernelnewbies.org/MatthewWilcox/FolioAlloc, last edited 2024-05-15)",
);
const largeFolio = inferred(
  "the plan's 80-byte folio and today's large-folio fields, which the plan says large folios will store after them",
  "kernelnewbies.org/MatthewWilcox/Memdescs/Path; include/linux/mm_types.h (6.18)",
);
const hugetlbFolio = inferred(
  "a hugetlb folio keeps its hugetlb fields (today in its fourth cacheline) once its folio is allocated apart: the large folio and them",
  "include/linux/mm_types.h (6.18): _hugetlb_subpool, _hugetlb_cgroup, _hugetlb_cgroup_rsvd, _hugetlb_hwpoison",
);

/** Where struct folio's layouts come from. */
export const folioProvenance: DescriptorProvenance = {
  today: kernel("include/linux/mm_types.h", "6.18"),
  memdesc: { small: planFolio, large: largeFolio, hugetlb: hugetlbFolio },
};

/** Where struct anon_folio's layouts come from: derived from the folio's, field by field (`anonFolioFieldUses`). */
export const anonFolioProvenance: DescriptorProvenance = {
  today: kernel("include/linux/mm_types.h", "6.18", "anonymous memory is described by struct folio today"),
  memdesc: {
    small: inferred(
      "struct anon_folio is named by the plan (Anon, type 3) but its fields are not published: each of the planned folio's fields is used by anonymous memory today (anonFolioFieldUses), and none is file-only, so it has the planned folio's list",
      "kernelnewbies.org/MatthewWilcox/Memdescs (current revision); Memdescs/Path folio",
    ),
    large: inferred(
      "as the small anon_folio, with today's large-folio fields, every one used by large anon folios (mapcounts, MM ids, the deferred-split list)",
      "include/linux/mm_types.h (6.18); mm/rmap.c; mm/huge_memory.c",
    ),
  },
};
