// Browser-safe: no node: imports, so the `./browser` entry can use it.

/** A half-open PFN range `[start, end)`. */
export interface PfnRange {
  readonly start: number;
  readonly end: number;
}

/** What /proc/iomem says about RAM: the page-aligned "System RAM" ranges, as PFN ranges. */
export interface RamMap {
  /** Sorted, non-overlapping, merged PFN ranges of System RAM. */
  readonly ranges: readonly PfnRange[];
  /** RAM pages in total. */
  readonly pages: number;
}

/** Sorts and merges ranges into a RamMap. */
export function ramMap(ranges: readonly PfnRange[]): RamMap {
  const sorted = [...ranges].filter((r) => r.end > r.start).sort((a, b) => a.start - b.start);
  const merged: PfnRange[] = [];
  for (const r of sorted) {
    const last = merged[merged.length - 1];
    if (last && r.start <= last.end)
      merged[merged.length - 1] = { start: last.start, end: Math.max(last.end, r.end) };
    else merged.push({ start: r.start, end: r.end });
  }
  let pages = 0;
  for (const r of merged) pages += r.end - r.start;
  return { ranges: merged, pages };
}
