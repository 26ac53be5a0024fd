import { flagWordHex, kernelBitsHi, kernelBitsLo, kpf } from "./flags.js";
import type { PageChunk } from "./read/chunk.js";
import type { RamMap } from "./read/iomem.js";
import { describedUses, type SurveyUse, surveyUses } from "./uses.js";
import { WordCounter } from "./wordcount.js";

// Use numbers, fixed by the order of `surveyUses` (checked in the tests).
const FREE = 0;
const FILE = 1;
const ANON = 2;
const KSM = 3;
const SLAB = 4;
const PAGETABLE = 5;
const HUGETLB = 6;
const RESERVED = 7;
const ZERO = 8;
const OFFLINE = 9;
const HWPOISON = 10;
const COMPOUND = 11;
const KERNEL = 12;
const UNINIT = 13;
const HOLE = 14;
const USES = surveyUses.length;
const MAX_ORDER = 64;
const DESCRIBED = Uint8Array.from(surveyUses, (u) => (describedUses.has(u) ? 1 : 0));

const L = kpf.lo;
const H = kpf.hi;
const HEAD = L.compoundHead;
const TAIL = L.compoundTail;
/**
 * Bits only a folio (page cache, anon, shmem) carries once allocated; the kernel clears them on free. LOCKED,
 * RECLAIM, PRIVATE and IDLE are left out: zsmalloc, balloon and other movable_ops pages use them too.
 */
const FOLIO_LO =
  L.uptodate |
  L.dirty |
  L.lru |
  L.active |
  L.referenced |
  L.writeback |
  L.mmap |
  L.swapcache |
  L.swapbacked |
  L.unevictable |
  L.thp;
const FOLIO_HI = H.mlocked | H.owner2 | H.private2;

/**
 * The use of a page from its flag word (not 0), most specific first. The order matters where the kernel's
 * bits overlap: SLAB before ANON/KSM (ANON and KSM on slab pages are the `struct slab` word at offset 24, not
 * a mapping), BUDDY before everything (UPTODATE on free pages is PG_reported), ZERO_PAGE before RESERVED and
 * THP (the zero page is reserved, the huge zero folio is THP), RESERVED before the folio bits (reserved pages
 * mapped to user space, like the vDSO, show MMAP).
 */
export function useOfFlags(lo: number, hi: number): number {
  if (lo & L.nopage) return HOLE;
  if (lo & L.buddy) return FREE;
  if (lo & L.hwpoison) return HWPOISON;
  if (lo & L.offline) return OFFLINE;
  if (lo & L.slab) return SLAB;
  if (lo & L.pgtable) return PAGETABLE;
  if (lo & L.huge) return HUGETLB;
  if (lo & L.zeroPage) return ZERO;
  if (hi & H.reserved) return RESERVED;
  if (lo & L.ksm) return KSM;
  if (lo & L.anon) return ANON;
  if (lo & FOLIO_LO || hi & FOLIO_HI) return FILE;
  if (lo & (HEAD | TAIL)) return COMPOUND;
  return KERNEL;
}

/** Pages, descriptors and descriptors by order for one use. */
export interface UseTally {
  pages: number;
  descriptors: number;
  /** `orders[k]` descriptors of order k; no trailing zeros. */
  orders: number[];
}

export type AnomalyKind =
  /** A tail page whose head is missing or of another use (the folio changed during the read). */
  | "orphan-tail"
  /** A head whose run of tails is not a power of two long. */
  | "not-power-of-two"
  /** A compound page whose head PFN is not aligned to its size. */
  | "misaligned"
  /** A head with no tails. */
  | "lonely-head";

export interface Anomaly {
  readonly kind: AnomalyKind;
  readonly pfn: number;
  readonly pages: number;
  readonly flags: string;
}

/** The kernel behaviours the classifier corrects for, with how many pages showed each. */
export interface Quirks {
  /** SLAB pages that also read ANON or KSM: the slab's own data at the `mapping` offset, ignored. */
  slabAnon: number;
  /** BUDDY pages with UPTODATE: PG_reported (free page reporting), ignored. */
  reportedFree: number;
  /** Tail pages, which carry their folio's flags and so its use; counted in pages, never as descriptors. */
  tails: number;
  /** Tail pages whose word differs from their head's in more than the head/tail bits (a folio changing). */
  tailsDiffering: number;
  /** Zero pages outside System RAM: holes read 0, not NOPAGE, since 6.15. */
  holesReadingZero: number;
  /** Pages reading NOPAGE (only kernels before 6.15 produce it). */
  nopage: number;
  /** Zero pages inside System RAM, split into uninit and kernel. */
  zeroInRam: number;
  /** Pages with a bit no kernel defines (ERROR is dead; 27–31 and 43–63 are unused). */
  unknownBits: number;
  /** The unknown bits seen. */
  unknownBitList: number[];
}

