import {
  type AggregateType,
  c,
  type DescriptorProvenance,
  inferred,
  kernel,
  type MemberSpec,
} from "@memdesc/core";
import { slabCoreMembers } from "./today.js";

/**
 * The way back to a slab's memory: allocated apart from its pages, a struct slab needs their PFN for
 * `slab_address()` (`folio_address(slab_folio(slab))` today) and to free them. 8 bytes on x86-64.
 */
export const slabPfnMember = ["pfn", c.ulong] as const;

/**
 * The separately allocated struct slab of the memdesc designs: today's fields without `__page_type` and
 * `__page_refcount`, which only reserve the struct page words slab must not touch, and with the `pfn` of its
 * memory (docs/kernel.md, "A separately allocated descriptor needs a way back to its memory"). Its fields end at
 * 56 bytes on x86-64 and the pfn fills the 8 that `freelist_aba_t`'s 16-byte alignment padded: sizeof is 64.
 */
export function memdescSlab(extraFields: readonly MemberSpec[] = []): AggregateType {
  return c.struct("slab", [
    ...slabCoreMembers.head,
    slabCoreMembers.body,
    ...slabCoreMembers.tail,
    slabPfnMember,
    ...extraFields,
  ]);
}

/** Where struct slab's layouts come from. */
export const slabProvenance: DescriptorProvenance = {
  today: kernel("mm/slab.h", "6.18"),
  memdesc: inferred(
    "today's struct slab less __page_type and __page_refcount, which only keep struct page's words; the plan allocates struct slab from a slab cache but publishes no field list",
    "mm/slab.h (6.18); kernelnewbies.org/MatthewWilcox/Memdescs",
  ),
  fields: {
    pfn: inferred(
      "allocated apart from its pages, struct slab needs their PFN for slab_address() and to free them, as the planned folio keeps pfn",
      "mm/slab.h slab_address(); kernelnewbies.org/MatthewWilcox/Memdescs/Path (folio pfn)",
    ),
  },
};
