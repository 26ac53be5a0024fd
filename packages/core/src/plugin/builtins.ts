import { z } from "zod";
import { buddyPayload, miscPayload, miscSubtypes } from "../design/builtin.js";
import { MAX_PAGE_ORDER } from "../kernel/constants.js";
import { defineDescriptor } from "./define.js";

/**
 * Free pages. The buddy allocator keeps its data in the page entry itself (an order, and list links where the
 * entry has room for them), because allocating a descriptor while splitting a free block would loop between slab
 * and the page allocator (docs/kernel.md, "Buddy pages", WB24). Its fields here are the 8-byte word's proposal;
 * a design's type table (buddy-16's Option 1) overrides them.
 */
export const buddy = defineDescriptor({
  name: "@memdesc/core",
  kind: "buddy",
  title: "struct buddy (inline)",
  description: "Free pages in the buddy allocator, with the block's order stored in the word.",
  source: "mm/page_alloc.c; kernelnewbies.org/MatthewWilcox/BuddyAllocator",
  storage: "inline",
  uses: ["free", "pcp"],
  payload: buddyPayload,
  schema: z.object({ order: z.number().int().min(0).max(MAX_PAGE_ORDER) }),
});

/**
 * Memory with no descriptor: reserved pages, the zero page, guard and offline pages, large kmalloc, vmalloc.
 * It has neither a refcount nor a mapcount; its subtype and order live in the word.
 */
export const misc = defineDescriptor({
  name: "@memdesc/core",
  kind: "misc",
  title: "Misc (inline)",
  description: "Pages that need no descriptor: the word holds a subtype, a mappable bit and an order.",
  source: "kernelnewbies.org/MatthewWilcox/Memdescs (Misc subtypes)",
  storage: "inline",
  fallbackUses: ["reserved", "zero", "offline", "hwpoison", "largeKmalloc", "compound", "kernel", "uninit"],
  payload: miscPayload,
  schema: z.object({
    subtype: z.enum(
      Object.keys(miscSubtypes) as [keyof typeof miscSubtypes, ...(keyof typeof miscSubtypes)[]],
    ),
    mappable: z.boolean().default(false),
    order: z.number().int().min(0).max(63),
  }),
});

export const builtinKinds = [buddy, misc] as const;
export type BuiltinKind = (typeof builtinKinds)[number]["kind"];