export interface Anomalies {
  counts: Record<AnomalyKind, number>;
  /** The first few, for a report. */
  examples: Anomaly[];
}

export interface RamTally {
  /** Whether /proc/iomem was known: without it, no PFN counts as a hole unless it reads NOPAGE. */
  known: boolean;
  /** System RAM pages inside the span read. */
  pagesInSpan: number;
  /** Pages outside System RAM that read non-zero (firmware-reserved pages below 1 MiB, typically). */
  flaggedOutsideRam: number;
}

export interface MapcountTally {
  /** Pages with a non-zero mapcount, per use (zero-flag pages count as kernel). */
  mappedPages: Record<SurveyUse, number>;
  /** Sum of mapcounts, per use. */
  mappings: Record<SurveyUse, number>;
  /** Free pages with a non-zero mapcount: 0 when the files were read in step. */
  freeButMapped: number;
}

export interface CgroupTally {
  /** Pages charged to some memcg. */
  chargedPages: number;
  /** Pages per memcg inode number, most first. */
  byInode: { inode: number; pages: number }[];
}

export interface Classification {
  startPfn: number;
  pfnCount: number;
  uses: Record<SurveyUse, UseTally>;
  /** Pages per distinct 64-bit flag word, most first, like page-types' summary. */
  flagWords: { flags: string; pages: number }[];
  quirks: Quirks;
  anomalies: Anomalies;
  ram: RamTally;
  mapcount: MapcountTally | undefined;
  cgroups: CgroupTally | undefined;
}

export interface ClassifierOptions {
  readonly ram: RamMap | null;
  /** PFNs per memory section: zero runs covering whole sections are uninitialised memmap. */
  readonly sectionPfns: number;
  /** First PFN that will be pushed. */
  readonly startPfn?: number | undefined;
  /** How many anomalies to keep as examples (default 16). */
  readonly maxExamples?: number | undefined;
}

/**
 * The hot loop: the index (in u32 halves) of the first word from `j` that differs from (lo, hi), or `end2`.
 * Kept apart from `push` so V8 optimises this small loop on its own; inside `push`, on-stack replacement
 * compiled the loop before the code after it had run, and deoptimised once per chunk.
 */
function scanRun(f: Uint32Array, j: number, end2: number, lo: number, hi: number): number {
  while (j < end2 && f[j] === lo && f[j + 1] === hi) j += 2;
  return j;
}

const TWO32 = 4294967296;
const ZERO_RUN = 0;
const FLAGGED_RUN = 1;
const NOPAGE_RUN = 2;

/**
 * A streaming classifier. Push chunks in PFN order; it keeps only counters, the open run of identical words
 * and the open compound page, so a run or folio split across chunks is counted once and memory does not
 * grow with the machine. The inner loop compares each PFN's two 32-bit halves with the current run's and
 * does work only where the word changes (about 1 PFN in 50 on a real machine).
 */
export class Classifier {
  private readonly ram: RamMap | null;
  private readonly sectionPfns: number;
  private readonly startPfn: number;
  private readonly maxExamples: number;

  private readonly pages = new Float64Array(USES);
  private readonly descriptors = new Float64Array(USES);
  private readonly orders = new Float64Array(USES * MAX_ORDER);
  private readonly words = new WordCounter();

  // The run of identical words not yet handed to `run()`.
  private runLo = 0;
  private runHi = 0;
  private runStart = 0;
  private nextPfn: number;
  private started = false;

  // The open compound page: its use, head PFN, length so far and head word without HEAD.
  private openUse = -1;
  private openHead = 0;
  private openLen = 0;
  private openLo = 0;
  private openHi = 0;

  // Last word's use, cached.
  private cacheLo = -1;
  private cacheHi = -1;
  private cacheUse = KERNEL;
  /** Whether the cached word shows a quirk or an unknown bit. */
  private cacheOdd = 0;

  private ramIdx = 0;
  // The RAM range the last run touched, for the fast path of `countRam`.
  private ramStart = 0;
  private ramEnd = -1;
  private ramPagesInSpan = 0;
  private flaggedOutsideRam = 0;

