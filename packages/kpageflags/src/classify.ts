import { flagWordHex, kernelBitsHi, kernelBitsLo, kpf } from "./flags.js";
import type { GroupKey, PfnGrouping } from "./grouping.js";
import type { PageChunk } from "./read/chunk.js";
import type { RamMap } from "./read/ram.js";
import { ChunkEncoder, type FileRuns, type RunBatch, zipRuns } from "./runs.js";
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
  /** Per group, when the classifier was given a grouping. */
  groups: GroupTally[] | undefined;
}

export interface ClassifierOptions {
  readonly ram: RamMap | null;
  /** PFNs per memory section: zero runs covering whole sections are uninitialised memmap. */
  readonly sectionPfns: number;
  /** First PFN that will be pushed. */
  readonly startPfn?: number | undefined;
  /** How many anomalies to keep as examples (default 16). */
  readonly maxExamples?: number | undefined;
  /** Also tally pages and descriptors per group (NUMA node, zone or memory cgroup). */
  readonly grouping?: PfnGrouping | undefined;
}

/** Pages, descriptors and orders per use of one group of a grouped classification. */
export interface GroupTally {
  readonly key: GroupKey;
  readonly uses: Record<SurveyUse, UseTally>;
}

const TWO32 = 4294967296;
const ZERO_RUN = 0;
const FLAGGED_RUN = 1;
const NOPAGE_RUN = 2;

/** Per-use counters: pages, descriptors, descriptors by order. */
class Tallies {
  readonly pages = new Float64Array(USES);
  readonly descriptors = new Float64Array(USES);
  readonly orders = new Float64Array(USES * MAX_ORDER);

  toUses(): Record<SurveyUse, UseTally> {
    const uses = {} as Record<SurveyUse, UseTally>;
    for (let u = 0; u < USES; u++) {
      const orders: number[] = [];
      let top = -1;
      for (let k = 0; k < MAX_ORDER; k++) if (this.orders[u * MAX_ORDER + k]! > 0) top = k;
      for (let k = 0; k <= top; k++) orders.push(this.orders[u * MAX_ORDER + k]!);
      uses[surveyUses[u]!] = { pages: this.pages[u]!, descriptors: this.descriptors[u]!, orders };
    }
    return uses;
  }
}

/**
 * A streaming classifier. Push the page map in PFN order, as runs of identical words (`pushRuns`) or as chunks
 * of words (`push`); it keeps only counters, the open run and the open compound page, so a run or folio split
 * across batches is counted once and memory does not grow with the machine. Its work follows the runs (about
 * one PFN in 50 starts one on a real machine), never the PFN count, so a snapshot that claims a huge machine
 * in a few runs is classified as fast as it was read.
 */
export class Classifier {
  private readonly ram: RamMap | null;
  private readonly sectionPfns: number;
  private readonly startPfn: number;
  private readonly maxExamples: number;
  private readonly grouping: PfnGrouping | undefined;

  private readonly total = new Tallies();
  private readonly groupTallies: Tallies[] = [];
  private readonly words = new WordCounter();
  private readonly encoder = new ChunkEncoder();

  // The run of identical words not yet handed to `run()`.
  private runLo = 0;
  private runHi = 0;
  private runStart = 0;
  private nextPfn: number;
  private started = false;

