import { type OverlayRuleSet, overlay } from "@memdesc/core";

/** The page_pool fields after the flags, named alike in struct page, netmem_desc and net_iov. */
const pagePoolFields = ["pp_magic", "pp", "_pp_mapping_pad", "dma_addr", "pp_ref_count"] as const;

/**
 * `NETMEM_DESC_ASSERT_OFFSET(page field, netmem_desc field)` (include/net/netmem.h, 6.18) and
 * `static_assert(sizeof(struct netmem_desc) <= offsetof(struct page, _refcount))`: netmem_desc lives in
 * struct page's page_pool arm and must stop before the refcount.
 */
export const netmemDescAssertOffset: OverlayRuleSet = overlay.set("NETMEM_DESC_ASSERT_OFFSET", "page", [
  overlay.match("flags", "_flags"),
  ...pagePoolFields.map((f) => overlay.match(f, f)),
  overlay.sizeAtMost({ offsetOf: "_refcount" }),
]);

/**
 * `NET_IOV_ASSERT_OFFSET(netmem_desc field, net_iov field)`: the fields net_iov repeats inline must sit where
 * `desc`'s do, so code may use either until the inline copy is removed.
 */
export const netIovAssertOffset: OverlayRuleSet = overlay.set(
  "NET_IOV_ASSERT_OFFSET",
  "netmem_desc",
  [overlay.match("_flags", "_flags"), ...pagePoolFields.map((f) => overlay.match(f, f))],
  { desc: "net_iov" },
);
