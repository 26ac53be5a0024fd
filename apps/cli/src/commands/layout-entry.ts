import type { Layout } from "@memdesc/core";
import type { LayoutOutput } from "../schemas.js";

/** A layout `memdesc layout` shows: its JSON entry, the layout itself, and the comment line above its text. */
export type Shown = LayoutOutput["layouts"][number] & { readonly full: Layout; readonly comment: string };

/** A layout as `memdesc layout --json` describes it. */
export function entry(
  role: Shown["role"],
  title: string,
  l: Layout,
  variant: string | null,
  orders: number[] | null,
  rounded: number | null,
  comment = title,
): Shown {
  return {
    role,
    title,
    variant,
    orders,
    rounded,
    layout: {
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
        })),
      holes: l.holes.map((h) => ({
        in: h.in,
        after: h.after,
        offset: h.offset,
        size: h.size,
        ...(h.bits ? { bits: h.bits } : {}),
      })),
      padding: l.padding,
    },
    full: l,
    comment,
  };
}
