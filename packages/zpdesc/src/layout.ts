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
 * The members of `struct zpdesc` (mm/zpdesc.h, Linux 6.18), in order:
 *
 * - `flags`: PG_private marks the first page of a zspage, PG_locked is taken by migration.
 * - `lru`: the page's link while page migration has it isolated.
 * - `movable_ops`: the `page->mapping` slot, holding the movable-page operations.
 * - `next` / `handle`: the next page of the zspage, or for a huge zspage (one object, one page) the object's
 *   handle.
 * - `zspage`: the `struct zspage` this page belongs to (`page->private`).
 * - `first_obj_offset`: where the first object starting in this page begins. Only the low 24 bits are the
 *   offset; the top 8 are the page type (PGTY_zsmalloc).
 * - `_refcount`: struct page's.
 *
 * Later kernels add `objcgs` under CONFIG_MEMCG; 6.18 has no memcg member.
 */
export const zpdescMembers = [
  ["flags", c.ulong],
  ["lru", c.listHead],
  ["movable_ops", c.ulong],
  c.union([
    ["next", "struct zpdesc *"],
    ["handle", c.ulong],
  ]),
  ["zspage", "struct zspage *"],
  ["first_obj_offset", c.uint],
  ["_refcount", c.atomic],
] as const satisfies readonly MemberSpec[];

/** `struct zpdesc` as Linux 6.18 defines it: 56 bytes on x86-64, overlaying struct page. */
export const zpdescToday: AggregateType = c.struct("zpdesc", zpdescMembers);

/**
 * Members a separately allocated zpdesc does without [inferred]: `lru` only links a page that migration has
 * isolated, which in the memdesc world lists descriptors rather than pages, and `movable_ops` follows from the
 * memdesc type. What remains (flags, next/handle, zspage, first_obj_offset, _refcount) is 32 bytes, Wilcox's
 * "about 32 bytes per page" for zsmalloc (docs/kernel.md, "Descriptors: alignment and RCU", ZS24).
 */
export const zpdescMemdescDrops = ["lru", "movable_ops"] as const;

/**
 * The way back to a zsmalloc page: allocated apart from it, a zpdesc needs the page's PFN for `zpdesc_pfn()`,
 * `zpdesc_page()` and `kmap_local_zpdesc()` (mm/zpdesc.h), which today take the zpdesc's own struct page.
 */
export const zpdescPfnMember = pfnMember;

/** The memdesc-era member list: today's, less `zpdescMemdescDrops`, and the `pfn` of its page. */
export function zpdescMemdescMembers(): MemberSpec[] {
  return deriveMembers(zpdescMembers, { drop: zpdescMemdescDrops, append: [zpdescPfnMember] });
}

/**
 * The separately allocated `struct zpdesc` of the 32- and 8-byte designs: 32 bytes of fields (Wilcox's "about
 * 32 bytes per page") and the 8-byte pfn, 40 on x86-64, 48 in a 16-aligned cache.
 */
export const zpdescMemdesc: AggregateType = c.struct("zpdesc", zpdescMemdescMembers());

/** Where zpdesc's layouts come from. */
export const zpdescProvenance: DescriptorProvenance = {
  today: kernel("mm/zpdesc.h", "6.18"),
  memdesc: inferred(
    "today's zpdesc less lru (migration isolates descriptors, not pages, in the memdesc world) and movable_ops (the memdesc type says it); Wilcox put the rest at about 32 bytes per page",
    "mm/zpdesc.h (6.18); '[PATCH v5 00/21] mm/zsmalloc: add zpdesc memory descriptor', LKML, August 2024",
  ),
  fields: {
    pfn: inferred(
      "allocated apart from its page, a zpdesc needs the page's PFN for zpdesc_pfn() and kmap_local_zpdesc(), as the planned folio keeps pfn",
      "mm/zpdesc.h zpdesc_pfn(); kernelnewbies.org/MatthewWilcox/Memdescs/Path (folio pfn)",
    ),
  },
};

/**
 * `struct zspage_lock` (mm/zsmalloc.c): a spinlock and a reader count, 8 bytes; lockdep adds a map with
 * CONFIG_DEBUG_LOCK_ALLOC.
 */
export const zspageLock: AggregateType = c.struct("zspage_lock", [
  ["lock", c.spinlock],
  ["cnt", c.int],
  c.ifdef("CONFIG_DEBUG_LOCK_ALLOC", [["dep_map", "struct lockdep_map"]]),
]);

/** HUGE_BITS, FULLNESS_BITS, CLASS_BITS + 1 and MAGIC_VAL_BITS: the widths of zspage's bitfields. */
export const zspageBits = { huge: 1, fullness: 4, class: 9, magic: 8 } as const;

/**
 * `struct zspage` (mm/zsmalloc.c): the per-zspage metadata, a 56-byte slab object that points at its first
 * zpdesc. `class` indexes the pool's size classes, `magic` is ZSPAGE_MAGIC (0x58), `inuse` counts allocated
 * objects and `freeobj` is the first free one.
 */
export const zspage: AggregateType = c.struct("zspage", [
  c.struct([
    ["huge", c.uint, { bits: zspageBits.huge }],
    ["fullness", c.uint, { bits: zspageBits.fullness }],
    ["class", c.uint, { bits: zspageBits.class }],
    ["magic", c.uint, { bits: zspageBits.magic }],
  ]),
  ["inuse", c.uint],
  ["freeobj", c.uint],
  ["first_zpdesc", "struct zpdesc *"],
  ["list", c.listHead],
  ["pool", "struct zs_pool *"],
  ["zsl", zspageLock],
]);
