import { type OverlayRuleSet, overlay } from "@memdesc/core";

/**
 * `ZPDESC_MATCH(page field, zpdesc field)` from mm/zpdesc.h (6.18) and
 * `static_assert(sizeof(struct zpdesc) <= sizeof(struct page))`. Earlier versions named `movable_ops` `mops`
 * and matched memcg_data; later ones match `objcgs` under CONFIG_MEMCG.
 */
export const zpdescMatch: OverlayRuleSet = overlay.set("ZPDESC_MATCH", "page", [
  overlay.match("flags", "flags"),
  overlay.match("lru", "lru"),
  overlay.match("mapping", "movable_ops"),
  overlay.match("__folio_index", "next"),
  overlay.match("__folio_index", "handle"),
  overlay.match("private", "zspage"),
  overlay.match("page_type", "first_obj_offset"),
  overlay.match("_refcount", "_refcount"),
  overlay.sizeAtMost(),
]);
