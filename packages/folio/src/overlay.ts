import { overlay } from "@memdesc/core";
import { folioPageMembers } from "./today.js";

const { match } = overlay;

/**
 * The `FOLIO_MATCH` static asserts of Linux 6.18 (`include/linux/mm_types.h`), in the header's order: the head
 * page's fields sit where struct page has them, and each tail page's `_flags_N`/`_head_N` sit where struct page
 * has `flags` and `compound_head`, `N × sizeof(struct page)` further on.
 */
export const folioMatch = overlay.set("FOLIO_MATCH", "page", [
  match("flags", "flags"),
  match("lru", "lru"),
  match("mapping", "mapping"),
  match("compound_head", "lru"),
  match("__folio_index", "index"),
  match("private", "private"),
  match("_mapcount", "_mapcount"),
  match("_refcount", "_refcount"),
  match("memcg_data", "memcg_data", { ifdef: "CONFIG_MEMCG" }),
  match("virtual", "virtual", { ifdef: "WANT_PAGE_VIRTUAL" }),
  match("_last_cpupid", "_last_cpupid", { ifdef: "LAST_CPUPID_NOT_IN_PAGE_FLAGS" }),
  match("flags", "_flags_1", { index: 1 }),
  match("compound_head", "_head_1", { index: 1 }),
  match("_mapcount", "_mapcount_1", { index: 1 }),
  match("_refcount", "_refcount_1", { index: 1 }),
  match("flags", "_flags_2", { index: 2 }),
  match("compound_head", "_head_2", { index: 2 }),
  match("flags", "_flags_3", { index: 3 }),
  match("compound_head", "_head_3", { index: 3 }),
]);

/**
 * `sizeof(struct folio) <= 4 * sizeof(struct page)`. Not a kernel assert: the header makes it true by building
 * the folio from four unions that each contain a `struct page`, and it fails exactly when one of the folio's own
 * structs outgrows the page it shares.
 */
export const folioSize = overlay.set("FOLIO_SIZE", "page", [
  overlay.sizeAtMost({ count: folioPageMembers.length }),
]);

/** Every rule set the folio plugins carry. */
export const folioOverlay = [folioMatch, folioSize] as const;
