import { kernel, type PlanProvenance, plan } from "./provenance.js";

/*
 * The primary sources the built-in designs and core's simulated behaviours cite, by the keys docs/kernel.md
 * ("Sources") gives them. Plugins cite their own (kernel files) beside their layouts.
 */

/** The kernel release core models. */
export const RELEASE = "6.18";

/** kernelnewbies.org/MatthewWilcox/Memdescs. */
export const KN_M = "kernelnewbies.org/MatthewWilcox/Memdescs";
/** kernelnewbies.org/MatthewWilcox/Memdescs/Path. */
export const KN_P = "kernelnewbies.org/MatthewWilcox/Memdescs/Path";
/** kernelnewbies.org/MatthewWilcox/BuddyAllocator. */
export const KN_B = "kernelnewbies.org/MatthewWilcox/BuddyAllocator";
/** kernelnewbies.org/MatthewWilcox/FolioAlloc. */
export const KN_A = "kernelnewbies.org/MatthewWilcox/FolioAlloc";
/** Wilcox, linux-mm, 10 March 2025: page_pool's allocator "is going to be renamed bump". */
export const W25B = "mail.spinics.net/lists/linux-mm/msg428674.html";
/** Wilcox on the buddy allocator in a memdesc world, linux-mm, 2024. */
export const WB24 = "mail.spinics.net/lists/linux-mm/msg369183.html";

/** The three recorded revisions of the Memdescs page. */
export const knMemdescs = {
  /** The page as it reads now: `u64 memdesc`, Bump at 6, ptdesc at 8, ZPDesc at 12. */
  current: (note?: string): PlanProvenance => plan(KN_M, "current revision, read 2026-11", note),
  /** The earlier wiki-source revision of 2025: PageTable at 7, NetPool at 8. */
  rev2025: (note?: string): PlanProvenance => plan(KN_M, "wiki-source revision of 2025", note),
  /** The older plain page (no date recorded): File at 1, Free pointing to a struct buddy. */
  older: (note?: string): PlanProvenance => plan(KN_M, "older plain page, undated", note),
} as const;

/** Memdescs/Path: the intermediate 32-byte struct page (print and raw revisions). */
export const knPath = (note?: string): PlanProvenance => plan(KN_P, "print and raw revisions", note);

/** BuddyAllocator, Option 1: `struct buddy { next, prev }` in a 16-byte struct page. */
export const knBuddyOption1 = (note?: string): PlanProvenance => plan(KN_B, "print revision, Option 1", note);

/** Today's struct page and its overlays. */
export const mmTypes = kernel("include/linux/mm_types.h", RELEASE);
