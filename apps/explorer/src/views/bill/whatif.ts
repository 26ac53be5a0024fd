import type { PictureInput } from "@memdesc/core";
import type { WhatIf } from "./bill-params.js";

/** The uses whose memory is in folios a what-if may make larger: the page cache and anonymous memory. */
export const folioUses = ["file", "anon"] as const;

/**
 * A measured picture with larger folios: in the page cache and anonymous memory, the pages of folios smaller
 * than order `minFolioOrder` are regrouped into folios of that order (what the same memory would be with the
 * kernel allocating folios of at least that size), the pages that do not fill one left as order-0 folios. Pages
 * per use do not change; descriptors and the order histogram do.
 */
export function withLargerFolios(picture: PictureInput, minOrder: number): PictureInput {
  if (minOrder <= 0) return picture;
  const uses = { ...picture.uses };
  for (const u of folioUses) {
    const e = uses[u];
    if (!e?.orders) continue;
    const orders: Record<string, number> = {};
    let small = 0;
    for (const [k, n] of Object.entries(e.orders)) {
      if (Number(k) < minOrder) small += n * 2 ** Number(k);
      else orders[k] = (orders[k] ?? 0) + n;
    }
    const grouped = Math.floor(small / 2 ** minOrder);
    const left = small - grouped * 2 ** minOrder;
    if (grouped) orders[minOrder] = (orders[minOrder] ?? 0) + grouped;
    if (left) orders[0] = (orders[0] ?? 0) + left;
    const descriptors = Object.values(orders).reduce((s, n) => s + n, 0);
    uses[u] = { ...e, descriptors, orders };
  }
  return { ...picture, uses };
}

/**
 * The picture of a what-if: the measured one with its folios regrouped and HVO as asked (struct folio's growth is
 * the registry's, not the picture's).
 */
export function whatIfPicture(measured: PictureInput, w: WhatIf): PictureInput {
  const p = withLargerFolios(measured, w.minFolioOrder);
  const what = describeWhatIf(w, measured.hvo);
  return {
    ...p,
    ...(w.hvo !== undefined ? { hvo: w.hvo } : {}),
    source: `${measured.source ?? "a survey"}${what ? `, ${what}` : ""}`,
  };
}

/** `folios of at least order 2, struct folio + 32 bytes, HVO on`, or "" with no what-if. */
export function describeWhatIf(w: WhatIf, measuredHvo?: boolean): string {
  const parts: string[] = [];
  if (w.minFolioOrder > 0) parts.push(`folios of at least order ${w.minFolioOrder}`);
  if (w.folioGrowth > 0) parts.push(`struct folio + ${w.folioGrowth} bytes`);
  if (w.hvo !== undefined && w.hvo !== (measuredHvo ?? false)) parts.push(`HVO ${w.hvo ? "on" : "off"}`);
  return parts.join(", ");
}
