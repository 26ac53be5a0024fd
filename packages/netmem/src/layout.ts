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
 * The members of `struct netmem_desc` (include/net/netmem.h, Linux 6.18), the page_pool view of a page:
 *
 * - `_flags`: struct page's flags.
 * - `pp_magic`: PP_SIGNATURE, marking a page_pool page, with the DMA index in bits 7..38 on x86-64.
 * - `pp`: the owning `struct page_pool`.
 * - `_pp_mapping_pad`: keeps `page->mapping` clear.
 * - `dma_addr`: the page's DMA address.
 * - `pp_ref_count`: page_pool's fragment reference count.
 */
export const netmemDescMembers = [
  ["_flags", c.ulong],
  ["pp_magic", c.ulong],
  ["pp", "struct page_pool *"],
  ["_pp_mapping_pad", c.ulong],
  ["dma_addr", c.ulong],
  ["pp_ref_count", c.atomicLong],
] as const satisfies readonly MemberSpec[];

/** `struct netmem_desc`: 48 bytes on x86-64, within struct page below `_refcount`. */
export const netmemDesc: AggregateType = c.struct("netmem_desc", netmemDescMembers);

/** `enum net_iov_type` values. */
export const netIovTypes = { NET_IOV_DMABUF: 0, NET_IOV_IOURING: 1 } as const;
export type NetIovType = keyof typeof netIovTypes;

/**
 * `enum net_iov_type`: packed, with NET_IOV_MAX = ULONG_MAX "to force size to unsigned long", so it is as wide
 * as a long: 8 bytes on x86-64 (4 on 32-bit kernels, where NET_IOV_MAX is 2^32 - 1).
 */
export const netIovType = c.enum("net_iov_type", { ...netIovTypes, NET_IOV_MAX: (1n << 64n) - 1n }, "long");

/**
 * `struct net_iov`: memory with no struct page (dma-buf device memory, io_uring zero-copy receive buffers),
 * allocated from slab. The six netmem_desc fields appear twice in a union, as `desc` and inline, until every
 * user goes through `desc`; then `owner` (its `net_iov_area`) and `type`. 64 bytes on x86-64.
 */
export const netIov: AggregateType = c.struct("net_iov", [
  c.union([["desc", netmemDesc], c.struct(netmemDescMembers)]),
  ["owner", "struct net_iov_area *"],
  ["type", netIovType],
]);

/**
 * `struct net_iov_area`: an array of net_iovs over one memory area (a dma-buf binding chunk or an io_uring
 * area), and the virtual address of its first page. 24 bytes on x86-64.
 */
export const netIovArea: AggregateType = c.struct("net_iov_area", [
  ["niovs", "struct net_iov *"],
  ["num_niovs", c.sizeT],
  ["base_virtual", c.ulong],
]);

/**
 * What a separately allocated netmem_desc does without: `_pp_mapping_pad` only keeps `page->mapping` clear.
 * The rest (flags, pp_magic with its DMA index, pp, dma_addr, pp_ref_count) is 40 bytes, 48 in a 16-aligned
 * cache: the same 48 bytes it uses today, but allocated once per page_pool page instead of in every page.
 */
export const netmemMemdescDrops = ["_pp_mapping_pad"] as const;

/**
 * The way back to a page_pool page: allocated apart from it, the descriptor needs the page's PFN to hand the page
 * back to the page allocator, map it for DMA and give it to the stack (`netmem_to_page()` today is the descriptor's
 * own struct page).
 */
export const netmemPfnMember = pfnMember;

/** The memdesc-era member list: netmem_desc's, less `netmemMemdescDrops`, and the `pfn` of its page. */
export function netmemMemdescMembers(): MemberSpec[] {
  return deriveMembers(netmemDescMembers, { drop: netmemMemdescDrops, append: [netmemPfnMember] });
}

/**
 * The separately allocated `struct netmem_desc` of the 32- and 8-byte designs (the plan's Bump, type 6): 40 bytes
 * of fields and the 8-byte pfn, 48.
 */
export const netmemMemdesc: AggregateType = c.struct("netmem_desc", netmemMemdescMembers());

/** Where the netmem layouts come from. */
export const netmemProvenance: DescriptorProvenance = {
  today: kernel("include/net/netmem.h", "6.18"),
  memdesc: inferred(
    "today's netmem_desc less _pp_mapping_pad, which only keeps page->mapping clear; the plan calls it struct bump (TBD) and puts no requirements on it",
    "include/net/netmem.h (6.18); Wilcox, linux-mm, 2025-03-10 (mail.spinics.net/lists/linux-mm/msg428674.html)",
  ),
  fields: {
    pfn: inferred(
      "allocated apart from its page, a page_pool descriptor needs the page's PFN to return, map and hand out the page, as the planned folio keeps pfn",
      "net/core/page_pool.c; kernelnewbies.org/MatthewWilcox/Memdescs/Path (folio pfn)",
    ),
  },
};
