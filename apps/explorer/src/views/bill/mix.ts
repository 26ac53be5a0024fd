import { type AnyDescriptor, c, createRegistry, type PictureInput } from "@memdesc/core";
import { anonFolio, folio } from "@memdesc/folio";
import { type AnyRegistry, designOf, firstPartyPlugins, firstPartyRegistry } from "../../lib/registry.js";

/** The Bill view's controls: a machine and what its memory is used for. */
export interface Mix {
  /** RAM in GiB. */
  readonly ramGiB: number;
  /** Percent of RAM per use; what is left over is other kernel memory (no descriptor). */
  readonly shares: Readonly<Record<ShareUse, number>>;
  /** How folio memory (page cache and anonymous) splits across folio orders: weights per order. */
  readonly folioOrders: Readonly<Record<FolioOrder, number>>;
  /** The order of every slab (SLUB picks 0–3 per cache). */
  readonly slabOrder: number;
  /** Bytes appended to the memdesc-era struct folio, small and large: "what if struct folio grows". */
  readonly folioGrowth: number;
  /** The order of the hugetlb pool's pages: 9 (2 MiB) or 18 (1 GiB). */
  readonly hugetlbOrder: HugetlbOrder;
  /**
   * Whether today's kernel runs with the HugeTLB vmemmap optimisation (vm.hugetlb_optimize_vmemmap = 1): each
   * hugetlb page keeps only the first page of its struct pages (docs/kernel.md, "HugeTLB vmemmap optimisation").
   */
  readonly hvo: boolean;
}

export const hugetlbOrders = [9, 18] as const;
export type HugetlbOrder = (typeof hugetlbOrders)[number];

export const shareUses = ["file", "anon", "slab", "pagetable", "hugetlb", "free"] as const;
export type ShareUse = (typeof shareUses)[number];
export const shareTitles: Record<ShareUse, string> = {
  file: "Page cache",
  anon: "Anonymous memory",
  slab: "Slab",
  pagetable: "Page tables",
  hugetlb: "HugeTLB pool",
  free: "Free memory",
};

export const folioOrders = [0, 2, 4, 9] as const;
export type FolioOrder = (typeof folioOrders)[number];
export const folioOrderTitles: Record<FolioOrder, string> = {
  0: "order 0 (4 KiB)",
  2: "order 2 (16 KiB)",
  4: "order 4 (64 KiB)",
  9: "order 9 (2 MiB, THP)",
};

export const presets: Readonly<Record<string, Mix>> = {
  desktop: {
    ramGiB: 16,
    shares: { file: 30, anon: 25, slab: 5, pagetable: 1, hugetlb: 0, free: 30 },
    folioOrders: { 0: 80, 2: 10, 4: 5, 9: 5 },
    slabOrder: 1,
    folioGrowth: 0,
    hugetlbOrder: 9,
    hvo: false,
  },
  database: {
    ramGiB: 256,
    shares: { file: 35, anon: 30, slab: 3, pagetable: 2, hugetlb: 20, free: 5 },
    folioOrders: { 0: 50, 2: 10, 4: 10, 9: 30 },
    slabOrder: 1,
    folioGrowth: 0,
    hugetlbOrder: 9,
    hvo: false,
  },
  "large folios everywhere": {
    ramGiB: 64,
    shares: { file: 40, anon: 30, slab: 4, pagetable: 1, hugetlb: 0, free: 20 },
    folioOrders: { 0: 10, 2: 20, 4: 30, 9: 40 },
    slabOrder: 2,
    folioGrowth: 0,
    hugetlbOrder: 9,
    hvo: false,
  },
  "mostly free": {
    ramGiB: 1024,
    shares: { file: 5, anon: 5, slab: 1, pagetable: 0, hugetlb: 0, free: 85 },
    folioOrders: { 0: 80, 2: 10, 4: 5, 9: 5 },
    slabOrder: 1,
    folioGrowth: 0,
    hugetlbOrder: 9,
    hvo: false,
  },
};

export const defaultMix: Mix = presets.desktop!;

const PAGES_PER_GIB = 262_144;

/**
 * The memory picture of a mix: pages and descriptors per use, with order histograms. Each use's pages are
 * whole descriptors of its orders (a 2 MiB folio is 512 pages or none); whatever the shares leave, and the
 * remainders of rounding, is other kernel memory. Shares adding up to more than 100 % are scaled down.
 */
export function mixPicture(mix: Mix): { picture: PictureInput; scaled: number } {
  const pages = Math.max(1, Math.round(mix.ramGiB * PAGES_PER_GIB));
  const total = shareUses.reduce((s, u) => s + Math.max(0, mix.shares[u]), 0);
  const scale = total > 100 ? 100 / total : 1;
  const uses: Record<string, { pages: number; descriptors: number; orders?: Record<string, number> }> = {};
  let used = 0;
  const weights = folioOrders.reduce((s: number, k) => s + Math.max(0, mix.folioOrders[k]), 0);
  for (const u of shareUses) {
    const want = Math.floor((pages * Math.max(0, mix.shares[u]) * scale) / 100);
    if (want === 0) continue;
    if (u === "free") {
      uses.free = { pages: want, descriptors: 0 };
      used += want;
      continue;
    }
    const orders: Record<string, number> = {};
    if (u === "file" || u === "anon") {
      for (const k of folioOrders) {
        const w = weights === 0 ? (k === 0 ? 1 : 0) : Math.max(0, mix.folioOrders[k]) / weights;
        const n = Math.floor((want * w) / 2 ** k);
        if (n > 0) orders[k] = n;
      }
    } else {
      const k = u === "slab" ? mix.slabOrder : u === "hugetlb" ? mix.hugetlbOrder : 0;
      const n = Math.floor(want / 2 ** k);
      if (n > 0) orders[k] = n;
    }
    const descriptors = Object.values(orders).reduce((s, n) => s + n, 0);
    const usePages = Object.entries(orders).reduce((s, [k, n]) => s + n * 2 ** Number(k), 0);
    if (usePages === 0) continue;
    uses[u] = { pages: usePages, descriptors, orders };
    used += usePages;
  }
  if (pages > used) uses.kernel = { pages: pages - used, descriptors: 0 };
  return {
    picture: { pageSize: 4096, source: `a ${mix.ramGiB} GiB machine (Bill view mix)`, uses, hvo: mix.hvo },
    scaled: scale,
  };
}

const grown = new Map<string, AnyRegistry>();

/**
 * The first-party registry under a design, with struct folio grown by `growth` bytes (a `_grow` byte array
 * appended to every memdesc-era folio variant, through the folio plugins' `extraFields`; struct anon_folio, derived
 * from the folio's field list, grows with it).
 */
export function mixRegistry(design: string, growth: number): AnyRegistry {
  if (growth <= 0) return firstPartyRegistry(design);
  const key = `${design}+${growth}`;
  let r: AnyRegistry | undefined = grown.get(key);
  if (!r) {
    // The folio plugins come first in the set; the others keep their places.
    const others = firstPartyPlugins().filter((p) => p.kind !== "folio" && p.kind !== "anon");
    const extraFields = [["_grow", c.array(c.u8, growth)]] as const;
    r = createRegistry({
      design: designOf(design),
      abi: "lp64",
      plugins: [folio({ extraFields }), anonFolio({ extraFields }), ...others] as readonly AnyDescriptor[],
    }) as AnyRegistry;
    grown.set(key, r);
  }
  return r;
}
