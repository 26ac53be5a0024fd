import { MemdescError } from "../errors.js";
import { type Design, defineDesign, type PayloadField, type TypeTableEntry } from "./schema.js";

/*
 * The designs the kernel's memory-management developers have published, as data. Their sources are in
 * docs/kernel.md ("The plan: one word per page"); where a source left something open, the assumption is named in
 * the entry's `meaning`.
 */

/**
 * The Misc word (type 0 in the newer table): subtype in bits 4–10, "may be mapped to userspace" in bit 11,
 * order in bits 12–17, and zone and node in the high bits as in today's `page->flags` on x86-64
 * (NODES_SHIFT 10 at the top, a 3-bit zone below it; section is not kept with SPARSEMEM_VMEMMAP).
 */
export const miscPayload: readonly PayloadField[] = [
  { name: "subtype", bit: 4, width: 7 },
  { name: "mappable", bit: 11, width: 1 },
  { name: "order", bit: 12, width: 6 },
  { name: "zone", bit: 51, width: 3 },
  { name: "node", bit: 54, width: 10 },
];

/** Misc subtypes (7 bits) from the newer Memdescs table. */
export const miscSubtypes = {
  reserved: 0,
  zero: 1,
  unknown: 2,
  vmalloc: 3,
  guard: 4,
  offline: 5,
  kmalloc_large: 6,
  exact: 7,
  brd: 8,
} as const;

/**
 * The buddy word of the 8-byte design: the order of the free block (4 bits, orders up to 15), a bit marking the
 * pages of a free block after its first ("tail"), a bit marking a free block that sits on a per-CPU list
 * (`per_cpu_pages`) rather than in the buddy free lists (today's `pcp_list` instead of `buddy_list`, with
 * PageBuddy clear so it never merges), and in the high half the block's slot in its order's free list. One word
 * has no room for list links, so the free lists are arrays the allocator owns (like `free_area`) and the word
 * names its place in one: unlinking a buddy while merging stays O(1).
 */
export const buddyPayload: readonly PayloadField[] = [
  { name: "order", bit: 4, width: 4 },
  { name: "tail", bit: 8, width: 1 },
  { name: "pcp", bit: 9, width: 1 },
  { name: "slot", bit: 32, width: 32 },
];

const pointer = (tag: number, kind: string, meaning: string): TypeTableEntry => ({
  tag,
  kind,
  meaning,
  storage: "pointer",
});

/** Today: a 64-byte struct page per page; folio, slab, ptdesc and the rest overlay it. */
export const today: Design = defineDesign({
  name: "today",
  title: "Today (64-byte struct page)",
  description:
    "Linux 6.18: every 4 KiB page has a 64-byte struct page, and descriptors (folio, slab, ptdesc, ioptdesc, …) are other views of the same bytes, so they cost nothing beyond the memmap.",
  source: "include/linux/mm_types.h (Linux 6.18)",
  entryBytes: 64,
  typeBits: 0,
  descriptorAlign: 16,
  overlay: true,
});

/**
 * The 32-byte intermediate struct page of the Memdescs/Path page: a buddy page's word is its `buddy_list.next`
 * pointer, whose low two bits are 0, so types 0, 4, 8 and 12 all read as Buddy.
 */
export const path32: Design = defineDesign({
  name: "path-32",
  title: "Path: 32-byte struct page",
  description:
    "The intermediate step: struct page shrinks to 32 bytes (flags, a buddy_list/memdesc union, refcount, mapcount) and folio, slab and ptdesc are allocated separately from slab caches.",
  source: "kernelnewbies.org/MatthewWilcox/Memdescs/Path (print and raw revisions); SOTP25",
  entryBytes: 32,
  typeBits: 4,
  descriptorAlign: 16,
  tagDecoding: "buddy-low2",
  typeTable: [
    {
      tag: 0,
      kind: "buddy",
      meaning:
        "Buddy (today buddy_list.next, whose low two bits are 00; modelled with the 8-byte word's buddy fields, the list links in the allocator's arrays)",
      storage: "inline",
      payload: [...buddyPayload],
    },
    {
      tag: 1,
      kind: "misc",
      meaning: "Misc (layout not captured from the page; assumed as in the 8-byte design)",
      storage: "inline",
      payload: [...miscPayload],
    },
    pointer(2, "folio", "File (pointer to struct folio)"),
    pointer(3, "anon", "Anon (pointer to struct folio)"),
    { tag: 4, kind: "buddy", meaning: "Buddy (alias: low two bits 00)", storage: "inline" },
    { tag: 8, kind: "buddy", meaning: "Buddy (alias: low two bits 00)", storage: "inline" },
    { tag: 12, kind: "buddy", meaning: "Buddy (alias: low two bits 00)", storage: "inline" },
  ],
});

