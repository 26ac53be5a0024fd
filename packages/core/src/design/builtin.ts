import { MemdescError } from "../errors.js";
import { inferred, proposal } from "../provenance/provenance.js";
import { knBuddyOption1, knMemdescs, knPath, mmTypes, W25B } from "../provenance/sources.js";
import { type BuiltinDesignName, defaultDesignName } from "./names.js";
import type { Design, DesignInput, PayloadField, TypeTableEntry } from "./schema.js";

/*
 * The designs the kernel's memory-management developers have published, as data, each row with its source.
 * docs/kernel.md ("The plan: one word per page") records the revisions; where a source left something open the
 * row says what was inferred or proposed instead.
 */

/**
 * A built-in design with the schema's defaults filled in, not parsed at load (zod's first parse costs a command
 * more than the rest of its start-up): `builtin.test.ts` checks that `designSchema` accepts each and returns it
 * unchanged, so what ships is exactly what `defineDesign` would give.
 */
function builtinDesign(input: DesignInput): Design {
  return {
    description: "",
    wordBits: 64,
    descriptorAlign: 16,
    overlay: false,
    tagDecoding: "exact",
    typeTable: [],
    outsideMemmap: [],
    ...input,
  } as Design;
}

/**
 * The Misc word (type 0): subtype in bits 4–10, "may be mapped to userspace" in bit 11 and the order in bits
 * 12–17 are the plan's; the plan puts section, node and zone in the high bits "as today with the page flags",
 * which on x86-64 with SPARSEMEM_VMEMMAP is NODES_SHIFT 10 at the top and a 3-bit zone below it.
 */
export const miscPayload: readonly PayloadField[] = [
  { name: "subtype", bit: 4, width: 7, meaning: "what the memory is used for (table below)" },
  { name: "mappable", bit: 11, width: 1, meaning: "set if the page may be mapped to user space" },
  { name: "order", bit: 12, width: 6, meaning: "the allocation's order" },
  {
    name: "zone",
    bit: 51,
    width: 3,
    meaning: "the page's zone",
    provenance: inferred(
      "the plan keeps section/node/zone in the high bits as page->flags does; on x86-64 (SPARSEMEM_VMEMMAP, no section bits) the zone sits just below the node",
      "include/linux/page-flags-layout.h",
    ),
  },
  {
    name: "node",
    bit: 54,
    width: 10,
    meaning: "the page's NUMA node",
    provenance: inferred(
      "the plan keeps the node in the high bits as page->flags does: NODES_SHIFT 10 on x86-64 distribution kernels",
      "include/linux/page-flags-layout.h; CONFIG_NODES_SHIFT",
    ),
  },
];

/**
 * Misc subtypes (7 bits). Subtype 0 is blank on the current Memdescs page; the 2025 revision calls it
 * PageReserved, which is what this model uses it for.
 */
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

const bySlotArrays = proposal(
  "the plan says only 'embedded struct buddy'; one 8-byte word has no room for two list links, so this encoding keeps the free lists in arrays the allocator owns and the word names its block's slot in one",
);

/**
 * This project's proposal for a buddy page in one 8-byte word (the plan says only "embedded struct buddy"): the
 * free block's order (4 bits, orders up to 15), a bit marking the pages of a free block after its first
 * ("tail"), a bit marking a block on a per-CPU list (`per_cpu_pages`) rather than in the buddy free lists (PageBuddy
 * clear, so it never merges), and in the high half the block's slot in its order's free-list array. One word has
 * no room for list links, so the free lists are arrays the allocator owns (like `free_area`) and the word names
 * its place in one, which keeps unlinking a buddy while merging O(1). The arrays live outside the memmap and are
 * billed: see `freeListArrays`.
 */
export const buddyPayload: readonly PayloadField[] = [
  { name: "order", bit: 4, width: 4, meaning: "the free block's order", provenance: bySlotArrays },
  {
    name: "tail",
    bit: 8,
    width: 1,
    meaning: "a page of a free block after its first",
    provenance: bySlotArrays,
  },
  {
    name: "pcp",
    bit: 9,
    width: 1,
    meaning: "the block is on a per-CPU list, not in buddy's free lists",
    provenance: bySlotArrays,
  },
  {
    name: "slot",
    bit: 32,
    width: 32,
    meaning: "the block's slot in its order's free-list array",
    provenance: bySlotArrays,
  },
];

