import { MAX_PAGE_ORDER } from "@memdesc/core";
import { type FlagWord, kpf, type SurveyUse, surveyUses } from "@memdesc/kpageflags/browser";
import type { PageFacts } from "../../lib/page-word.js";
import type { Analysis, FlagRuns } from "../../workers/analyze.js";
import { runAt } from "../../workers/usemap.js";

const HEAD = kpf.lo.compoundHead;
const TAIL = kpf.lo.compoundTail;
const BUDDY = kpf.lo.buddy;

/**
 * How far a walk over flag runs goes before it gives up: a folio or a free block is a handful of runs (a 1 GiB
 * hugetlb page's tails are one run), so only a damaged page map gets near this.
 */
const MAX_WALK_RUNS = 4096;

const wordOf = (f: FlagRuns, run: number): FlagWord => {
  const v = f.value[run]!;
  return { lo: f.values[2 * v]!, hi: f.values[2 * v + 1]! };
};
const runStart = (f: FlagRuns, run: number) => (run === 0 ? 0 : f.end[run - 1]!);

/**
 * The compound page a PFN offset belongs to, from its flags: a head and the run of tails after it (as the
 * survey's classifier reads them), or undefined for a page that is not part of one. A tail whose head cannot be
 * found (the folio changed while the map was read) is undefined too.
 */
export function compoundAt(f: FlagRuns, offset: number): { head: number; pages: number } | undefined {
  const r = runAt(f.end, offset);
  const w = wordOf(f, r);
  let head: number;
  if (w.lo & HEAD) head = offset;
  else if (w.lo & TAIL) {
    let j = r - 1;
    while (j >= 0 && r - j < MAX_WALK_RUNS && wordOf(f, j).lo & TAIL && !(wordOf(f, j).lo & HEAD)) j--;
    if (j < 0 || !(wordOf(f, j).lo & HEAD)) return undefined;
    head = f.end[j]! - 1;
  } else return undefined;
  // The tails: every TAIL page from head + 1 on.
  let end = head + 1;
  let k = runAt(f.end, end);
  while (end < f.end[f.end.length - 1]! && k - r < MAX_WALK_RUNS) {
    const wk = wordOf(f, k);
    if (!(wk.lo & TAIL) || wk.lo & HEAD) break;
    end = f.end[k]!;
    k++;
  }
  return { head, pages: end - head };
}

/** The run of free (BUDDY) pages holding a PFN offset: [start, end). */
function freeRunAt(f: FlagRuns, offset: number): { start: number; end: number } {
  const r = runAt(f.end, offset);
  let a = r;
  while (a > 0 && r - a < MAX_WALK_RUNS && wordOf(f, a - 1).lo & BUDDY) a--;
  let b = r;
  while (b + 1 < f.end.length && b - r < MAX_WALK_RUNS && wordOf(f, b + 1).lo & BUDDY) b++;
  return { start: runStart(f, a), end: f.end[b]! };
}

/**
 * The free block a free page is in, as far as a page map can say: kpageflags marks every page of a free block
 * BUDDY but not where one block ends and the next begins, so this is the largest naturally aligned block
 * (order ≤ MAX_PAGE_ORDER) inside the run of free pages that holds the PFN. The kernel's block may be smaller.
 */
export function freeBlockAt(
  f: FlagRuns,
  startPfn: number,
  offset: number,
): { head: number; pages: number; order: number } {
  const run = freeRunAt(f, offset);
  const pfn = startPfn + offset;
  for (let order = MAX_PAGE_ORDER; order > 0; order--) {
    const size = 2 ** order;
    const head = Math.floor(pfn / size) * size - startPfn;
    if (head >= run.start && head + size <= run.end) return { head, pages: size, order };
  }
  return { head: offset, pages: 1, order: 0 };
}

/** What a page map says about one PFN (an offset from the map's first PFN): its flags, use and allocation. */
export function pageFactsAt(a: Analysis, offset: number): PageFacts {
  const f = a.flags;
  const flags = wordOf(f, runAt(f.end, offset));
  const use: SurveyUse = surveyUses[a.uses.use[runAt(a.uses.end, offset)]!]!;
  const base = a.uses.startPfn;
  const mapped = (flags.lo & kpf.lo.mmap) !== 0;
  if (use === "free" && flags.lo & BUDDY) {
    const b = freeBlockAt(f, base, offset);
    return {
      pfn: base + offset,
      flags,
      use,
      mapped,
      extent: {
        head: base + b.head,
        pages: b.pages,
        order: b.order,
        basis: "free-run",
      },
    };
  }
  const c = compoundAt(f, offset);
  if (c) {
    const order = Math.log2(c.pages);
    return {
      pfn: base + offset,
      flags,
      use,
      mapped,
      extent: {
        head: base + c.head,
        pages: c.pages,
        order: Number.isInteger(order) ? order : undefined,
        basis: "compound",
      },
    };
  }
  return {
    pfn: base + offset,
    flags,
    use,
    mapped,
    extent: { head: base + offset, pages: 1, order: 0, basis: "page" },
  };
}
