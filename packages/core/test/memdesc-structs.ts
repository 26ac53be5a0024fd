import { c } from "../src/ctype/dsl.js";
import { page } from "../src/kernel/page.js";

/*
 * The memdesc-era structs of Linux 6.18 (`include/linux/mm_types.h`, `mm/slab.h`, `mm/zpdesc.h`,
 * `mm/zsmalloc.c`, `include/net/netmem.h`, `drivers/iommu/iommu-pages.h`), described here only to test the
 * pahole formatter against the shipped reference outputs. The plugin packages own the real descriptions.
 */

const ulong = c.ulong;

export const folio = c.struct("folio", [
  c.union([
    c.struct([
      ["flags", c.memdescFlags],
      c.union([
        ["lru", c.listHead],
        c.struct([
          ["__filler", c.ptr()],
          ["mlock_count", c.uint],
        ]),
        ["pgmap", "struct dev_pagemap *"],
      ]),
      ["mapping", "struct address_space *"],
      c.union([
        ["index", ulong],
        ["share", ulong],
      ]),
      c.union([
        ["private", c.ptr()],
        ["swap", c.swpEntry],
      ]),
      ["_mapcount", c.atomic],
      ["_refcount", c.atomic],
      ["memcg_data", ulong],
    ]),
    ["page", page],
  ]),
  c.union([
    c.struct([
      ["_flags_1", ulong],
      ["_head_1", ulong],
      c.union([
        c.struct([
          ["_large_mapcount", c.atomic],
          ["_nr_pages_mapped", c.atomic],
          ["_entire_mapcount", c.atomic],
          ["_pincount", c.atomic],
          ["_mm_id_mapcount", c.array(c.typedef("mm_id_mapcount_t", c.int), 2)],
          c.union([
            ["_mm_id", c.array(c.typedef("mm_id_t", c.uint), 2)],
            ["_mm_ids", ulong],
          ]),
        ]),
        ["_usable_1", c.array(ulong, 4)],
      ]),
      ["_mapcount_1", c.atomic],
      ["_refcount_1", c.atomic],
      ["_nr_pages", c.uint],
    ]),
    ["__page_1", page],
  ]),
  c.union([
    c.struct([
      ["_flags_2", ulong],
      ["_head_2", ulong],
      ["_deferred_list", c.listHead],
    ]),
    ["__page_2", page],
  ]),
  c.union([
    c.struct([
      ["_flags_3", ulong],
      ["_head_3", ulong],
      ["_hugetlb_subpool", c.ptr()],
      ["_hugetlb_cgroup", c.ptr()],
      ["_hugetlb_cgroup_rsvd", c.ptr()],
      ["_hugetlb_hwpoison", c.ptr()],
    ]),
    ["__page_3", page],
  ]),
]);

const freelistAba = c.typedef(
  "freelist_aba_t",
  c.union([
    c.struct([
      ["freelist", c.ptr()],
      ["counter", ulong],
    ]),
    ["full", c.typedef("freelist_full_t", c.u128)],
  ]),
);

export const slab = c.struct("slab", [
  ["flags", c.memdescFlags],
  ["slab_cache", "struct kmem_cache *"],
  c.union([
    c.struct([
      c.union([
        ["slab_list", c.listHead],
        c.struct([
          ["llnode", c.llistNode],
          ["flush_freelist", c.ptr()],
        ]),
        c.struct([
          ["next", "struct slab *"],
          ["slabs", c.int],
        ]),
      ]),
      c.union([
        c.struct([
          ["freelist", c.ptr()],
          c.union([
            ["counters", ulong],
            c.struct([
              ["inuse", c.uint, { bits: 16 }],
              ["objects", c.uint, { bits: 15 }],
              ["frozen", c.uint, { bits: 1 }],
            ]),
          ]),
        ]),
        ["freelist_counter", freelistAba],
      ]),
    ]),
    ["callback_head", c.rcuHead],
  ]),
  ["__page_type", c.uint],
  ["__page_refcount", c.atomic],
  ["obj_exts", ulong],
]);

export const ptdesc = c.struct("ptdesc", [
  ["pt_flags", c.memdescFlags],
  c.union([
    ["pt_rcu_head", c.rcuHead],
    ["pt_list", c.listHead],
    c.struct([
      ["_pt_pad_1", ulong],
      ["pmd_huge_pte", c.pgtable],
    ]),
  ]),
  ["__page_mapping", ulong],
  c.union([
    ["pt_index", ulong],
    ["pt_mm", "struct mm_struct *"],
    ["pt_frag_refcount", c.atomic],
    ["pt_share_count", c.atomic],
  ]),
  c.union([
    ["_pt_pad_2", ulong],
    ["ptl", c.spinlock],
  ]),
  ["__page_type", c.uint],
  ["__page_refcount", c.atomic],
  ["pt_memcg_data", ulong],
]);

export const ioptdesc = c.struct("ioptdesc", [
  ["__page_flags", ulong],
  ["iopt_freelist_elm", c.listHead],
  ["__page_mapping", ulong],
  ["__index", ulong],
  ["_private", c.ptr()],
  ["__page_type", c.uint],
  ["__page_refcount", c.atomic],
  ["memcg_data", ulong],
]);

export const zpdesc = c.struct("zpdesc", [
  ["flags", ulong],
  ["lru", c.listHead],
  ["movable_ops", ulong],
  c.union([
    ["next", "struct zpdesc *"],
    ["handle", ulong],
  ]),
  ["zspage", "struct zspage *"],
  ["first_obj_offset", c.uint],
  ["_refcount", c.atomic],
]);

export const zspage = c.struct("zspage", [
  c.struct([
    ["huge", c.uint, { bits: 1 }],
    ["fullness", c.uint, { bits: 4 }],
    ["class", c.uint, { bits: 9 }],
    ["magic", c.uint, { bits: 8 }],
  ]),
  ["inuse", c.uint],
  ["freeobj", c.uint],
  ["first_zpdesc", "struct zpdesc *"],
  ["list", c.listHead],
  ["pool", "struct zs_pool *"],
  [
    "zsl",
    c.struct("zspage_lock", [
      ["lock", c.spinlock],
      ["cnt", c.int],
    ]),
  ],
]);

const netmemFields = [
  ["pp_magic", ulong],
  ["pp", "struct page_pool *"],
  ["_pp_mapping_pad", ulong],
  ["dma_addr", ulong],
  ["pp_ref_count", c.atomicLong],
] as const;

export const netmemDesc = c.struct("netmem_desc", [["_flags", ulong], ...netmemFields]);

export const netIovType = c.enum(
  "net_iov_type",
  { NET_IOV_DMABUF: 0, NET_IOV_IOURING: 1, NET_IOV_MAX: 2n ** 64n - 1n },
  8,
);

export const netIov = c.struct("net_iov", [
  c.union([["desc", netmemDesc], c.struct([["_flags", ulong], ...netmemFields])]),
  ["owner", "struct net_iov_area *"],
  ["type", netIovType],
]);

export const netIovArea = c.struct("net_iov_area", [
  ["niovs", "struct net_iov *"],
  ["num_niovs", c.sizeT],
  ["base_virtual", ulong],
]);

export const iommuPagesList = c.struct("iommu_pages_list", [["pages", c.listHead]]);
