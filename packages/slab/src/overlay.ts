import { layoutOf, linux618, overlay } from "@memdesc/core";
import { FREELIST_ABA, freelistAbaT } from "./today.js";

const { match } = overlay;

/** `sizeof(freelist_aba_t)` on 64-bit and 32-bit kernels, from its layout: what `freelist` must be aligned to. */
export const freelistAbaSize = {
  lp64: layoutOf(freelistAbaT, { abi: "lp64", config: linux618 }).size,
  ilp32: layoutOf(freelistAbaT, { abi: "ilp32", config: linux618 }).size,
} as const;

/**
 * The `SLAB_MATCH` static asserts of Linux 6.18 (`mm/slab.h`) and the two asserts after them: struct slab fits
 * in a struct page, and `freelist` is aligned for the double-word cmpxchg (when SLUB uses one).
 */
export const slabMatch = overlay.set("SLAB_MATCH", "page", [
  match("flags", "flags"),
  // Ensure bit 0 is clear: slab_cache overlays compound_head, whose bit 0 marks a tail page.
  match("compound_head", "slab_cache"),
  match("_refcount", "__page_refcount"),
  match("memcg_data", "obj_exts", { ifdef: "CONFIG_MEMCG" }),
  match("_unused_slab_obj_exts", "obj_exts", { ifdef: "!CONFIG_MEMCG&&CONFIG_SLAB_OBJ_EXT" }),
  overlay.sizeAtMost(),
  overlay.aligned("freelist", freelistAbaSize.lp64, { ifdef: `CONFIG_64BIT&&${FREELIST_ABA}` }),
  overlay.aligned("freelist", freelistAbaSize.ilp32, { ifdef: `!CONFIG_64BIT&&${FREELIST_ABA}` }),
]);
