import { defineDescriptor } from "@memdesc/core";
import { iommuPagesList, ioptdesc618, ioptdescIncoherent, ioptdescMemdesc } from "./layout.js";
import { ioptdescMatch } from "./rules.js";
import { ioptdescValueSchema } from "./schema.js";
import { ioptdescSimulation } from "./simulation.js";

export interface IoptdescOptions {
  /**
   * Describe today's ioptdesc as after 6.18, with `union { u8 incoherent; pgoff_t __index; }` (default false:
   * Linux 6.18 as measured, plain `__index`). Both are 64 bytes and pass IOPTDESC_MATCH.
   */
  readonly incoherent?: boolean;
}

/**
 * The `ioptdesc` descriptor plugin: IOMMU page-table pages (the iommu-pages allocator). No published type
 * table names it, so it takes a free tag.
 *
 * ```ts
 * createRegistry({ plugins: [ioptdesc()] }).descriptorSize("ioptdesc"); // { size: 40, rounded: 48, ... }
 * ```
 */
export function ioptdesc(options: IoptdescOptions = {}) {
  return defineDescriptor({
    name: "@memdesc/ioptdesc",
    kind: "ioptdesc",
    title: "struct ioptdesc",
    description:
      "IOMMU page-table pages: power-of-two sizes (sub-page ones too) chained on an iommu_pages_list for freeing after an IOTLB flush.",
    source: "drivers/iommu/iommu-pages.h",
    storage: "pointer",
    uses: ["iommu"],
    today: options.incoherent ? ioptdescIncoherent : ioptdesc618,
    memdesc: ioptdescMemdesc,
    overlay: [ioptdescMatch],
    layouts: { iommu_pages_list: iommuPagesList },
    schema: ioptdescValueSchema,
    simulation: ioptdescSimulation,
  });
}

export type IoptdescPlugin = ReturnType<typeof ioptdesc>;
