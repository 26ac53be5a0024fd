import { c } from "../ctype/dsl.js";

/**
 * `struct page` as in Linux 6.18 (`include/linux/mm_types.h`): the 64-byte per-page structure every
 * descriptor overlays today. `rcu_head` is a `#define` of `callback_head`, so that member is named
 * `callback_head` in the compiled kernel, and overlay rules must use that name. `_struct_page_alignment` is
 * `__aligned(2 * sizeof(unsigned long))` for slab's double-word cmpxchg.
 */
export const page = c.struct(
  "page",
  [
    ["flags", c.memdescFlags],
    c.union([
      // Page cache and anonymous pages.
      c.struct([
        c.union([
          ["lru", c.listHead],
          ["buddy_list", c.listHead],
          ["pcp_list", c.listHead],
          ["pcp_llist", c.llistNode],
        ]),
        ["mapping", "struct address_space *"],
        c.union([
          ["__folio_index", c.ulong],
          ["share", c.ulong],
          ["buddy_since", c.ulong, { ifdef: "VENDOR_PAGE_BUDDY_SINCE" }],
        ]),
        ["private", c.ulong],
      ]),
      // page_pool used by the network stack.
      c.struct([
        ["pp_magic", c.ulong],
        ["pp", "struct page_pool *"],
        ["_pp_mapping_pad", c.ulong],
        ["dma_addr", c.ulong],
        ["pp_ref_count", c.atomicLong],
      ]),
      // Tail pages of a compound page: bit 0 set.
      c.struct([["compound_head", c.ulong]]),
      // ZONE_DEVICE pages.
      c.struct([
        ["_unused_pgmap_compound_head", c.ptr()],
        ["zone_device_data", c.ptr()],
      ]),
      ["callback_head", c.rcuHead],
    ]),
    c.union([
      ["page_type", c.uint],
      ["_mapcount", c.atomic],
    ]),
    ["_refcount", c.atomic],
    c.ifdef("CONFIG_MEMCG", [["memcg_data", c.ulong]]),
    c.ifdef("!CONFIG_MEMCG&&CONFIG_SLAB_OBJ_EXT", [["_unused_slab_obj_exts", c.ulong]]),
    c.ifdef("WANT_PAGE_VIRTUAL", [["virtual", c.ptr()]]),
    c.ifdef("LAST_CPUPID_NOT_IN_PAGE_FLAGS", [["_last_cpupid", c.int]]),
    c.ifdef("CONFIG_KMSAN", [
      ["kmsan_shadow", "struct page *"],
      ["kmsan_origin", "struct page *"],
    ]),
  ],
  { aligned: { longs: 2, ifdef: "CONFIG_HAVE_ALIGNED_STRUCT_PAGE" } },
);