/**
 * BuddyAllocator Option 1: `struct buddy { unsigned long next, prev; }` in a union with the memdesc word, a
 * 16-byte page entry. The low 4 bits of `next` are the type and those of `prev` the order; the other bits of both
 * are `struct page` pointers (16-byte aligned, so stored here without their low 4 bits).
 */
export const buddyOption1Payload: readonly PayloadField[] = [
  {
    name: "next",
    bit: 4,
    width: 60,
    meaning: "struct page pointer of the next free block (>> 4), in word 0 above the type",
  },
  { name: "order", bit: 0, width: 4, word: 1, meaning: "the free block's order, in prev's low 4 bits" },
  {
    name: "prev",
    bit: 4,
    width: 60,
    word: 1,
    meaning: "struct page pointer of the previous free block (>> 4)",
  },
];

/**
 * The free-list arrays the 8-byte buddy word needs, outside the memmap. A free block of order o < MAX_PAGE_ORDER
 * has a buddy that cannot be free too (they would merge), so an order's array holds at most N / 2^(o+1) blocks,
 * and N / 2^MAX_PAGE_ORDER at the top: N slots in all, a 4-byte PFN per page of RAM. They are sized for that worst
 * case because the buddy allocator may not allocate memory while it frees (docs/kernel.md, "Buddy pages", W21).
 */
export const freeListArrays = {
  what: "buddy free-list arrays (a 4-byte PFN slot per page, sized for the worst case)",
  bytesPerPage: 4,
  provenance: proposal(
    "the 8-byte buddy word names a slot in per-order free-list arrays; they must hold every free block the allocator can have (one slot per page in all) and cannot grow while freeing",
  ),
} as const;

const pointer = (
  tag: number,
  kind: string,
  meaning: string,
  provenance: TypeTableEntry["provenance"],
): TypeTableEntry => ({
  tag,
  kind,
  meaning,
  storage: "pointer",
  ...(provenance ? { provenance } : {}),
});

/** Today: a 64-byte struct page per page; folio, slab, ptdesc and the rest overlay it. */
export const today: Design = builtinDesign({
  name: "today",
  title: "Today (64-byte struct page)",
  description:
    "Linux 6.18: every 4 KiB page has a 64-byte struct page, and descriptors (folio, slab, ptdesc, ioptdesc, …) are other views of the same bytes, so they cost nothing beyond the memmap.",
  provenance: mmTypes,
  entryBytes: 64,
  typeBits: 0,
  descriptorAlign: 16,
  overlay: true,
});

/**
 * The 32-byte intermediate struct page of the Memdescs/Path page: a buddy page's word is its `buddy_list.next`
 * pointer, whose low two bits are 0, so types 0, 4, 8 and 12 all read as Buddy.
 */
export const path32: Design = builtinDesign({
  name: "path-32",
  title: "Path: 32-byte struct page",
  description:
    "The intermediate step: struct page shrinks to 32 bytes (flags, a buddy_list/memdesc union, refcount, mapcount) and folio, slab and ptdesc are allocated separately from slab caches.",
  provenance: knPath("also Wilcox, 'State Of The Page (January 2025)', LKML, 2025-01-08"),
  entryBytes: 32,
  typeBits: 4,
  descriptorAlign: 16,
  tagDecoding: "buddy-low2",
  typeTable: [
    {
      tag: 0,
      kind: "buddy",
      meaning:
        "Buddy: buddy_list inline in the 32-byte page, its next pointer's low two bits 00 (the simulator keeps the list links in arrays, with the 8-byte word's fields)",
      storage: "inline",
      payload: [...buddyPayload],
      provenance: knPath(),
    },
    {
      tag: 1,
      kind: "misc",
      meaning: "Misc (its layout is further down the page, not recorded; taken as the 8-byte word's)",
      storage: "inline",
      payload: [...miscPayload],
      provenance: inferred(
        "the Path page's Misc layout was not recorded; the Memdescs page's Misc word is assumed",
        "kernelnewbies.org/MatthewWilcox/Memdescs",
      ),
    },
    pointer(2, "folio", "File (pointer to struct folio)", knPath()),
    pointer(3, "anon", "Anon (pointer to struct folio)", knPath()),
    ...[4, 8, 12].map(
      (tag): TypeTableEntry => ({
        tag,
        kind: "buddy",
        meaning: "Buddy (alias: low two bits 00)",
        storage: "inline",
        provenance: inferred(
          "buddy_list.next is a pointer aligned to at least 4 bytes, so a buddy page's word has its low two bits clear and reads as 0, 4, 8 or 12",
        ),
      }),
    ),
  ],
});

