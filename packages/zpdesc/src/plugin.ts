import { defineDescriptor } from "@memdesc/core";
import { zpdescMemdesc, zpdescToday, zspage, zspageLock } from "./layout.js";
import { zpdescMatch } from "./rules.js";
import { type ZpdescSchemaOptions, zpdescValueSchema } from "./schema.js";

export interface ZpdescOptions extends ZpdescSchemaOptions {}

/**
 * The `zpdesc` descriptor plugin: the pages of zsmalloc's zspages (zram, zswap). No published type table
 * names it, so it takes a free tag.
 *
 * ```ts
 * createRegistry({ plugins: [zpdesc()] }).descriptorSize("zpdesc"); // { size: 32, rounded: 32, ... }
 * ```
 */
export function zpdesc(options: ZpdescOptions = {}) {
  return defineDescriptor({
    name: "@memdesc/zpdesc",
    kind: "zpdesc",
    title: "struct zpdesc",
    description:
      "zsmalloc backing pages: each zspage chains 1 to CONFIG_ZSMALLOC_CHAIN_SIZE pages of one size class, described by a struct zspage.",
    source: "mm/zpdesc.h",
    storage: "pointer",
    uses: ["zsmalloc"],
    today: zpdescToday,
    memdesc: zpdescMemdesc,
    overlay: [zpdescMatch],
    layouts: { zspage, zspage_lock: zspageLock },
    schema: zpdescValueSchema(options),
  });
}

export type ZpdescPlugin = ReturnType<typeof zpdesc>;
