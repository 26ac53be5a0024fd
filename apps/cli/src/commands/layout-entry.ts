import { fieldsByPath, formatProvenance, type Layout, type Provenance } from "@memdesc/core";
import type { LayoutOutput } from "../schemas.js";

/** A layout `memdesc layout` shows: its JSON entry, the layout itself, and the comment lines above its text. */
export type Shown = LayoutOutput["layouts"][number] & { readonly full: Layout; readonly comment: string };

/** Where a layout comes from, field sources that differ, and how its descriptor finds its memory. */
export interface Sourced {
  readonly provenance?: Provenance | undefined;
  readonly fields?: Readonly<Record<string, Provenance>>;
  readonly wayBack?: LayoutOutput["layouts"][number]["wayBack"];
}

/** A layout as `memdesc layout --json` describes it, with its sources and its way back when given. */
export function entry(
  role: Shown["role"],
  title: string,
  l: Layout,
  variant: string | null,
  orders: number[] | null,
  rounded: number | null,
  comment = title,
  sourced: Sourced = {},
): Shown {
  const fieldSources = sourced.fields ?? {};
  const lines = [comment];
  if (sourced.provenance !== undefined)
    lines.push(`fields: ${formatProvenance(sourced.provenance, { notes: true })}`);
  const paths = fieldsByPath(l);
  for (const [path, p] of Object.entries(fieldSources))
    if (paths.has(path)) lines.push(`${path}: ${formatProvenance(p, { notes: true })}`);
  const back = sourced.wayBack;
  if (back)
    lines.push(
      "field" in back
        ? `finds its memory through ${back.field} (offset ${back.offset}, ${back.size} bytes): the PFN of its first page`
        : `finds its memory without a PFN field: ${back.how} (${formatProvenance(back.provenance)})`,
    );
  return {
    role,
    title,
    variant,
    orders,
    rounded,
    provenance: sourced.provenance ?? null,
    wayBack: back ?? null,
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
    },
    full: l,
    comment: lines.join(" */\n/* "),
  };
}
