// `useOfFlags` is kpageflags' name; renamed here so that linters do not take it for a React hook.
import {
  useOfFlags as classifyWord,
  type DecodedStream,
  type RamMap,
  useNumbers,
} from "@memdesc/kpageflags/browser";

/**
 * A page map as runs of memory uses: `use[i]` (an index into kpageflags' `surveyUses`) for the PFNs from
 * `end[i - 1]` (or 0) to `end[i]`, offsets from `startPfn`. A real machine has a few hundred thousand runs
 * for millions of PFNs, so the page map is drawn and looked up from these, never from an object per PFN.
 */
export interface UseRuns {
  readonly startPfn: number;
  readonly pfnCount: number;
  readonly end: Uint32Array;
  readonly use: Uint8Array;
}

export interface PageMapShape {
  readonly startPfn: number;
  readonly pfnCount: number;
  readonly ram: RamMap | null;
  readonly sectionPfns: number;
}

const { hole: HOLE, kernel: KERNEL, uninit: UNINIT } = useNumbers;

/**
 * The use of every PFN of a kpageflags stream, by the classifier's rules (kpageflags' `Classifier`): a
 * non-zero word's use is `useOfFlags`; a run of zero words is a hole outside System RAM and, inside it,
 * uninitialised memmap for the aligned memory sections it covers whole and untyped kernel memory for the
 * rest. Zero runs are merged first, as the classifier sees maximal runs.
 */
export function pageUseRuns(flags: DecodedStream, shape: PageMapShape): UseRuns {
  const ends: number[] = [];
  const uses: number[] = [];
  const start = shape.startPfn;
  let at = start;
  const push = (use: number, len: number) => {
    if (len <= 0) return;
    at += len;
    const last = uses.length - 1;
    if (last >= 0 && uses[last] === use) ends[last] = at - start;
    else {
      uses.push(use);
      ends.push(at - start);
    }
  };
  const section = shape.sectionPfns;
  const zeroInRam = (a: number, b: number) => {
    const first = Math.ceil(a / section) * section;
    const last = Math.floor(b / section) * section;
    if (last > first) {
      push(KERNEL, first - a);
      push(UNINIT, last - first);
      push(KERNEL, b - last);
    } else push(KERNEL, b - a);
  };
  const ranges = shape.ram?.ranges;
  let ramIdx = 0;
  const zeroRun = (a: number, b: number) => {
    if (!ranges) return zeroInRam(a, b);
    let pos = a;
    while (pos < b) {
      while (ramIdx < ranges.length && ranges[ramIdx]!.end <= pos) ramIdx++;
      const r = ranges[ramIdx];
      const gapEnd = r === undefined ? b : Math.min(b, Math.max(pos, r.start));
      if (gapEnd > pos) {
        push(HOLE, gapEnd - pos);
        pos = gapEnd;
        continue;
      }
      const segEnd = Math.min(b, r!.end);
      zeroInRam(pos, segEnd);
      pos = segEnd;
    }
  };

  const { values, runValue, runLength } = flags;
  let zeroStart = -1;
  let pfn = start;
  let cacheV = -1;
  let cacheUse: number = KERNEL;
  for (let r = 0; r < runValue.length; r++) {
    const v = runValue[r]!;
    const len = runLength[r]!;
    const lo = values[2 * v]!;
    const hi = values[2 * v + 1]!;
    if (lo === 0 && hi === 0) {
      if (zeroStart < 0) zeroStart = pfn;
    } else {
      if (zeroStart >= 0) {
        zeroRun(zeroStart, pfn);
        zeroStart = -1;
      }
      if (v !== cacheV) {
        cacheV = v;
        cacheUse = classifyWord(lo, hi);
      }
      push(cacheUse, len);
    }
    pfn += len;
  }
  if (zeroStart >= 0) zeroRun(zeroStart, pfn);
  return {
    startPfn: start,
    pfnCount: pfn - start,
    end: Uint32Array.from(ends),
    use: Uint8Array.from(uses),
  };
}

/** Pages per use (indexed like `surveyUses`): what the survey's `uses[u].pages` must equal. */
export function pagesPerUse(runs: UseRuns, uses = 15): number[] {
  const out = new Array<number>(uses).fill(0);
  let prev = 0;
  for (let i = 0; i < runs.end.length; i++) {
    out[runs.use[i]!]! += runs.end[i]! - prev;
    prev = runs.end[i]!;
  }
  return out;
}

/** The run holding PFN offset `offset` (binary search over run ends). */
export function runAt(end: ArrayLike<number>, offset: number): number {
  let lo = 0;
  let hi = end.length - 1;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (end[mid]! > offset) hi = mid;
    else lo = mid + 1;
  }
  return lo;
}
