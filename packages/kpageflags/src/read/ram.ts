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

/**
 * The widest physical address the architectures memdesc models can have: 52 bits, x86-64's
 * MAX_PHYSMEM_BITS with 5-level paging (arch/x86/include/asm/sparsemem.h) and arm64's with 52-bit physical
 * addresses (MAX_PHYSMEM_BITS is CONFIG_ARM64_PA_BITS, arch/arm64/include/asm/sparsemem.h). A page map that
 * claims a PFN beyond it describes no real machine, so readers refuse it before looping over its PFNs.
 */
export const maxPhysBits = 52;

/** How many PFNs a physical address space of `maxPhysBits` has, for pages of `pageSize` bytes. */
export const maxPfns = (pageSize: number): number => 2 ** maxPhysBits / pageSize;
