import {
  checkLayouts,
  type DescriptorPlugin,
  defineDescriptor,
  type MemberSpec,
  memberSpecsSchema,
  parseOptions,
} from "@memdesc/core";
import { z } from "zod";
import { memdescSlab, slabProvenance } from "./memdesc.js";
import { slabMatch } from "./overlay.js";
import { slabValueSchema } from "./schema.js";
import { slabSimulation } from "./simulation.js";
import { slabToday } from "./today.js";

export interface SlabOptions {
  /** Members appended to the memdesc-era struct slab: "what if struct slab grows by these fields". */
  readonly extraFields?: readonly MemberSpec[];
}

/** The options `slab()` accepts; unknown keys are errors. */
export const slabOptionsSchema = z.object({ extraFields: memberSpecsSchema.optional() }).strict();

/**
 * `struct slab`: the pages of a SLUB slab (type 5, Slab, in the newer memdesc table). Today it overlays the slab's
 * head struct page; in the memdesc designs it is allocated separately, 56 bytes of fields and the `pfn` of its
 * memory: 64 bytes.
 *
 * ```ts
 * const registry = createRegistry({ design: "memdesc-8", plugins: [folio(), slab()] });
 * registry.descriptorSize("slab", 1); // { variant: "default", size: 64, rounded: 64 }
 * ```
 */
export function slab(options?: SlabOptions): DescriptorPlugin<"slab", typeof slabValueSchema> {
  const parsed = parseOptions(slabOptionsSchema, options, "slab");
  const memdesc = memdescSlab(parsed.extraFields);
  checkLayouts({ "memdesc-era struct slab": memdesc }, "slab");
  return defineDescriptor({
    name: "@memdesc/slab",
    kind: "slab",
    title: "struct slab",
    description: "SLUB slabs: the pages a kmem_cache carves into objects, with their freelist and counters.",
    source: "mm/slab.h (Linux 6.18)",
    provenance: slabProvenance,
    uses: ["slab"],
    today: slabToday,
    memdesc,
    overlay: [slabMatch],
    schema: slabValueSchema,
    simulation: slabSimulation,
  });
}
