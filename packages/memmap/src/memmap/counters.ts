import { MemmapError } from "../errors.js";

/** The use index of descriptor caches' slab pages: the metadata being billed, kept out of the per-use counts. */
export const USE_META = 255;

/**
 * Pages, descriptors and descriptors by order per memory use, counted on every allocation and free (what the
 * picture is made of, like vmstat's counters rather than a walk of the memmap). The three are views of one
 * array, so the allocation paths update them through one array.
 */
export class UseCounters {
  /** The three below in one array, for the allocation path: `descsAt` and `ordersAt` are where the last two start. */
  readonly stats: Float64Array;
  readonly pages: Float64Array;
  readonly descriptors: Float64Array;
  /** `orders[use * (maxOrder + 1) + order]`: descriptors by order. */
  readonly orders: Float64Array;
  readonly descsAt: number;
  readonly ordersAt: number;
  readonly ordersPerUse: number;
  /** The uses counted, by index: the registry's. */
  readonly names: readonly string[];
  private readonly index = new Map<string, number>();

  constructor(names: readonly string[], maxOrder: number) {
    this.names = names;
    for (const [i, u] of names.entries()) this.index.set(u, i);
    const uses = names.length;
    this.stats = new Float64Array(uses * (maxOrder + 3));
    this.descsAt = uses;
    this.ordersAt = 2 * uses;
    this.ordersPerUse = maxOrder + 1;
    this.pages = this.stats.subarray(0, uses);
    this.descriptors = this.stats.subarray(uses, 2 * uses);
    this.orders = this.stats.subarray(2 * uses);
  }

  /** The index of a memory use; BAD_OPTIONS for a name that is none. */
  useOf(use: string): number {
    const i = this.index.get(use);
    if (i === undefined)
      throw new MemmapError(
        "BAD_OPTIONS",
        `unknown memory use ${use}: neither core's nor declared by a composed plugin (uses: ${this.names.join(", ")})`,
      );
    return i;
  }

  /** Pages and descriptors of `order` that came (positive) or went (negative). */
  count(use: number, pages: number, order: number, descriptors: number): void {
    const s = this.stats;
    s[use]! += pages;
    s[this.descsAt + use]! += descriptors;
    s[this.ordersAt + use * this.ordersPerUse + order]! += descriptors;
  }
}
