import { defineDescriptor, parseOptions } from "@memdesc/core";
import { z } from "zod";
import {
  type IommuModel,
  iommuPagesList,
  ioptdesc618,
  ioptdescIncoherent,
  ioptdescMemdesc,
  ioptdescMemdescProjection,
  ioptdescProvenance,
} from "./layout.js";
import { ioptdescMatch } from "./rules.js";
import { ioptdescValueSchema } from "./schema.js";
import { ioptdescSimulation } from "./simulation.js";

export interface IoptdescOptions {
  /**
   * Describe today's ioptdesc as after 6.18, with `union { u8 incoherent; pgoff_t __index; }` (default false:
   * Linux 6.18 as measured, plain `__index`). Both are 64 bytes and pass IOPTDESC_MATCH.
   */
  readonly incoherent?: boolean;
  /**
   * `today` (the default): Linux 6.18's iommu-pages, a whole page per sub-page table, lists freed at once.
   * `projection`: the series' "coming need", sub-page tables carved from a page and lists freed after RCU, with
   * the slot bookkeeping that needs in the memdesc-era descriptor (billed: 56 bytes, 64 in its cache).
   */
  readonly model?: IommuModel;
}

/** The options `ioptdesc()` accepts; unknown keys are errors. */
export const ioptdescOptionsSchema = z
  .object({ incoherent: z.boolean().optional(), model: z.enum(["today", "projection"]).optional() })
  .strict();

/**
 * The `ioptdesc` descriptor plugin: IOMMU page-table pages (the iommu-pages allocator). No revision of the
 * Memdescs table names it, so it takes a tag the table leaves free (14 in the current one, whose 11 is acctmem),
 * which `memdesc types` labels this project's proposal.
 *
 * ```ts
 * createRegistry({ plugins: [ioptdesc()] }).descriptorSize("ioptdesc"); // { size: 48, rounded: 48, ... }
 * createRegistry({ plugins: [ioptdesc({ model: "projection" })] }).descriptorSize("ioptdesc"); // 56, 64
 * ```
 */
export function ioptdesc(input: IoptdescOptions = {}) {
  const options = parseOptions(ioptdescOptionsSchema, input, "ioptdesc");
  const model = options.model ?? "today";
  return defineDescriptor({
    name: "@memdesc/ioptdesc",
    kind: "ioptdesc",
    title: "struct ioptdesc",
    description:
      "IOMMU page-table pages: power-of-two sizes (sub-page ones too) chained on an iommu_pages_list for freeing after an IOTLB flush.",
    source: "drivers/iommu/iommu-pages.h",
    provenance: ioptdescProvenance(model),
    storage: "pointer",
    memoryUses: { iommu: "IOMMU page-table pages" },
    uses: ["iommu"],
    today: options.incoherent ? ioptdescIncoherent : ioptdesc618,
    memdesc: model === "projection" ? ioptdescMemdescProjection : ioptdescMemdesc,
    overlay: [ioptdescMatch],
    layouts: { iommu_pages_list: iommuPagesList },
    schema: ioptdescValueSchema,
    simulation: ioptdescSimulation(model),
  });
}

export type IoptdescPlugin = ReturnType<typeof ioptdesc>;