  private readonly quirks: Quirks = {
    slabAnon: 0,
    reportedFree: 0,
    tails: 0,
    tailsDiffering: 0,
    holesReadingZero: 0,
    nopage: 0,
    zeroInRam: 0,
    unknownBits: 0,
    unknownBitList: [],
  };
  private readonly anomalyCounts: Record<AnomalyKind, number> = {
    "orphan-tail": 0,
    "not-power-of-two": 0,
    misaligned: 0,
    "lonely-head": 0,
  };
  private readonly examples: Anomaly[] = [];

  private mapcount: { mapped: Float64Array; mappings: Float64Array; freeButMapped: number } | undefined;
  private cgroupPages: Map<number, number> | undefined;

  constructor(options: ClassifierOptions) {
    this.ram = options.ram;
    this.sectionPfns = options.sectionPfns;
    this.startPfn = options.startPfn ?? 0;
    this.nextPfn = this.startPfn;
    this.maxExamples = options.maxExamples ?? 16;
  }

  /** Classifies one chunk; chunks must follow each other without gaps. */
  push(chunk: PageChunk): void {
    const n = chunk.length;
    if (n === 0) return;
    if (chunk.pfn !== this.nextPfn)
      throw new RangeError(
        `chunk starts at PFN ${chunk.pfn}, expected ${this.nextPfn}: chunks must be contiguous`,
      );
    const f = chunk.flags;
    const base = chunk.pfn;
    let lo = this.runLo;
    let hi = this.runHi;
    let start = this.runStart;
    if (!this.started) {
      lo = f[0]!;
      hi = f[1]!;
      start = base;
      this.started = true;
    }
    const end2 = n * 2;
    for (let j = scanRun(f, 0, end2, lo, hi); j < end2; j = scanRun(f, j + 2, end2, lo, hi)) {
      const pfn = base + (j >> 1);
      this.run(lo, hi, start, pfn - start);
      lo = f[j]!;
      hi = f[j + 1]!;
      start = pfn;
    }
    this.runLo = lo;
    this.runHi = hi;
    this.runStart = start;
    this.nextPfn = base + n;
    if (chunk.counts) this.tallyCounts(f, chunk.counts, n);
    if (chunk.cgroups) this.tallyCgroups(chunk.cgroups, n);
  }

  /** Ends the map and returns the tallies. The classifier cannot be used after. */
  finish(): Classification {
    if (this.started && this.nextPfn > this.runStart)
      this.run(this.runLo, this.runHi, this.runStart, this.nextPfn - this.runStart);
    this.closeCompound();
    this.started = false;
    const uses = {} as Record<SurveyUse, UseTally>;
    for (let u = 0; u < USES; u++) {
      const orders: number[] = [];
      let top = -1;
      for (let k = 0; k < MAX_ORDER; k++) if (this.orders[u * MAX_ORDER + k]! > 0) top = k;
      for (let k = 0; k <= top; k++) orders.push(this.orders[u * MAX_ORDER + k]!);
      uses[surveyUses[u]!] = { pages: this.pages[u]!, descriptors: this.descriptors[u]!, orders };
    }
    const flagWords: { flags: string; pages: number }[] = [];
    this.words.forEach((lo, hi, pages) => {
      flagWords.push({ flags: flagWordHex({ lo, hi }), pages });
    });
    flagWords.sort((a, b) => b.pages - a.pages || (a.flags < b.flags ? -1 : 1));
    const byUse = (a: Float64Array) =>
      Object.fromEntries(surveyUses.map((u, i) => [u, a[i]!])) as Record<SurveyUse, number>;
    let cgroups: CgroupTally | undefined;
    if (this.cgroupPages) {
      const byInode = [...this.cgroupPages]
        .filter(([inode]) => inode !== 0)
        .map(([inode, pages]) => ({ inode, pages }))
        .sort((a, b) => b.pages - a.pages || a.inode - b.inode);
      cgroups = { chargedPages: byInode.reduce((s, e) => s + e.pages, 0), byInode };
    }
    return {
      startPfn: this.startPfn,
      pfnCount: this.nextPfn - this.startPfn,
      uses,
      flagWords,
      quirks: { ...this.quirks, unknownBitList: [...this.quirks.unknownBitList].sort((a, b) => a - b) },
      anomalies: { counts: { ...this.anomalyCounts }, examples: [...this.examples] },
      ram: {
        known: this.ram !== null,
        pagesInSpan: this.ram ? this.ramPagesInSpan : this.nextPfn - this.startPfn,
        flaggedOutsideRam: this.flaggedOutsideRam,
      },
      mapcount: this.mapcount && {
        mappedPages: byUse(this.mapcount.mapped),
        mappings: byUse(this.mapcount.mappings),
        freeButMapped: this.mapcount.freeButMapped,
      },
      cgroups,
    };
  }