/** The Memdescs page's Misc row, with the plan's fields. */
const miscRow = (provenance: TypeTableEntry["provenance"]): TypeTableEntry => ({
  tag: 0,
  kind: "misc",
  meaning: "Misc (inline: subtype, mappable bit, order, section/node/zone)",
  storage: "inline",
  payload: [...miscPayload],
  provenance,
});

/** The current Memdescs table (docs/kernel.md, "Type tables: three revisions"), with the Buddy row given. */
const currentTable = (buddy: TypeTableEntry): TypeTableEntry[] => {
  const now = knMemdescs.current();
  return [
    miscRow(now),
    buddy,
    pointer(2, "folio", "File (pointer to struct folio)", now),
    pointer(3, "anon", "Anon (pointer to struct anon_folio)", now),
    pointer(4, "ksm", "KSM (pointer to struct ksm, TBD)", now),
    pointer(5, "slab", "Slab (pointer to struct slab)", now),
    pointer(
      6,
      "netmem",
      "Bump (pointer to struct bump, TBD): page_pool's bump allocator",
      knMemdescs.current(
        `Bump is page_pool's allocator, today's netmem_desc: Wilcox, linux-mm, 2025-03-10 (${W25B}): pagepool "is going to be renamed bump"`,
      ),
    ),
    pointer(7, "movable", "Movable (pointer to struct movable, TBD)", now),
    pointer(8, "ptdesc", "ptdesc (pointer to struct ptdesc)", now),
    pointer(9, "hwpoison", "HWPoison (pointer to struct hwpoison, TBD)", now),
    pointer(10, "pcpudesc", "PerCPU (pointer to struct pcpudesc, TBD)", now),
    pointer(11, "acctmem", "acctmem (pointer to struct acctmem)", now),
    pointer(12, "zpdesc", "ZPDesc (pointer to struct zpdesc)", now),
    pointer(13, "managed", "Managed (pointer to struct mgdesc)", now),
  ];
};

/**
 * Option 1 of the BuddyAllocator page: a 16-byte struct page, a union of the memdesc word and
 * `struct buddy { next, prev }` with the type in the low 4 bits of `next` and the order in those of `prev`.
 */
export const buddy16: Design = builtinDesign({
  name: "buddy-16",
  title: "Buddy option 1: 16-byte struct page",
  description:
    "Free pages keep their buddy list links inline (struct buddy { next, prev }, the type in next's low 4 bits, the order in prev's), so struct page is two words; every other type points to a separately allocated descriptor, with the current Memdescs type table.",
  provenance: knBuddyOption1(
    "Option 1 gives no type table of its own; the Memdescs page's current one is used (current revision, read 2026-11)",
  ),
  entryBytes: 16,
  typeBits: 4,
  descriptorAlign: 16,
  typeTable: currentTable({
    tag: 1,
    kind: "buddy",
    meaning: "Buddy (inline struct buddy { next, prev }: the type in next's low 4 bits, the order in prev's)",
    storage: "inline",
    payload: [...buddyOption1Payload],
    provenance: knBuddyOption1(),
  }),
});

/** The final design: one u64 per page with the Memdescs table as the page reads now (the default). */
export const memdesc8: Design = builtinDesign({
  name: "memdesc-8",
  title: "memdesc: 8-byte word (Memdescs page, read 2026-11)",
  description:
    "struct page { u64 memdesc; }: 4 type bits and either a 16-byte-aligned descriptor pointer or inline data (Misc, Buddy), 8 bytes on 32-bit kernels too. The buddy word's encoding and its free-list arrays are this project's proposal.",
  provenance: knMemdescs.current(),
  entryBytes: 8,
  typeBits: 4,
  descriptorAlign: 16,
  typeTable: currentTable({
    tag: 1,
    kind: "buddy",
    meaning:
      "Buddy (embedded struct buddy; encoded as the proposal's order, tail bit, per-CPU-list bit and free-list slot)",
    storage: "inline",
    payload: [...buddyPayload],
    provenance: knMemdescs.current(),
  }),
  outsideMemmap: [freeListArrays],
});

