import { c, type MemberSpec, page } from "@memdesc/core";

/*
 * struct folio as in Linux 6.18 (`include/linux/mm_types.h`). A folio overlays the struct pages of the memory
 * it describes: the head page, and for large folios up to three tail pages, each of its four unions pairing the
 * folio's own fields with the `struct page` it reuses. The `#ifdef`s are the header's own, so the same
 * description lays out for 32-bit kernels too.
 */

/** `mm_id_mapcount_t`: `int` on 64-bit kernels, `short` on 32-bit ones (MM IDs are limited to 15 bits there). */
export const mmIdMapcountT = {
  lp64: c.typedef("mm_id_mapcount_t", c.int),
  ilp32: c.typedef("mm_id_mapcount_t", c.short),
} as const;

/** `mm_id_t`: `unsigned int` on 64-bit kernels, `unsigned short` on 32-bit ones. */
export const mmIdT = {
  lp64: c.typedef("mm_id_t", c.uint),
  ilp32: c.typedef("mm_id_t", c.ushort),
} as const;

/**
 * The two MM owner slots of a large folio (`_mm_id_mapcount[2]`, and `_mm_id[2]` aliased by `_mm_ids` for
 * bit_spin_lock()), whose element types shrink on 32-bit.
 */
export const mmIdMembers: readonly MemberSpec[] = [
  c.ifdef("CONFIG_64BIT", [["_mm_id_mapcount", c.array(mmIdMapcountT.lp64, 2)]]),
  c.ifdef("!CONFIG_64BIT", [["_mm_id_mapcount", c.array(mmIdMapcountT.ilp32, 2)]]),
  c.union([
    c.ifdef("CONFIG_64BIT", [["_mm_id", c.array(mmIdT.lp64, 2)]]),
    c.ifdef("!CONFIG_64BIT", [["_mm_id", c.array(mmIdT.ilp32, 2)]]),
    ["_mm_ids", c.ulong],
  ]),
];

/**
 * `NR_PAGES_IN_LARGE_FOLIO` is defined when `CONFIG_MEMCG || CONFIG_SLAB_OBJ_EXT`: the first tail page then has
 * room for `_nr_pages` after its refcount. Written as two exclusive `#ifdef`s because configurations are
 * conjunctions.
 */
const nrPagesInLargeFolio = (members: readonly MemberSpec[]): MemberSpec[] => [
  c.ifdef("CONFIG_MEMCG", members),
  c.ifdef("!CONFIG_MEMCG&&CONFIG_SLAB_OBJ_EXT", members),
];

/** `struct folio` of Linux 6.18: 256 bytes on x86-64, four unions each overlaying one `struct page`. */
export const folioToday = c.struct("folio", [
  // The head page.
  c.union([
    c.struct([
      ["flags", c.memdescFlags],
      c.union([
        ["lru", c.listHead],
        // The unevictable "LRU list" slot; __filler is always even, so it never looks like a tail page.
        c.struct([
          ["__filler", c.ptr()],
          ["mlock_count", c.uint],
        ]),
        ["pgmap", "struct dev_pagemap *"],
      ]),
      ["mapping", "struct address_space *"],
      c.union([
        ["index", c.ulong],
        ["share", c.ulong],
      ]),
      c.union([
        ["private", c.ptr()],
        ["swap", c.swpEntry],
      ]),
      ["_mapcount", c.atomic],
      ["_refcount", c.atomic],
      c.ifdef("CONFIG_MEMCG", [["memcg_data", c.ulong]]),
      c.ifdef("!CONFIG_MEMCG&&CONFIG_SLAB_OBJ_EXT", [["_unused_slab_obj_exts", c.ulong]]),
      c.ifdef("WANT_PAGE_VIRTUAL", [["virtual", c.ptr()]]),
      c.ifdef("LAST_CPUPID_NOT_IN_PAGE_FLAGS", [["_last_cpupid", c.int]]),
    ]),
    ["page", page],
  ]),
  // The first tail page: the large-folio rmap counters live in the words of its main union.
  c.union([
    c.struct([
      ["_flags_1", c.ulong],
      ["_head_1", c.ulong],
      c.union([
        c.struct([
          ["_large_mapcount", c.atomic],
          ["_nr_pages_mapped", c.atomic],
          // On 32-bit these two move to the second tail page: four words there hold only 16 bytes.
          c.ifdef("CONFIG_64BIT", [
            ["_entire_mapcount", c.atomic],
            ["_pincount", c.atomic],
          ]),
          ...mmIdMembers,
        ]),
        ["_usable_1", c.array(c.ulong, 4)],
      ]),
      ["_mapcount_1", c.atomic],
      ["_refcount_1", c.atomic],
      ...nrPagesInLargeFolio([["_nr_pages", c.uint]]),
    ]),
    ["__page_1", page],
  ]),
  // The second tail page (order ≥ 2): the deferred-split list.
  c.union([
    c.struct([
      ["_flags_2", c.ulong],
      ["_head_2", c.ulong],
      ["_deferred_list", c.listHead],
      c.ifdef("!CONFIG_64BIT", [
        ["_entire_mapcount", c.atomic],
        ["_pincount", c.atomic],
      ]),
    ]),
    ["__page_2", page],
  ]),
  // The third tail page (order ≥ 2): hugetlb's per-folio data. Present in every configuration in 6.18.
  c.union([
    c.struct([
      ["_flags_3", c.ulong],
      ["_head_3", c.ulong],
      ["_hugetlb_subpool", c.ptr()],
      ["_hugetlb_cgroup", c.ptr()],
      ["_hugetlb_cgroup_rsvd", c.ptr()],
      ["_hugetlb_hwpoison", c.ptr()],
    ]),
    ["__page_3", page],
  ]),
]);

/** The names of the `struct page` members a folio overlays, head page first: `page`, `__page_1`, … */
export const folioPageMembers: readonly string[] = (folioToday.members ?? []).map((m) => {
  const arms = m.type.kind === "union" ? (m.type.members ?? []) : [];
  const pageArm = arms.find((a) => a.type === page);
  if (!pageArm?.name) throw new Error("every top-level union of struct folio overlays a struct page");
  return pageArm.name;
});
