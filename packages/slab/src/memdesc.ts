import { type AggregateType, c, type MemberSpec } from "@memdesc/core";
import { slabCoreMembers } from "./today.js";

/**
 * The separately allocated struct slab of the memdesc designs: today's fields without `__page_type` and
 * `__page_refcount`, which only reserve the struct page words slab must not touch (docs/kernel.md, "Descriptor sizes in the memdesc era"). Its
 * members end at 56 bytes on x86-64; `freelist_aba_t` keeps it 16-byte aligned, so sizeof is 64.
 */
export function memdescSlab(extraFields: readonly MemberSpec[] = []): AggregateType {
  return c.struct("slab", [
    ...slabCoreMembers.head,
    slabCoreMembers.body,
    ...slabCoreMembers.tail,
    ...extraFields,
  ]);
}
