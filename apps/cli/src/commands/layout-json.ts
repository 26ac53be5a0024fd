import type { Provenance } from "@memdesc/core";
import type { Layout } from "@memdesc/core/layout";
import type { LayoutOutput } from "../schemas.js";

/*
 * A layout as `memdesc layout --json` describes it, with `@memdesc/core/layout` alone (the rest of core only as
 * types): a kernel's struct read from BTF is shown without loading the registry, zod or the plugins.
 */

/** A layout `memdesc layout` shows: its JSON entry, the layout itself, and the comment lines above its text. */
export type Shown = LayoutOutput["layouts"][number] & { readonly full: Layout; readonly comment: string };

/** The JSON form of a layout: named fields with their sources when given, holes, padding. */
export function layoutJson(
  l: Layout,
  fieldSources: Readonly<Record<string, Provenance>> = {},
): LayoutOutput["layouts"][number]["layout"] {
  return {
    kind: l.kind,
    name: l.name ?? l.typedefName ?? null,
    abi: l.abi,
    size: l.size,
    align: l.align,
    fields: l.fields
      .filter((f) => !f.anonymous)
      .map((f) => ({
        path: f.path,
        offset: f.offset,
        size: f.size,
        ...(f.bitSize !== undefined ? { bitOffset: f.bitOffset ?? 0, bitSize: f.bitSize } : {}),
        type: f.typeName,
        ...(fieldSources[f.path] ? { provenance: fieldSources[f.path] } : {}),
      })),
    holes: l.holes.map((h) => ({
      in: h.in,
      after: h.after,
      offset: h.offset,
      size: h.size,
      ...(h.bits ? { bits: h.bits } : {}),
    })),
    padding: l.padding,
  };
}

/** A kernel's struct from BTF, titled as `layout` and `layout --vs` show it. */
export function btfEntry(title: string, l: Layout): Shown {
  return {
    role: "btf",
    title,
    variant: null,
    orders: null,
    rounded: null,
    provenance: null,
    wayBack: null,
    layout: layoutJson(l),
    full: l,
    comment: title,
  };
}
