import {
  type AggregateType,
  c,
  type DescriptorProvenance,
  deriveMembers,
  inferred,
  kernel,
  type MemberSpec,
  pfnMember,
  proposal,
} from "@memdesc/core";

/** The members before `__index` in every version: flags, the free-list link, the mapping pad. */
const head = [
  ["__page_flags", c.ulong],
  ["iopt_freelist_elm", c.listHead],
  ["__page_mapping", c.ulong],
] as const satisfies readonly MemberSpec[];

/** The members after `__index`: struct page's private, type, refcount and memcg slots. */
const tail = [
  ["_private", c.ptr()],
  ["__page_type", c.uint],
  ["__page_refcount", c.atomic],
  c.ifdef("CONFIG_MEMCG", [["memcg_data", c.ulong]]),
] as const satisfies readonly MemberSpec[];

/**
 * `struct ioptdesc` (drivers/iommu/iommu-pages.h) as Linux 6.18 defines it: 64 bytes on x86-64, overlaying
 * struct page. Only `iopt_freelist_elm` is its own (the link on an `iommu_pages_list`); every other member
 * holds struct page's field in place. The 6.18 BTF records `__index` as `long unsigned int`.
 */
export const ioptdescMembers618 = [
  ...head,
  ["__index", c.ulong],
  ...tail,
] as const satisfies readonly MemberSpec[];

/**
 * The `incoherent` byte that arrived after 6.18 (probably 6.19): set by `iommu_pages_start_incoherent()` when
 * the page was flushed or DMA-mapped for an IOMMU whose table walker is not cache-coherent.
 */
export const incoherentMember = ["incoherent", c.u8] as const;

/** The post-6.18 members: `union { u8 incoherent; pgoff_t __index; }` where 6.18 has a plain `__index`. */
export const ioptdescMembersIncoherent = [
  ...head,
  c.union([incoherentMember, ["__index", c.pgoffT]]),
  ...tail,
] as const satisfies readonly MemberSpec[];

/** `struct ioptdesc` of Linux 6.18 (as measured). */
export const ioptdesc618: AggregateType = c.struct("ioptdesc", ioptdescMembers618);

/** `struct ioptdesc` after 6.18, with `incoherent` in a union with `__index`; the same 64 bytes. */
export const ioptdescIncoherent: AggregateType = c.struct("ioptdesc", ioptdescMembersIncoherent);

/**
 * What an ioptdesc still needs once it no longer overlays struct page, by kernel name: its flags, the link
 * that chains it on an `iommu_pages_list` without allocating, the `incoherent` byte, its refcount
 * (`folio_put()` frees it today) and its memcg. `__page_mapping`, `__index`, `_private` and `__page_type`
 * only kept struct page's fields in place.
 */
export const ioptdescMemdescNeeds = [
  "__page_flags",
  "iopt_freelist_elm",
  "incoherent",
  "__page_refcount",
  "memcg_data",
] as const;

/**
 * How the IOMMU page-table allocator is modelled:
 *
 * - `today`: as Linux 6.18's drivers/iommu/iommu-pages.c does it: "Currently sub page allocations result in a
 *   full page being returned", and `iommu_put_pages_list()` frees each descriptor at once with `folio_put()`.
 * - `projection`: the "coming need" of the iommu-pages series (sub-PAGE_SIZE allocations, RCU-deferred freeing of
 *   page lists): tables of 1/16 or 1/4 of a page carved from one page, and a put list freed a grace period after
 *   the IOTLB flush. This project's projection; the per-slot bookkeeping it needs lives in the descriptor.
 */
export type IommuModel = "today" | "projection";

/**
 * The way back to an IOMMU table's memory: `ioptdesc_folio()` and the free path need its PFN once it is apart
 * (core's `pfnMember`).
 */
export const ioptdescPfnMember = pfnMember;

/**
 * What the projection needs per page of carved tables, in the descriptor: the log2 of its tables' size, and
 * which of its (at most 16) slots are handed out and which wait on a put list. `__page_refcount` counts the live
 * tables, as ptdesc's `pt_frag_refcount` counts powerpc's fragments.
 */
export const ioptdescSlotMembers = [
  ["iopt_slot_shift", c.u8],
  ["iopt_slots_used", c.u16],
  ["iopt_slots_pending", c.u16],
] as const satisfies readonly MemberSpec[];

/**
 * The memdesc-era member list: the post-6.18 members in their order, keeping those in `ioptdescMemdescNeeds`
 * and taking `incoherent` out of its union (the projection's slot bookkeeping right after it), then the `pfn`.
 */
export function ioptdescMemdescMembers(model: IommuModel = "today"): MemberSpec[] {
  return deriveMembers(ioptdescMembersIncoherent, {
    keep: ioptdescMemdescNeeds,
    ...(model === "projection" ? { insertAfter: { incoherent: ioptdescSlotMembers } } : {}),
    append: [ioptdescPfnMember],
  });
}

/**
 * The separately allocated `struct ioptdesc` of the 32- and 8-byte designs
 * (`memdesc_alloc_node(gfp, order, nid, sizeof(struct ioptdesc))`): 40 bytes of fields and the 8-byte pfn, 48 on
 * x86-64, which is also its size in a 16-aligned cache.
 */
export const ioptdescMemdesc: AggregateType = c.struct("ioptdesc", ioptdescMemdescMembers());

/** The projection's ioptdesc: today's memdesc-era one and the slot bookkeeping, 56 bytes, 64 in its cache. */
export const ioptdescMemdescProjection: AggregateType = c.struct(
  "ioptdesc",
  ioptdescMemdescMembers("projection"),
);

/** Where ioptdesc's layouts come from, for each model. */
export function ioptdescProvenance(model: IommuModel): DescriptorProvenance {
  const slots = proposal(
    "sub-page IOMMU tables (a 'coming need' of the iommu-pages series) need per-slot bookkeeping; this projection keeps it in the descriptor of the page it carves",
  );
  return {
    today: kernel("drivers/iommu/iommu-pages.h", "6.18"),
    memdesc: inferred(
      "what an ioptdesc still uses once it no longer overlays struct page (flags, the list link, incoherent, refcount, memcg); Gunthorpe's memdesc_alloc_node(…, sizeof(struct ioptdesc)) sizes it but names no fields",
      "drivers/iommu/iommu-pages.h; LKML <20250226135112.GB28425@nvidia.com>",
    ),
    fields: {
      pfn: inferred(
        "allocated apart from its memory, an ioptdesc needs the PFN for ioptdesc_folio() and to free the page after an IOTLB flush, as the planned folio keeps pfn",
        "drivers/iommu/iommu-pages.c; kernelnewbies.org/MatthewWilcox/Memdescs/Path (folio pfn)",
      ),
      incoherent: kernel("drivers/iommu/iommu-pages.h", "after 6.18 (torvalds/linux master)"),
      ...(model === "projection"
        ? { iopt_slot_shift: slots, iopt_slots_used: slots, iopt_slots_pending: slots }
        : {}),
    },
  };
}

/** `struct iommu_pages_list` (include/linux/iommu.h): `{ struct list_head pages; }`, 16 bytes. */
export const iommuPagesList: AggregateType = c.struct("iommu_pages_list", [["pages", c.listHead]]);
