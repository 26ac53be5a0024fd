import type { UseTally } from "../classify.js";
import { type BilledUse, billedUses, type SurveyUse } from "../uses.js";

/** A kernel counter and the file it is in. */
export interface CounterRef {
  /** `nr_iommu_pages`, `pagesets count`, `free_area nr_free`. */
  readonly counter: string;
  readonly file: string;
}

/** A billed use: its pages and descriptors, and how they were counted. */
export interface BilledTally extends UseTally {
  /** `pfn`: classified PFN by PFN from the page map (less what counters moved out); else the counter. */
  readonly counted: "pfn" | CounterRef;
  /** Where the descriptor count comes from when not the page map: free blocks from /proc/buddyinfo. */
  readonly descriptorsFrom?: CounterRef | undefined;
}

/** Pages a counter proves are of a use the page map cannot see, and the page-map uses they were taken from. */
export interface Attribution {
  readonly use: Exclude<BilledUse, SurveyUse>;
  readonly counter: string;
  readonly file: string;
  /** Pages the counter says (the midpoint of its readings before and after the page map). */
  readonly counted: number;
  /** Taken from each page-map use, with the descriptors that went along. */
  readonly taken: readonly {
    readonly from: SurveyUse;
    readonly pages: number;
    readonly descriptors: number;
  }[];
  /** Pages the counter names that the page map had no more of in those uses (churn, or a counter counting wider). */
  readonly short: number;
}

/** A mutable copy of a group's uses that attributions take pages from. */
export class Ledger {
  private readonly tallies = new Map<BilledUse, { pages: number; descriptors: number; orders: number[] }>();
  private readonly counted = new Map<BilledUse, CounterRef>();
  private readonly descriptorsFrom = new Map<BilledUse, CounterRef>();

  constructor(uses: Readonly<Record<SurveyUse, UseTally>>) {
    for (const u of billedUses) {
      const t = (uses as Partial<Record<BilledUse, UseTally>>)[u];
      this.tallies.set(
        u,
        t ? { pages: t.pages, descriptors: t.descriptors, orders: [...t.orders] } : empty(),
      );
    }
  }

  pages(use: BilledUse): number {
    return this.tallies.get(use)!.pages;
  }

  orders(use: BilledUse): readonly number[] {
    return this.tallies.get(use)!.orders;
  }

  /**
   * Moves up to `pages` pages from a use without descriptors (kernel, uninit) to another, as one order-0
   * descriptor each if `describe`.
   */
  movePages(from: SurveyUse, to: BilledUse, pages: number, describe: boolean): number {
    const src = this.tallies.get(from)!;
    const n = Math.max(0, Math.min(pages, src.pages));
    src.pages -= n;
    const dst = this.tallies.get(to)!;
    dst.pages += n;
    if (describe && n > 0) {
      dst.descriptors += n;
      dst.orders[0] = (dst.orders[0] ?? 0) + n;
    }
    return n;
  }

  /**
   * Moves whole compound pages of order ≥ `minOrder` from one use to another, up to `pages` pages, largest
   * order first: for power-of-two sizes that finds an exact cover whenever one exists. Returns pages and
   * descriptors moved.
   */
  moveCompound(
    from: SurveyUse,
    to: BilledUse,
    pages: number,
    minOrder: number,
  ): { pages: number; descriptors: number } {
    const src = this.tallies.get(from)!;
    const dst = this.tallies.get(to)!;
    let left = pages;
    let moved = 0;
    let descriptors = 0;
    for (let k = src.orders.length - 1; k >= minOrder && left > 0; k--) {
      const size = 2 ** k;
      const t = Math.min(src.orders[k] ?? 0, Math.floor(left / size));
      if (t === 0) continue;
      src.orders[k]! -= t;
      src.descriptors -= t;
      src.pages -= t * size;
      while (dst.orders.length <= k) dst.orders.push(0);
      dst.orders[k]! += t;
      dst.descriptors += t;
      dst.pages += t * size;
      left -= t * size;
      moved += t * size;
      descriptors += t;
    }
    trim(src.orders);
    return { pages: moved, descriptors };
  }

  /** Sets how a use's pages were counted (an attributed use: its counter). */
  countedBy(use: BilledUse, ref: CounterRef): void {
    this.counted.set(use, ref);
  }

  /**
   * Replaces a use's descriptors with free blocks by order. Blocks read a moment after the page map can cover
   * more pages than it found free; then every order's count is scaled down alike (rounding down) to fit, which
   * keeps the orders' shares (this project's choice: which blocks went is not known). Returns the blocks dropped.
   */
  setBlocks(use: BilledUse, blocks: readonly number[], ref: CounterRef): { trimmed: number } {
    const t = this.tallies.get(use)!;
    const covered = blocks.reduce((s, n, k) => s + n * 2 ** k, 0);
    const scale = covered > t.pages ? t.pages / covered : 1;
    const orders = blocks.map((n) => Math.floor(n * scale));
    trim(orders);
    t.orders = orders;
    t.descriptors = orders.reduce((s, n) => s + n, 0);
    this.descriptorsFrom.set(use, ref);
    return { trimmed: blocks.reduce((s, n) => s + n, 0) - t.descriptors };
  }

  /** The billed uses. */
  result(): Record<BilledUse, BilledTally> {
    const out = {} as Record<BilledUse, BilledTally>;
    for (const u of billedUses) {
      const t = this.tallies.get(u)!;
      const from = this.descriptorsFrom.get(u);
      out[u] = {
        pages: t.pages,
        descriptors: t.descriptors,
        orders: t.orders,
        counted: this.counted.get(u) ?? "pfn",
        ...(from ? { descriptorsFrom: from } : {}),
      };
    }
    return out;
  }
}

const empty = () => ({ pages: 0, descriptors: 0, orders: [] as number[] });

function trim(orders: number[]): void {
  while (orders.length > 0 && orders[orders.length - 1] === 0) orders.pop();
}

/** How a billed use was counted, in a few words for a table: `page map`, `nr_iommu_pages`, `page map + buddyinfo`. */
export function countedLabel(t: BilledTally): string {
  if (t.counted === "pfn")
    return t.descriptorsFrom ? `page map + ${basename(t.descriptorsFrom.file)}` : "page map";
  if (t.counted.counter.startsWith("nr_slab_reclaimable")) return "nr_slab_* − slab pages";
  if (t.counted.counter === "pagesets count") return "zoneinfo pagesets";
  return t.counted.counter;
}

const basename = (path: string) => path.slice(path.lastIndexOf("/") + 1);
