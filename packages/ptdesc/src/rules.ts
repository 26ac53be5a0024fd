import { type OverlayRuleSet, overlay } from "@memdesc/core";

/**
 * `TABLE_MATCH(page field, ptdesc field)` from include/linux/mm_types.h (6.18), and
 * `static_assert(sizeof(struct ptdesc) <= sizeof(struct page))`. The kernel writes `TABLE_MATCH(rcu_head,
 * pt_rcu_head)`; `rcu_head` is a `#define` of `callback_head`, so struct page's member is `callback_head`.
 * Before 6.18 the first rule was `TABLE_MATCH(flags, __page_flags)`.
 */
export const tableMatch: OverlayRuleSet = overlay.set("TABLE_MATCH", "page", [
  overlay.match("flags", "pt_flags"),
  overlay.match("compound_head", "pt_list"),
  overlay.match("compound_head", "_pt_pad_1"),
  overlay.match("mapping", "__page_mapping"),
  overlay.match("__folio_index", "pt_index"),
  overlay.match("callback_head", "pt_rcu_head"),
  overlay.match("page_type", "__page_type"),
  overlay.match("_refcount", "__page_refcount"),
  overlay.match("memcg_data", "pt_memcg_data", { ifdef: "CONFIG_MEMCG" }),
  overlay.sizeAtMost(),
]);