/** The newer 8-byte table (Memdescs wiki source), shared by buddy-16 and memdesc-8. */
const newerTable = (buddy: TypeTableEntry): TypeTableEntry[] => [
  {
    tag: 0,
    kind: "misc",
    meaning: "Misc (inline: subtype, mappable, order, zone/node)",
    storage: "inline",
    payload: [...miscPayload],
  },
  buddy,
  pointer(2, "folio", "File (pointer to struct folio)"),
  pointer(3, "anon", "Anon (pointer to struct anon_folio)"),
  pointer(4, "ksm", "KSM (pointer to struct ksm, TBD)"),
  pointer(5, "slab", "Slab (pointer to struct slab)"),
  pointer(6, "movable", "Movable (pointer to struct movable, TBD)"),
  pointer(7, "ptdesc", "PageTable (pointer to struct ptdesc)"),
  pointer(8, "netmem", "NetPool (pointer to struct netpool, TBD)"),
  pointer(9, "hwpoison", "HWPoison (pointer to struct hwpoison, TBD)"),
  pointer(10, "pcpudesc", "PerCPU (pointer to struct pcpudesc, TBD)"),
];

/**
 * Option 1 of the BuddyAllocator page: a 16-byte struct page, a union of the memdesc word and
 * `struct buddy { next, prev }` with the type in the low 4 bits of `next` and the order in those of `prev`.
 */
export const buddy16: Design = defineDesign({
  name: "buddy-16",
  title: "Buddy option 1: 16-byte struct page",
  description:
    "Free pages keep their buddy list links inline, so struct page is two words; every other type points to a separately allocated descriptor.",
  source: "kernelnewbies.org/MatthewWilcox/BuddyAllocator (Option 1)",
  entryBytes: 16,
  typeBits: 4,
  descriptorAlign: 16,
  typeTable: newerTable({
    tag: 1,
    kind: "buddy",
    meaning:
      "Buddy (inline struct buddy { next, prev }, the order in prev's low 4 bits; modelled with the 8-byte word's buddy fields, the list links in the allocator's arrays)",
    storage: "inline",
    payload: [...buddyPayload],
  }),
});

/** The final design: one 8-byte word per page, with the newer type table (the default). */
export const memdesc8: Design = defineDesign({
  name: "memdesc-8",
  title: "memdesc: 8-byte word (newer type table)",
  description:
    "struct page is a single unsigned long: 4 type bits and either a 16-byte-aligned descriptor pointer or inline data (Misc, Buddy).",
  source: "kernelnewbies.org/MatthewWilcox/Memdescs (wiki source, newer revision)",
  entryBytes: 8,
  typeBits: 4,
  descriptorAlign: 16,
  typeTable: newerTable({
    tag: 1,
    kind: "buddy",
    meaning: "Buddy (inline struct buddy: the block's order, tail bit, per-CPU-list bit and free-list slot)",
    storage: "inline",
    payload: [...buddyPayload],
  }),
});

/** The same 8-byte word with the older published type table, where Free pages point to a struct buddy. */
export const memdesc8v1: Design = defineDesign({
  name: "memdesc-8-v1",
  title: "memdesc: 8-byte word (older type table)",
  description:
    "The older revision of the Memdescs page: type 0 covers none/reserved/guard, File is 1, and Free pages point to a separately allocated struct buddy.",
  source: "kernelnewbies.org/MatthewWilcox/Memdescs (plain page, older revision)",
  entryBytes: 8,
  typeBits: 4,
  descriptorAlign: 16,
  typeTable: [
    {
      tag: 0,
      kind: "misc",
      meaning: "None, Reserved, Guard, …",
      storage: "inline",
      payload: [...miscPayload],
    },
    pointer(1, "folio", "File (pointer to struct folio)"),
    pointer(2, "anon", "Anon (pointer to struct anon_folio)"),
    pointer(3, "ksm", "KSM (pointer to struct ksm)"),
    pointer(4, "slab", "Slab (pointer to struct slab)"),
    pointer(5, "buddy", "Free (pointer to struct buddy)"),
    pointer(6, "movable", "Movable (pointer to struct movable)"),
    pointer(7, "vmalloc", "VmallocMappable (pointer)"),
    pointer(9, "ptdesc", "PageTable (pointer to struct ptdesc)"),
    pointer(10, "netmem", "NetPool (pointer to struct netpool)"),
    pointer(11, "hwpoison", "HWPoison (pointer to struct hwpoison)"),
  ],
});

/** Every built-in design, today first and the final design last. */
export const designs = {
  today,
  "path-32": path32,
  "buddy-16": buddy16,
  "memdesc-8": memdesc8,
  "memdesc-8-v1": memdesc8v1,
} as const;

export type BuiltinDesignName = keyof typeof designs;

/** The designs a bill compares by default: today, the 32-byte path, buddy-16 and the final 8-byte word. */
export const billedDesigns: readonly Design[] = [today, path32, buddy16, memdesc8];

export const defaultDesign = memdesc8;

/** A built-in design by name, or a user's design object. */
export function resolveDesign(design: Design | string | undefined): Design {
  if (design === undefined) return defaultDesign;
  if (typeof design !== "string") return design;
  const found = (designs as Record<string, Design>)[design];
  if (!found)
    throw new MemdescError(
      "UNKNOWN_DESIGN",
      `unknown design "${design}" (built-in: ${Object.keys(designs).join(", ")})`,
    );
  return found;
}