/** The same word with the 2025 revision's table: PageTable at 7, NetPool at 8. */
export const memdesc8r2025: Design = builtinDesign({
  name: "memdesc-8-2025",
  title: "memdesc: 8-byte word (Memdescs 2025 revision)",
  description:
    "The earlier wiki-source revision of the Memdescs page (2025): Movable 6, PageTable 7, NetPool 8, HWPoison 9, PerCPU 10, 11–15 unassigned. The buddy word's encoding is this project's proposal, as in memdesc-8.",
  provenance: knMemdescs.rev2025(),
  entryBytes: 8,
  typeBits: 4,
  descriptorAlign: 16,
  typeTable: (() => {
    const r = knMemdescs.rev2025();
    return [
      miscRow(r),
      {
        tag: 1,
        kind: "buddy",
        meaning: "Buddy (embedded struct buddy; encoded as memdesc-8's proposal)",
        storage: "inline",
        payload: [...buddyPayload],
        provenance: r,
      },
      pointer(2, "folio", "File (pointer to struct folio)", r),
      pointer(3, "anon", "Anon (pointer to struct anon_folio)", r),
      pointer(4, "ksm", "KSM (pointer to struct ksm, TBD)", r),
      pointer(5, "slab", "Slab (pointer to struct slab)", r),
      pointer(6, "movable", "Movable (pointer to struct movable, TBD)", r),
      pointer(7, "ptdesc", "PageTable (pointer to struct ptdesc)", r),
      pointer(8, "netmem", "NetPool (pointer to struct netpool, TBD)", r),
      pointer(9, "hwpoison", "HWPoison (pointer to struct hwpoison, TBD)", r),
      pointer(10, "pcpudesc", "PerCPU (pointer to struct pcpudesc, TBD)", r),
    ];
  })(),
  outsideMemmap: [freeListArrays],
});

/** The same word with the older published type table, where Free pages point to a struct buddy. */
export const memdesc8v1: Design = builtinDesign({
  name: "memdesc-8-v1",
  title: "memdesc: 8-byte word (older plain page)",
  description:
    "The older revision of the Memdescs page: type 0 covers none/reserved/guard, File is 1, and Free pages point to a separately allocated struct buddy (later dropped: WB24). Free pages are modelled with memdesc-8's inline proposal.",
  provenance: knMemdescs.older(),
  entryBytes: 8,
  typeBits: 4,
  descriptorAlign: 16,
  typeTable: (() => {
    const o = knMemdescs.older();
    return [
      {
        tag: 0,
        kind: "misc",
        meaning: "None, Reserved, Guard, …",
        storage: "inline",
        payload: [...miscPayload],
        provenance: o,
      },
      pointer(1, "folio", "File (pointer to struct folio)", o),
      pointer(2, "anon", "Anon (pointer to struct anon_folio)", o),
      pointer(3, "ksm", "KSM (pointer to struct ksm)", o),
      pointer(4, "slab", "Slab (pointer to struct slab)", o),
      pointer(5, "buddy", "Free (pointer to struct buddy)", o),
      pointer(6, "movable", "Movable (pointer to struct movable)", o),
      pointer(7, "vmalloc", "VmallocMappable (pointer)", o),
      pointer(9, "ptdesc", "PageTable (pointer to struct ptdesc)", o),
      pointer(10, "netmem", "NetPool (pointer to struct netpool)", o),
      pointer(11, "hwpoison", "HWPoison (pointer to struct hwpoison)", o),
    ];
  })(),
  outsideMemmap: [freeListArrays],
});

/** Every built-in design, by the names `builtinDesignNames` lists, in that order. */
export const designs = {
  today,
  "path-32": path32,
  "buddy-16": buddy16,
  "memdesc-8": memdesc8,
  "memdesc-8-2025": memdesc8r2025,
  "memdesc-8-v1": memdesc8v1,
} as const satisfies Record<BuiltinDesignName, Design>;

/** The designs a bill compares by default: today, the 32-byte path, buddy-16 and the final 8-byte word. */
export const billedDesigns: readonly Design[] = [today, path32, buddy16, memdesc8];

export const defaultDesign = designs[defaultDesignName];

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
