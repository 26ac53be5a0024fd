import { grown } from "../util/grow.js";

/**
 * What a workload has allocated and may later free, split or reclaim, per memory use: descriptor addresses, or
 * Misc blocks as `pfn * 16 + order`. Each use's handles are a typed-array stack; removing one moves the last
 * into its place, so picking at random stays O(1).
 */
export class TrackedHandles {
  private lists: Float64Array[];
  private readonly tops: Int32Array;

  /** Handles for `uses` memory uses (the registry's, by index). */
  constructor(uses: number) {
    this.lists = Array.from({ length: uses }, () => new Float64Array(64));
    this.tops = new Int32Array(uses);
  }

  /** Handles of use `u`. */
  count(u: number): number {
    return this.tops[u]!;
  }

  /** The `i`th handle of use `u`. */
  at(u: number, i: number): number {
    return this.lists[u]![i]!;
  }

  track(u: number, handle: number): void {
    const top = this.tops[u]!;
    if (top === this.lists[u]!.length) this.lists[u] = grown(this.lists[u]!, top + 1);
    this.lists[u]![top] = handle;
    this.tops[u] = top + 1;
  }

  /** Removes and returns the `i`th handle of use `u` (the last one takes its place). */
  untrack(u: number, i: number): number {
    const list = this.lists[u]!;
    const top = --this.tops[u]!;
    const h = list[i]!;
    list[i] = list[top]!;
    return h;
  }
}
