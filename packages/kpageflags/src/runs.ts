import type { PageChunk } from "./read/page-chunk.js";

/**
 * One page-map file over a range of PFNs, run-length encoded: `count` runs of identical 64-bit words, each as
 * `[low 32 bits, high 32 bits, PFNs]` in `runs` (the array may be longer than `3 * count`). A real machine has
 * a run per 20–50 PFNs, so everything after the read works on runs, and its cost follows the runs rather than
 * the size of the machine (or what a snapshot claims it to be).
 */
export interface FileRuns {
  readonly runs: Float64Array;
  readonly count: number;
}

/**
 * A contiguous stretch of the page map as runs: kpageflags always, kpagecount and kpagecgroup when read, each
 * covering exactly `[pfn, pfn + length)`. Batches come in PFN order without gaps; a run may continue in the
 * next batch.
 */
export interface RunBatch {
  readonly pfn: number;
  readonly length: number;
  readonly flags: FileRuns;
  readonly counts?: FileRuns | undefined;
  readonly cgroups?: FileRuns | undefined;
}

/**
 * The first index (in u32 halves) from `j` whose word differs from (lo, hi), or `end2`. A small loop of its own
 * so V8 optimises it alone; it is the only per-PFN work of a survey.
 */
function scan(w: Uint32Array, j: number, end2: number, lo: number, hi: number): number {
  while (j < end2 && w[j] === lo && w[j + 1] === hi) j += 2;
  return j;
}

/** Run-length encodes `n` words held as u32 halves (low first) into `out` (at least `3 * n` long). */
export function encodeRuns(words: Uint32Array, n: number, out: Float64Array): FileRuns {
  let count = 0;
  const end2 = n * 2;
  let j = 0;
  while (j < end2) {
    const lo = words[j]!;
    const hi = words[j + 1]!;
    const next = scan(words, j + 2, end2, lo, hi);
    out[count * 3] = lo;
    out[count * 3 + 1] = hi;
    out[count * 3 + 2] = (next - j) / 2;
    count++;
    j = next;
  }
  return { runs: out, count };
}

/** A chunk of words (a reader's buffers) as a batch of runs; the scratch arrays are reused between calls. */
export class ChunkEncoder {
  private scratch: Float64Array[] = [];

  encode(chunk: PageChunk): RunBatch {
    const n = chunk.length;
    const buf = (i: number) => {
      let b = this.scratch[i];
      if (!b || b.length < 3 * n) {
        b = new Float64Array(3 * n);
        this.scratch[i] = b;
      }
      return b;
    };
    return {
      pfn: chunk.pfn,
      length: n,
      flags: encodeRuns(chunk.flags, n, buf(0)),
      counts: chunk.counts && encodeRuns(chunk.counts, n, buf(1)),
      cgroups: chunk.cgroups && encodeRuns(chunk.cgroups, n, buf(2)),
    };
  }
}

/** Copies the used part of runs into an array of its own (to keep or transfer). */
export function compactRuns(r: FileRuns): FileRuns {
  return { runs: r.runs.slice(0, r.count * 3), count: r.count };
}

/** PFNs the runs cover. */
export function runsLength(r: FileRuns): number {
  let n = 0;
  for (let i = 0; i < r.count; i++) n += r.runs[i * 3 + 2]!;
  return n;
}

/**
 * Walks two files' runs over the same PFNs together, calling `fn(a, b, start, length)` for each stretch where
 * both are constant (`a`, `b`: run indexes). Cost: the two run counts added.
 */
export function zipRuns(
  a: FileRuns,
  b: FileRuns,
  start: number,
  fn: (ia: number, ib: number, pfn: number, len: number) => void,
): void {
  let ia = 0;
  let ib = 0;
  let leftA = a.count > 0 ? a.runs[2]! : 0;
  let leftB = b.count > 0 ? b.runs[2]! : 0;
  let pfn = start;
  while (ia < a.count && ib < b.count) {
    const len = Math.min(leftA, leftB);
    fn(ia, ib, pfn, len);
    pfn += len;
    leftA -= len;
    leftB -= len;
    if (leftA === 0 && ++ia < a.count) leftA = a.runs[ia * 3 + 2]!;
    if (leftB === 0 && ++ib < b.count) leftB = b.runs[ib * 3 + 2]!;
  }
}