  /** A run of `len` PFNs from `start` that all read the word (lo, hi). */
  private run(lo: number, hi: number, start: number, len: number): void {
    this.words.add(lo, hi, len);
    this.countRam(start, len, lo === 0 && hi === 0 ? ZERO_RUN : lo & L.nopage ? NOPAGE_RUN : FLAGGED_RUN);
    if (lo === 0 && hi === 0) {
      this.closeCompound();
      return;
    }
    if (lo !== this.cacheLo || hi !== this.cacheHi) {
      this.cacheLo = lo;
      this.cacheHi = hi;
      this.cacheUse = useOfFlags(lo, hi);
      this.cacheOdd =
        (lo & ~kernelBitsLo) | (hi & ~kernelBitsHi) ||
        lo & (L.error | L.nopage) ||
        (lo & L.slab && lo & (L.anon | L.ksm)) ||
        (lo & L.buddy && lo & L.uptodate)
          ? 1
          : 0;
      if ((lo & ~kernelBitsLo) | (hi & ~kernelBitsHi) || lo & L.error) this.noteUnknownBits(lo, hi);
    }
    const use = this.cacheUse;
    this.pages[use]! += len;
    if (this.cacheOdd) this.countQuirks(lo, hi, len);

    if (lo & HEAD) {
      // Every PFN of the run is a head; all but the last have no tails.
      this.closeCompound();
      for (let i = 0; i < len - 1; i++) {
        this.anomaly("lonely-head", start + i, 1, lo, hi);
        this.descriptor(use, 0);
      }
      this.openUse = use;
      this.openHead = start + len - 1;
      this.openLen = 1;
      this.openLo = lo & ~HEAD;
      this.openHi = hi;
    } else if (lo & TAIL) {
      this.quirks.tails += len;
      if (this.openUse === use) {
        this.openLen += len;
        if ((lo & ~TAIL) !== this.openLo || hi !== this.openHi) this.quirks.tailsDiffering += len;
      } else {
        this.closeCompound();
        this.anomaly("orphan-tail", start, len, lo, hi);
      }
    } else {
      this.closeCompound();
      if (DESCRIBED[use]) {
        this.descriptors[use]! += len;
        this.orders[use * MAX_ORDER]! += len;
      }
    }
  }

  /** Counts the quirks a word shows; called only for words that show one. */
  private countQuirks(lo: number, hi: number, len: number): void {
    const q = this.quirks;
    if ((lo & ~kernelBitsLo) | (hi & ~kernelBitsHi) || lo & L.error) q.unknownBits += len;
    if (lo & L.slab && lo & (L.anon | L.ksm)) q.slabAnon += len;
    if (lo & L.buddy && lo & L.uptodate) q.reportedFree += len;
    if (lo & L.nopage) q.nopage += len;
  }

  private descriptor(use: number, order: number): void {
    if (!DESCRIBED[use]) return;
    this.descriptors[use]! += 1;
    this.orders[use * MAX_ORDER + order]! += 1;
  }

  private closeCompound(): void {
    if (this.openUse < 0) return;
    const len = this.openLen;
    const head = this.openHead;
    const use = this.openUse;
    this.openUse = -1;
    if (len === 1) {
      this.anomaly("lonely-head", head, 1, this.openLo | HEAD, this.openHi);
      this.descriptor(use, 0);
      return;
    }
    const order = Math.floor(Math.log2(len));
    if (2 ** order !== len) this.anomaly("not-power-of-two", head, len, this.openLo | HEAD, this.openHi);
    else if (head % len !== 0) this.anomaly("misaligned", head, len, this.openLo | HEAD, this.openHi);
    this.descriptor(use, order);
  }

  private anomaly(kind: AnomalyKind, pfn: number, pages: number, lo: number, hi: number): void {
    this.anomalyCounts[kind]++;
    if (this.examples.length < this.maxExamples)
      this.examples.push({ kind, pfn, pages, flags: flagWordHex({ lo, hi }) });
  }

