import { c, createRegistry, defineDescriptor, page } from "@memdesc/core";
import { z } from "zod";

/*
 * Minimal descriptor plugins for billing tests, with the field lists of kernel-memdesc.md §1.6 (folio 80 bytes,
 * large folio 128, slab 56 rounded to 64, ptdesc 48). The real plugins live in their own packages.
 */
const folioFields = [
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

const folio = defineDescriptor({
  name: "test-folio",
  kind: "folio",
  title: "struct folio (test)",
  uses: ["file", "anon", "ksm", "hugetlb"],
  today: page,
  memdesc: {
    variants: {
      small: c.struct("folio", [...folioFields]),
      large: c.struct("folio_large", [
        ...folioFields,
        ["_large_mapcount", c.atomic],
        ["_nr_pages_mapped", c.atomic],
        ["_entire_mapcount", c.atomic],
        ["_nr_pages", c.uint],
        ["_mm_id_mapcount", c.array(c.int, 2)],
        ["_mm_ids", c.ulong],
        ["_deferred_list", c.listHead],
      ]),
    },
    select: (order) => (order > 0 ? "large" : "small"),
  },
  schema: z.object({ order: z.number().int() }),
});

const slab = defineDescriptor({
  name: "test-slab",
  kind: "slab",
  title: "struct slab (test)",
  uses: ["slab"],
  today: page,
  memdesc: c.struct("slab", [
    ["flags", c.memdescFlags],
    ["slab_cache", "struct kmem_cache *"],
    ["slab_list", c.listHead],
    ["freelist", c.ptr()],
    ["counters", c.ulong],
    ["obj_exts", c.ulong],
  ]),
  schema: z.object({ inuse: z.number().int() }),
});

const ptdesc = defineDescriptor({
  name: "test-ptdesc",
  kind: "ptdesc",
  title: "struct ptdesc (test)",
  uses: ["pagetable"],
  today: page,
  memdesc: c.struct("ptdesc", [
    ["pt_flags", c.memdescFlags],
    ["pt_list", c.listHead],
    ["pt_index", c.ulong],
    ["ptl", c.spinlock],
    ["pt_memcg_data", c.ulong],
  ]),
  schema: z.object({ level: z.string() }),
});

export const testRegistry = () => createRegistry({ plugins: [folio, slab, ptdesc] });
