import { defineDescriptor, parseOptions } from "@memdesc/core";
import { z } from "zod";
import { zpdescMemdesc, zpdescProvenance, zpdescToday, zspage, zspageLock } from "./layout.js";
import { zpdescMatch } from "./rules.js";
import { type ZpdescSchemaOptions, zpdescValueSchema } from "./schema.js";
import { ZSMALLOC_CHAIN_SIZE_RANGE } from "./zsmalloc.js";

export interface ZpdescOptions extends ZpdescSchemaOptions {}

/** The options `zpdesc()` accepts; unknown keys are errors. */
export const zpdescOptionsSchema = z
  .object({
    chainSize: z
      .number()
      .int()
      .min(
        ZSMALLOC_CHAIN_SIZE_RANGE[0],
        `CONFIG_ZSMALLOC_CHAIN_SIZE is ${ZSMALLOC_CHAIN_SIZE_RANGE.join(" to ")}`,
      )
      .max(
        ZSMALLOC_CHAIN_SIZE_RANGE[1],
        `CONFIG_ZSMALLOC_CHAIN_SIZE is ${ZSMALLOC_CHAIN_SIZE_RANGE.join(" to ")}`,
      )
      .optional(),
  })
  .strict();

/**
 * The `zpdesc` descriptor plugin: the pages of zsmalloc's zspages (zram, zswap). The current Memdescs table gives
 * it type 12 (ZPDesc); the earlier revisions do not name it, so there it takes a free tag.
 *
 * ```ts
 * createRegistry({ plugins: [zpdesc()] }).descriptorSize("zpdesc"); // { size: 40, rounded: 48, ... }
 * ```
 */
export function zpdesc(input: ZpdescOptions = {}) {
  const options = parseOptions(zpdescOptionsSchema, input, "zpdesc");
  return defineDescriptor({
    name: "@memdesc/zpdesc",
    kind: "zpdesc",
    title: "struct zpdesc",
    description:
      "zsmalloc backing pages: each zspage chains 1 to CONFIG_ZSMALLOC_CHAIN_SIZE pages of one size class, described by a struct zspage.",
    source: "mm/zpdesc.h",
    provenance: zpdescProvenance,
    storage: "pointer",
    memoryUses: { zsmalloc: "zsmalloc backing pages" },
    uses: ["zsmalloc"],
    today: zpdescToday,
    memdesc: zpdescMemdesc,
    overlay: [zpdescMatch],
    layouts: { zspage, zspage_lock: zspageLock },
    schema: zpdescValueSchema(options),
  });
}

export type ZpdescPlugin = ReturnType<typeof zpdesc>;