  private noteUnknownBits(lo: number, hi: number): void {
    const list = this.quirks.unknownBitList;
    const bad = [lo & (~kernelBitsLo | L.error), hi & ~kernelBitsHi];
    for (let half = 0; half < 2; half++)
      for (let b = 0; b < 32; b++)
        if ((bad[half]! >>> b) & 1 && !list.includes(half * 32 + b)) list.push(half * 32 + b);
  }

  /**
   * RAM accounting for a run, and the use of zero runs: outside System RAM a zero page is a hole; inside, the
   * aligned memory sections a zero run covers whole are memmap not initialised yet, the rest untyped kernel
   * memory.
   */
  private countRam(start: number, len: number, what: number): void {
    const end = start + len;
    // Most runs are flagged pages inside the RAM range the last run was in.
    if (what === FLAGGED_RUN && start >= this.ramStart && end <= this.ramEnd) {
      this.ramPagesInSpan += len;
      return;
    }
    const zero = what === ZERO_RUN;
    const ram = this.ram;
    if (!ram) {
      this.ramPagesInSpan += len;
      if (zero) this.zeroInRam(start, end);
      return;
    }
    const ranges = ram.ranges;
    let pos = start;
    while (pos < end) {
      while (this.ramIdx < ranges.length && ranges[this.ramIdx]!.end <= pos) this.ramIdx++;
      const r = ranges[this.ramIdx];
      const gapEnd = r === undefined ? end : Math.min(end, Math.max(pos, r.start));
      if (gapEnd > pos) {
        if (zero) {
          this.pages[HOLE]! += gapEnd - pos;
          this.quirks.holesReadingZero += gapEnd - pos;
        } else if (what === FLAGGED_RUN) this.flaggedOutsideRam += gapEnd - pos;
        pos = gapEnd;
        continue;
      }
      this.ramStart = r!.start;
      this.ramEnd = r!.end;
      const segEnd = Math.min(end, r!.end);
      this.ramPagesInSpan += segEnd - pos;
      if (zero) this.zeroInRam(pos, segEnd);
      pos = segEnd;
    }
  }

  private zeroInRam(start: number, end: number): void {
    const s = this.sectionPfns;
    const first = Math.ceil(start / s) * s;
    const last = Math.floor(end / s) * s;
    this.quirks.zeroInRam += end - start;
    if (last > first) {
      this.pages[UNINIT]! += last - first;
      this.pages[KERNEL]! += first - start + (end - last);
    } else this.pages[KERNEL]! += end - start;
  }

  private tallyCounts(f: Uint32Array, counts: Uint32Array, n: number): void {
    if (!this.mapcount)
      this.mapcount = { mapped: new Float64Array(USES), mappings: new Float64Array(USES), freeButMapped: 0 };
    const mc = this.mapcount;
    let lastLo = -1;
    let lastHi = -1;
    let use = KERNEL;
    for (let j = 0; j < n * 2; j += 2) {
      const c = counts[j]! + counts[j + 1]! * TWO32;
      if (c === 0) continue;
      const lo = f[j]!;
      const hi = f[j + 1]!;
      if (lo !== lastLo || hi !== lastHi) {
        use = lo === 0 && hi === 0 ? KERNEL : useOfFlags(lo, hi);
        lastLo = lo;
        lastHi = hi;
      }
      mc.mapped[use]! += 1;
      mc.mappings[use]! += c;
      if (use === FREE) mc.freeButMapped++;
    }
  }

  private tallyCgroups(cg: Uint32Array, n: number): void {
    if (!this.cgroupPages) this.cgroupPages = new Map();
    const m = this.cgroupPages;
    let cur = cg[0]! + cg[1]! * TWO32;
    let count = 0;
    for (let j = 0; j < n * 2; j += 2) {
      const ino = cg[j]! + cg[j + 1]! * TWO32;
      if (ino !== cur) {
        m.set(cur, (m.get(cur) ?? 0) + count);
        cur = ino;
        count = 0;
      }
      count++;
    }
    m.set(cur, (m.get(cur) ?? 0) + count);
  }
}

/** Use numbers, exported for tests and for code that works with `useOfFlags` directly. */
export const useNumbers = {
  free: FREE,
  file: FILE,
  anon: ANON,
  ksm: KSM,
  slab: SLAB,
  pagetable: PAGETABLE,
  hugetlb: HUGETLB,
  reserved: RESERVED,
  zero: ZERO,
  offline: OFFLINE,
  hwpoison: HWPOISON,
  compound: COMPOUND,
  kernel: KERNEL,
  uninit: UNINIT,
  hole: HOLE,
} as const satisfies Record<SurveyUse, number>;
