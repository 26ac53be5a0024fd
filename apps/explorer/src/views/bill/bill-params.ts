import type { ViewParams } from "../../lib/app-state.js";
import {
  defaultMix,
  folioOrders,
  type HugetlbOrder,
  hugetlbOrders,
  type Mix,
  presets,
  shareUses,
} from "./mix.js";

/*
 * The Bill view's state in the URL, so a link shows the same bill: a preset by name, or every control of a mix
 * of one's own; the growth of struct folio; or a survey as the starting point with its what-ifs. Values that do
 * not parse or fall outside a control's range are left at the default (a link is input like any other).
 */

/** Where the bill starts from: a mix of shares, or a surveyed machine's page map. */
export type BillSource = { readonly kind: "mix" } | { readonly kind: "survey"; readonly sample?: string };

/** The what-ifs applied to a surveyed machine. */
export interface WhatIf {
  /** Page-cache and anonymous folios smaller than this order are regrouped into folios of this order. */
  readonly minFolioOrder: number;
  /** Bytes added to the memdesc-era struct folio. */
  readonly folioGrowth: number;
  /** Today's kernel with HVO on or off, against what the survey read (undefined: as measured). */
  readonly hvo?: boolean | undefined;
}

export interface BillParams {
  readonly source: BillSource;
  readonly mix: Mix;
  /** The preset the mix is, if it is one unchanged. */
  readonly preset: string;
  readonly whatIf: WhatIf;
}

/** The controls' ranges, shared with the view's controls. */
export const ranges = {
  ramGiB: { min: 1, max: 4096 },
  share: { min: 0, max: 100 },
  slabOrder: { min: 0, max: 3 },
  folioGrowth: { min: 0, max: 256 },
  minFolioOrder: { min: 0, max: 9 },
} as const;

const shareKeys: Readonly<Record<(typeof shareUses)[number], string>> = {
  file: "file",
  anon: "anon",
  slab: "slab",
  pagetable: "pt",
  hugetlb: "huge",
  free: "free",
};

/** A whole number from the URL within [min, max], or undefined. */
function whole(text: string | undefined, r: { min: number; max: number }): number | undefined {
  if (text === undefined || !/^\d{1,6}$/.test(text)) return undefined;
  const n = Number(text);
  return n >= r.min && n <= r.max ? n : undefined;
}

export const defaultWhatIf: WhatIf = { minFolioOrder: 0, folioGrowth: 0 };

export function parseBillParams(p: ViewParams): BillParams {
  const from = p.from;
  const source: BillSource =
    from === "survey"
      ? { kind: "survey" }
      : from?.startsWith("sample:")
        ? { kind: "survey", sample: from.slice("sample:".length) }
        : { kind: "mix" };
  const folioGrowth = whole(p.grow, ranges.folioGrowth) ?? 0;
  const hvo = p.hvo === "1" ? true : p.hvo === "0" ? false : undefined;
  const whatIf: WhatIf = {
    minFolioOrder: whole(p.minOrder, ranges.minFolioOrder) ?? 0,
    folioGrowth,
    ...(hvo !== undefined ? { hvo } : {}),
  };
  const preset = p.preset !== undefined && presets[p.preset] ? p.preset : undefined;
  const base = preset ? presets[preset]! : defaultMix;
  const own = p.ram !== undefined || shareUses.some((u) => p[shareKeys[u]] !== undefined);
  const mix: Mix = {
    ramGiB: whole(p.ram, ranges.ramGiB) ?? base.ramGiB,
    shares: Object.fromEntries(
      shareUses.map((u) => [u, whole(p[shareKeys[u]], ranges.share) ?? base.shares[u]]),
    ) as Mix["shares"],
    folioOrders: Object.fromEntries(
      folioOrders.map((k) => [k, whole(p[`o${k}`], ranges.share) ?? base.folioOrders[k]]),
    ) as Mix["folioOrders"],
    slabOrder: whole(p.slabOrder, ranges.slabOrder) ?? base.slabOrder,
    folioGrowth,
    hugetlbOrder: (hugetlbOrders as readonly number[]).includes(Number(p.hugetlbOrder))
      ? (Number(p.hugetlbOrder) as HugetlbOrder)
      : base.hugetlbOrder,
    // HVO is a fact of the kernel, not of the mix: a preset keeps it.
    hvo: hvo ?? false,
  };
  return { source, mix, preset: own ? "" : (preset ?? (p.preset === undefined ? "desktop" : "")), whatIf };
}

/** The URL parameters of a state: only what differs from the defaults, so links stay short. */
export function billParams(s: BillParams): Record<string, string> {
  const out: Record<string, string> = {};
  if (s.source.kind === "survey") {
    out.from = s.source.sample ? `sample:${s.source.sample}` : "survey";
    if (s.whatIf.minFolioOrder) out.minOrder = String(s.whatIf.minFolioOrder);
    if (s.whatIf.folioGrowth) out.grow = String(s.whatIf.folioGrowth);
    if (s.whatIf.hvo !== undefined) out.hvo = s.whatIf.hvo ? "1" : "0";
    return out;
  }
  if (s.preset && presets[s.preset]) {
    if (s.preset !== "desktop") out.preset = s.preset;
  } else {
    out.ram = String(s.mix.ramGiB);
    for (const u of shareUses) out[shareKeys[u]] = String(s.mix.shares[u]);
    for (const k of folioOrders) out[`o${k}`] = String(s.mix.folioOrders[k]);
    out.slabOrder = String(s.mix.slabOrder);
    out.hugetlbOrder = String(s.mix.hugetlbOrder);
  }
  if (s.mix.folioGrowth) out.grow = String(s.mix.folioGrowth);
  if (s.mix.hvo) out.hvo = "1";
  return out;
}

/** Every key this view may put in the URL, to clear the ones a new state leaves out. */
export const billParamKeys = [
  "from",
  "minOrder",
  "grow",
  "preset",
  "ram",
  ...shareUses.map((u) => shareKeys[u]),
  ...folioOrders.map((k) => `o${k}`),
  "slabOrder",
  "hugetlbOrder",
  "hvo",
] as const;
