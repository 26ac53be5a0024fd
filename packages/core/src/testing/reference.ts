import { z } from "zod";
import { c, defineDescriptor, inferred, kernel, overlay, page, plan } from "../index.js";

/*
 * Reference descriptors: exactly the field lists of docs/kernel.md ("The planned folio", "Descriptor sizes in the
 * memdesc era"), each with the `pfn` a separately allocated descriptor needs to get back to its memory. Tests of
 * core and of a simulator reproduce the worked examples with them without depending on the plugin packages, and
 * a plugin's own tests compose `refSlab` to simulate their kind alone (a simulated memmap keeps descriptors in
 * slab caches, whose pages need a kind that describes slab pages).
 */

const wayBack = inferred("allocated apart from its memory, it needs the PFN to get back to it");

const folioSmallFields = [
  ["flags", c.ulong],
  ["lru", c.listHead],
  ["mapping", "struct address_space *"],
  ["index", c.pgoffT],
  ["private", c.ptr()],
  ["_refcount", c.uint],
  ["_mapcount", c.uint],
  ["pincount", c.uint],
  ["order", c.uchar],
  ["pfn", c.ulong],
  ["memcg", "struct mem_cgroup *"],
] as const;

export const refFolio = defineDescriptor({
  name: "reference-folio",
  kind: "folio",
  title: "struct folio (reference field list)",
  uses: ["file", "hugetlb"],
  fallbackUses: ["anon", "ksm"],
  today: c.struct("folio_today", [
    ["flags", c.memdescFlags],
    ["lru", c.listHead],
  ]),
  memdesc: {
    variants: {
      small: c.struct("folio", [...folioSmallFields]),
      large: c.struct("folio_large", [
        ...folioSmallFields,
        ["_large_mapcount", c.atomic],
        ["_nr_pages_mapped", c.atomic],
        ["_entire_mapcount", c.atomic],
        // _nr_pages packs beside the other 4-byte counters, so the 48 bytes add no hole.
        ["_nr_pages", c.uint],
        ["_mm_id_mapcount", c.array(c.int, 2)],
        ["_mm_ids", c.ulong],
        ["_deferred_list", c.listHead],
      ]),
    },
    select: (order) => (order > 0 ? "large" : "small"),
  },
  overlay: [
    overlay.set("FOLIO_MATCH", "page", [overlay.match("flags", "flags"), overlay.match("lru", "lru")]),
  ],
  provenance: {
    today: kernel("include/linux/mm_types.h", "6.18"),
    memdesc: plan("kernelnewbies.org/MatthewWilcox/Memdescs/Path", "print revision"),
  },
  schema: z.object({ order: z.number().int().min(0).max(10), refcount: z.number().int().nonnegative() }),
});

export const refSlab = defineDescriptor({
  name: "reference-slab",
  kind: "slab",
  title: "struct slab (reference: 56 bytes and the pfn, 64)",
  uses: ["slab"],
  today: page,
  memdesc: c.struct("slab", [
    ["flags", c.memdescFlags],
    ["slab_cache", "struct kmem_cache *"],
    ["slab_list", c.listHead],
    ["freelist", c.ptr()],
    ["counters", c.ulong],
    ["obj_exts", c.ulong],
    ["pfn", c.ulong],
  ]),
  provenance: { today: kernel("mm/slab.h", "6.18"), fields: { pfn: wayBack } },
  schema: z.object({ inuse: z.number().int().nonnegative(), objects: z.number().int().max(32767) }),
});

export const refPtdesc = defineDescriptor({
  name: "reference-ptdesc",
  kind: "ptdesc",
  title: "struct ptdesc (reference: 48 bytes and the pfn, 56, rounded to 64)",
  uses: ["pagetable"],
  today: page,
  memdesc: c.struct("ptdesc", [
    ["pt_flags", c.memdescFlags],
    ["pt_list", c.listHead],
    ["pt_index", c.ulong],
    ["ptl", c.spinlock],
    ["pt_memcg_data", c.ulong],
    ["pfn", c.ulong],
  ]),
  provenance: { today: kernel("include/linux/mm_types.h", "6.18"), fields: { pfn: wayBack } },
  schema: z.object({ level: z.enum(["pte", "pmd", "pud", "p4d", "pgd"]) }),
});
