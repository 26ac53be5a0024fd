import { fieldsByPath, formatProvenance, type Layout, type Provenance } from "@memdesc/core";
import { layoutJson, type Shown } from "./layout-json.js";

export type { Shown };

/** Where a layout comes from, field sources that differ, and how its descriptor finds its memory. */
export interface Sourced {
  readonly provenance?: Provenance | undefined;
  readonly fields?: Readonly<Record<string, Provenance>>;
  readonly wayBack?: Shown["wayBack"];
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
    layout: layoutJson(l, fieldSources),
    full: l,
    comment: lines.join(" */\n/* "),
  };
}
