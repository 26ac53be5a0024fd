import { type OverlayRuleSet, overlay } from "@memdesc/core";

/**
 * `IOPTDESC_MATCH(page field, ioptdesc field)` from drivers/iommu/iommu-pages.c and
 * `static_assert(sizeof(struct ioptdesc) <= sizeof(struct page))`. `lru` carries the kernel's comment "Ensure
 * bit 0 is clear": the list link overlays `compound_head`, whose bit 0 marks a tail page. No rule is asserted
 * for `__index` / `incoherent`.
 */
export const ioptdescMatch: OverlayRuleSet = overlay.set("IOPTDESC_MATCH", "page", [
  overlay.match("flags", "__page_flags"),
  overlay.match("lru", "iopt_freelist_elm"),
  overlay.match("mapping", "__page_mapping"),
  overlay.match("private", "_private"),
  overlay.match("page_type", "__page_type"),
  overlay.match("_refcount", "__page_refcount"),
  overlay.match("memcg_data", "memcg_data", { ifdef: "CONFIG_MEMCG" }),
  overlay.sizeAtMost(),
]);
