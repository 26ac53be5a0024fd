import { type AggregateType, c, type MemberSpec } from "@memdesc/core";

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

const nameOf = (m: MemberSpec): string | undefined =>
  Array.isArray(m) ? (m as readonly [string, unknown])[0] : undefined;

/**
 * The memdesc-era member list: the post-6.18 members in their order, keeping those in
 * `ioptdescMemdescNeeds` and taking `incoherent` out of its union.
 */
export function ioptdescMemdescMembers(): MemberSpec[] {
  const keep = new Set<string>(ioptdescMemdescNeeds);
  const out: MemberSpec[] = [];
  for (const m of ioptdescMembersIncoherent) {
    const name = nameOf(m);
    if (name !== undefined) {
      if (keep.has(name)) out.push(m);
    } else if ("kind" in m && m.kind === "ifdef") {
      const kept = m.members.filter((x) => keep.has(nameOf(x) ?? ""));
      if (kept.length > 0) out.push(c.ifdef(m.option, kept));
    } else if ("kind" in m && m.kind === "union") {
      for (const arm of m.members ?? [])
        if (arm.name !== undefined && keep.has(arm.name)) out.push([arm.name, arm.type]);
    }
  }
  return out;
}

/**
 * The separately allocated `struct ioptdesc` of the 32- and 8-byte designs
 * (`memdesc_alloc_node(gfp, order, nid, sizeof(struct ioptdesc))`): 40 bytes on x86-64, 48 once rounded to
 * the 16-byte descriptor alignment.
 */
export const ioptdescMemdesc: AggregateType = c.struct("ioptdesc", ioptdescMemdescMembers());

/** `struct iommu_pages_list` (include/linux/iommu.h): `{ struct list_head pages; }`, 16 bytes. */
export const iommuPagesList: AggregateType = c.struct("iommu_pages_list", [["pages", c.listHead]]);