  // The open compound page: its use, head PFN, head's group, length so far and head word without HEAD.
  private openUse = -1;
  private openHead = 0;
  private openGroup = 0;
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
    this.grouping = options.grouping;
  }

  /** Classifies one chunk of words; chunks must follow each other without gaps. */
  push(chunk: PageChunk): void {
    if (chunk.length === 0) return;
    this.pushRuns(this.encoder.encode(chunk));
  }

  /** Classifies one batch of runs; batches must follow each other without gaps. */
  pushRuns(batch: RunBatch): void {
    if (batch.length === 0) return;
    if (batch.pfn !== this.nextPfn)
      throw new RangeError(
        `batch starts at PFN ${batch.pfn}, expected ${this.nextPfn}: the page map must come in order`,
      );
    this.grouping?.beginBatch(batch);
    const f = batch.flags.runs;
    const n = batch.flags.count;
    let lo = this.runLo;
    let hi = this.runHi;
    let start = this.runStart;
    let pfn = batch.pfn;
    for (let r = 0; r < n; r++) {
      const a = f[r * 3]!;
      const b = f[r * 3 + 1]!;
      const len = f[r * 3 + 2]!;
      // An empty run is no run: it must not open a compound page or end one.
      if (len === 0) continue;
      if (!this.started) {
        this.started = true;
        lo = a;
        hi = b;
        start = pfn;
      } else if (a !== lo || b !== hi) {
        this.run(lo, hi, start, pfn - start);
        lo = a;
        hi = b;
        start = pfn;
      }
      pfn += len;
    }
    if (pfn !== batch.pfn + batch.length)
      throw new RangeError(
        `batch at PFN ${batch.pfn}: runs cover ${pfn - batch.pfn} PFNs, not ${batch.length}`,
      );
    this.runLo = lo;
    this.runHi = hi;
    this.runStart = start;
    this.nextPfn = pfn;
    // Every PFN before the open run has been tallied; an open compound page took its group at its head.
    this.grouping?.forget(start);
    if (batch.counts) this.tallyCounts(batch);
    if (batch.cgroups) this.tallyCgroups(batch.cgroups);
  }

  /** Ends the map and returns the tallies. The classifier cannot be used after. */
  finish(): Classification {
    // Once started, the open run holds at least one PFN (empty runs are skipped).
    if (this.started) this.run(this.runLo, this.runHi, this.runStart, this.nextPfn - this.runStart);
    this.closeCompound();
    this.started = false;
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
    const g = this.grouping;
    return {
      startPfn: this.startPfn,
      pfnCount: this.nextPfn - this.startPfn,
      uses: this.total.toUses(),
      flagWords,
      quirks: { ...this.quirks, unknownBitList: [...this.quirks.unknownBitList].sort((a, b) => a - b) },
      anomalies: { counts: { ...this.anomalyCounts }, examples: [...this.examples] },
      ram: {
        known: this.ram !== null,
        pagesInSpan: this.ramPagesInSpan,
        flaggedOutsideRam: this.flaggedOutsideRam,
      },
      mapcount: this.mapcount && {
        mappedPages: byUse(this.mapcount.mapped),
        mappings: byUse(this.mapcount.mappings),
        freeButMapped: this.mapcount.freeButMapped,
      },
      cgroups,
      groups: g
        ? Array.from({ length: g.size }, (_, i) => ({
            key: g.key(i),
            uses: (this.groupTallies[i] ?? new Tallies()).toUses(),
          }))
        : undefined,
    };
  }

  private tallyOf(group: number): Tallies {
    let t = this.groupTallies[group];
    if (!t) {
      t = new Tallies();
      this.groupTallies[group] = t;
    }
    return t;
  }

  /** Adds `len` pages from `start` to a use, and to their groups. */
  private addPages(use: number, start: number, len: number): void {
    this.total.pages[use]! += len;
    if (this.grouping)
      this.grouping.split(start, len, (g, n) => {
        this.tallyOf(g).pages[use]! += n;
      });
  }

  /**
   * Counts descriptors: one compound page's (its group taken at its head), or `count` order-0 ones, one per
   * PFN from `start` (split among groups).
   */
  private addDescriptors(use: number, order: number, start: number, count: number, group = -1): void {
    if (!DESCRIBED[use]) return;
    this.total.descriptors[use]! += count;
    this.total.orders[use * MAX_ORDER + order]! += count;
    if (!this.grouping) return;
    if (group >= 0) {
      const t = this.tallyOf(group);
      t.descriptors[use]! += count;
      t.orders[use * MAX_ORDER + order]! += count;
    } else
      this.grouping.split(start, count, (g, n) => {
        const t = this.tallyOf(g);
        t.descriptors[use]! += n;
        t.orders[use * MAX_ORDER + order]! += n;
      });
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
    this.addPages(use, start, len);
    if (this.cacheOdd) this.countQuirks(lo, hi, len);

    if (lo & HEAD) {
      // Every PFN of the run is a head; all but the last have no tails.
      this.closeCompound();
      if (len > 1) {
        this.anomaly("lonely-head", start, 1, lo, hi, len - 1);
        this.addDescriptors(use, 0, start, len - 1);
      }
      this.openUse = use;
      this.openHead = start + len - 1;
      this.openGroup = this.grouping ? this.grouping.groupAt(this.openHead) : 0;
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
      this.addDescriptors(use, 0, start, len);
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

  private closeCompound(): void {
    if (this.openUse < 0) return;
    const len = this.openLen;
    const head = this.openHead;
    const use = this.openUse;
    this.openUse = -1;
    if (len === 1) {
      this.anomaly("lonely-head", head, 1, this.openLo | HEAD, this.openHi);
      this.addDescriptors(use, 0, head, 1, this.openGroup);
      return;
    }
    const order = Math.min(MAX_ORDER - 1, Math.floor(Math.log2(len)));
    if (2 ** order !== len) this.anomaly("not-power-of-two", head, len, this.openLo | HEAD, this.openHi);
    else if (head % len !== 0) this.anomaly("misaligned", head, len, this.openLo | HEAD, this.openHi);
    this.addDescriptors(use, order, head, 1, this.openGroup);
  }

  /** Counts `times` anomalies of a kind (a run of lonely heads is many), keeping the first as an example. */
  private anomaly(kind: AnomalyKind, pfn: number, pages: number, lo: number, hi: number, times = 1): void {
    this.anomalyCounts[kind] += times;
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
          this.addPages(HOLE, pos, gapEnd - pos);
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
      if (first > start) this.addPages(KERNEL, start, first - start);
      this.addPages(UNINIT, first, last - first);
      if (end > last) this.addPages(KERNEL, last, end - last);
    } else this.addPages(KERNEL, start, end - start);
  }

  /** Mapcounts per use, from kpagecount's runs against kpageflags' in the same batch. */
  private tallyCounts(batch: RunBatch): void {
    if (!this.mapcount)
      this.mapcount = { mapped: new Float64Array(USES), mappings: new Float64Array(USES), freeButMapped: 0 };
    const mc = this.mapcount;
    const f = batch.flags.runs;
    const c = batch.counts!.runs;
    zipRuns(batch.flags, batch.counts!, batch.pfn, (ia, ib, _pfn, len) => {
      const count = c[ib * 3]! + c[ib * 3 + 1]! * TWO32;
      if (count === 0) return;
      const lo = f[ia * 3]!;
      const hi = f[ia * 3 + 1]!;
      // A zero word has no bits: kernel, as `useOfFlags` says.
      const use = useOfFlags(lo, hi);
      mc.mapped[use]! += len;
      mc.mappings[use]! += len * count;
      if (use === FREE) mc.freeButMapped += len;
    });
  }

  private tallyCgroups(cg: FileRuns): void {
    if (!this.cgroupPages) this.cgroupPages = new Map();
    const m = this.cgroupPages;
    for (let r = 0; r < cg.count; r++) {
      const ino = cg.runs[r * 3]! + cg.runs[r * 3 + 1]! * TWO32;
      m.set(ino, (m.get(ino) ?? 0) + cg.runs[r * 3 + 2]!);
    }
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
