import { defineDescriptor, parseOptions } from "@memdesc/core";
import { z } from "zod";
import { type PtdescLayoutOptions, ptdescMemdesc, ptdescProvenance, ptdescToday } from "./layout.js";
import { tableMatch } from "./rules.js";
import { type PtdescSchemaOptions, ptdescValueSchema } from "./schema.js";
import { ptdescSimulation } from "./simulation.js";

export interface PtdescOptions extends PtdescLayoutOptions, PtdescSchemaOptions {}

/** The options `ptdesc()` accepts; unknown keys are errors. */
export const ptdescOptionsSchema = z
  .object({
    keepAllFields: z.boolean().optional(),
    maxFragments: z
      .number()
      .int("maxFragments is a whole number of fragments")
      .min(1, "maxFragments is at least 1")
      .max(2 ** 31 - 1, "maxFragments is an atomic_t count: at most INT_MAX")
      .optional(),
  })
  .strict();

/**
 * The `ptdesc` descriptor plugin: CPU page-table pages. Its memdesc tag comes from the design's type table
 * (8 in the current Memdescs table, PageTable 7 in the 2025 revision, 9 in the older one).
 *
 * ```ts
 * createRegistry({ plugins: [ptdesc()] }).descriptorSize("ptdesc"); // { size: 56, rounded: 64, ... }
 * createRegistry({ plugins: [ptdesc({ keepAllFields: true })] }).descriptorSize("ptdesc"); // 72, 80
 * ```
 */
export function ptdesc(input: PtdescOptions = {}) {
  const options = parseOptions(ptdescOptionsSchema, input, "ptdesc");
  return defineDescriptor({
    name: "@memdesc/ptdesc",
    kind: "ptdesc",
    title: "struct ptdesc",
    description:
      "CPU page-table pages: split page-table locks, the THP deposit, the x86 pgd list, powerpc fragments and hugetlb PMD sharing.",
    source: "include/linux/mm_types.h",
    provenance: ptdescProvenance,
    storage: "pointer",
    uses: ["pagetable"],
    today: ptdescToday,
    memdesc: ptdescMemdesc(options),
    overlay: [tableMatch],
    schema: ptdescValueSchema(options),
    simulation: ptdescSimulation,
  });
}

export type PtdescPlugin = ReturnType<typeof ptdesc>;
