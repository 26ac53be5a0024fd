import { c, type MemberSpec } from "@memdesc/core";

/*
 * struct slab as in Linux 6.18 (`mm/slab.h`): SLUB's view of the struct pages of a slab, split out of struct
 * page in 5.17 and still overlaying it.
 */

/**
 * `system_has_freelist_aba`: the architecture can cmpxchg a double word (cmpxchg16b on x86-64, cmpxchg8b on
 * i386) and struct page is aligned for it. Then `freelist` and `counters` form a `freelist_aba_t` that SLUB
 * swaps in one instruction.
 */
export const FREELIST_ABA = "CONFIG_HAVE_CMPXCHG_DOUBLE&&CONFIG_HAVE_ALIGNED_STRUCT_PAGE";

/** `freelist_full_t`: `u128` on 64-bit kernels, `u64` on 32-bit ones: the double word SLUB cmpxchgs. */
export const freelistFullT = {
  lp64: c.typedef("freelist_full_t", c.u128),
  ilp32: c.typedef("freelist_full_t", c.u64),
} as const;

/**
 * `freelist_aba_t`: the freelist pointer and the counters word, viewed as one double word so SLUB can swap both
 * without the ABA problem of swapping the pointer alone. Its `u128` arm makes it 16-byte aligned on 64-bit.
 */
export const freelistAbaT = c.typedef(
  "freelist_aba_t",
  c.union([
    c.struct([
      ["freelist", c.ptr()],
      ["counter", c.ulong],
    ]),
    c.ifdef("CONFIG_64BIT", [["full", freelistFullT.lp64]]),
    c.ifdef("!CONFIG_64BIT", [["full", freelistFullT.ilp32]]),
  ]),
);

/** `counters`, or the three bitfields SLUB packs into its low 32 bits. */
const countersUnion = c.union([
  ["counters", c.ulong],
  c.struct([
    ["inuse", c.uint, { bits: 16 }],
    ["objects", c.uint, { bits: 15 }],
    // With slab debugging the frozen bit can also mark a corrupted slab.
    ["frozen", c.uint, { bits: 1 }],
  ]),
]);

/** The members struct slab keeps in the memdesc era: everything but the struct page words it only reserves. */
export const slabCoreMembers = {
  head: [
    ["flags", c.memdescFlags],
    ["slab_cache", "struct kmem_cache *"],
  ] as readonly MemberSpec[],
  body: c.union([
    c.struct([
      c.union([
        ["slab_list", c.listHead],
        // For deferred deactivate_slab() from kmalloc_nolock()/kfree_nolock().
        c.struct([
          ["llnode", c.llistNode],
          ["flush_freelist", c.ptr()],
        ]),
        c.ifdef("CONFIG_SLUB_CPU_PARTIAL", [
          c.struct([
            ["next", "struct slab *"],
            ["slabs", c.int],
          ]),
        ]),
      ]),
      // Double-word boundary: freelist and counters are swapped together.
      c.union([
        c.struct([["freelist", c.ptr()], countersUnion]),
        c.ifdef(FREELIST_ABA, [["freelist_counter", freelistAbaT]]),
      ]),
    ]),
    ["callback_head", c.rcuHead],
  ]) as MemberSpec,
  tail: [c.ifdef("CONFIG_SLAB_OBJ_EXT", [["obj_exts", c.ulong]])] as readonly MemberSpec[],
};

/** `struct slab` of Linux 6.18: 64 bytes on x86-64, 36 on i386. */
export const slabToday = c.struct("slab", [
  ...slabCoreMembers.head,
  slabCoreMembers.body,
  // Reserved because they overlay page->page_type and page->_refcount.
  ["__page_type", c.uint],
  ["__page_refcount", c.atomic],
  ...slabCoreMembers.tail,
]);
