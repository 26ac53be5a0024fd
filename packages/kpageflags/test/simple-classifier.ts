/**
 * A second, deliberately simple classifier for the independent check: one BigInt per PFN, one `if` chain,
 * heads found by looking ahead at their tails, sections checked page by page. It shares no code with
 * src/classify.ts; it implements the same written rules (README "Classification rules") a different way,
 * anomalies and quirks included.
 */
export interface SimpleResult {
  pages: Record<string, number>;
  descriptors: Record<string, number>;
  orders: Record<string, Record<number, number>>;
}

/** One anomaly, found PFN by PFN: every head, lone tail and broken compound page its own. */
export interface SimpleAnomaly {
  kind: "orphan-tail" | "not-power-of-two" | "misaligned" | "lonely-head";
  pfn: number;
  pages: number;
}

/** What the simple classifier finds beyond pages and descriptors, named as the classifier names them. */
export interface SimpleExtras {
  /** In PFN order. An orphan-tail anomaly is a run of orphaned tails reading the same word. */
  anomalies: SimpleAnomaly[];
  quirks: {
    slabAnon: number;
    reportedFree: number;
    tails: number;
    tailsDiffering: number;
    holesReadingZero: number;
    nopage: number;
    zeroInRam: number;
    unknownBits: number;
    unknownBitList: number[];
  };
  /** Pages per word (hex, 16 digits), most first, then by word. */
  flagWords: { flags: string; pages: number }[];
  ram: { known: boolean; pagesInSpan: number; flaggedOutsideRam: number };
  /** With kpagecount: pages mapped and mappings per use (a zero word counts as kernel). */
  mapcount?: { mappedPages: Record<string, number>; mappings: Record<string, number>; freeButMapped: number };
  /** With kpagecgroup: pages per memcg inode (0 is no memcg), most first, then by inode. */
  cgroups?: { chargedPages: number; byInode: { inode: number; pages: number }[] };
}

const has = (w: bigint, bit: number) => ((w >> BigInt(bit)) & 1n) === 1n;

function kindOf(w: bigint): string {
  if (has(w, 20)) return "hole";
  if (has(w, 10)) return "free";
  if (has(w, 19)) return "hwpoison";
  if (has(w, 23)) return "offline";
  if (has(w, 7)) return "slab";
  if (has(w, 26)) return "pagetable";
  if (has(w, 17)) return "hugetlb";
  if (has(w, 24)) return "zero";
  if (has(w, 32)) return "reserved";
  if (has(w, 21)) return "ksm";
  if (has(w, 12)) return "anon";
  // uptodate dirty lru active referenced writeback mmap swapcache swapbacked unevictable thp; mlocked owner_2 private_2
  for (const b of [3, 4, 5, 6, 2, 8, 11, 13, 14, 18, 22, 33, 34, 36]) if (has(w, b)) return "file";
  if (has(w, 15) || has(w, 16)) return "compound";
  return "kernel";
}

const described = new Set(["file", "anon", "ksm", "slab", "pagetable", "hugetlb", "zero", "compound"]);

/**
 * Classifies a page map PFN by PFN. With `groupOf`, also per group: a page in its PFN's group, a descriptor in
 * its head's group (the grouped classifier's rule).
 */
export function simpleClassify(
  words: BigUint64Array,
  startPfn: number,
  ram: readonly [number, number][] | null,
  sectionPfns: number,
  groupOf?: (pfn: number) => string,
  lockstep: { counts?: BigUint64Array; cgroups?: BigUint64Array } = {},
): SimpleResult & SimpleExtras & { groups: Record<string, SimpleResult> } {
  const inRam = (pfn: number) => ram === null || ram.some(([s, e]) => pfn >= s && pfn < e);
  const n = words.length;
  // Sections lying wholly inside the map whose every page is 0 and in RAM.
  const uninitSection = new Set<number>();
  for (let sec = Math.ceil(startPfn / sectionPfns); (sec + 1) * sectionPfns <= startPfn + n; sec++) {
    let all = true;
    for (let p = sec * sectionPfns; p < (sec + 1) * sectionPfns && all; p++)
      if (words[p - startPfn] !== 0n || !inRam(p)) all = false;
    if (all) uninitSection.add(sec);
  }
  const total: SimpleResult = { pages: {}, descriptors: {}, orders: {} };
  const groups: Record<string, SimpleResult> = {};
  const { pages, descriptors, orders } = total;
  const inGroup = (pfn: number) => {
    const g = groupOf!(pfn);
    groups[g] ??= { pages: {}, descriptors: {}, orders: {} };
    return groups[g];
  };
  const bump = (r: Record<string, number>, k: string, v = 1) => {
    r[k] = (r[k] ?? 0) + v;
  };
  const add = (r: "pages" | "descriptors", kind: string, pfn: number) => {
    bump(total[r], kind);
    if (groupOf) bump(inGroup(pfn)[r], kind);
  };
  const addOrder = (kind: string, order: number, pfn: number) => {
    for (const t of groupOf ? [total, inGroup(pfn)] : [total]) {
      const o = t.orders[kind] ?? {};
      o[order] = (o[order] ?? 0) + 1;
      t.orders[kind] = o;
    }
  };
  const isHead = (w: bigint) => w !== 0n && has(w, 15);
  const isTail = (w: bigint) => w !== 0n && !has(w, 15) && has(w, 16);
  // The tails each head owns: those right after it that read as the head's use.
  const tailsOf = (i: number) => {
    let len = 0;
    while (
      i + 1 + len < n &&
      isTail(words[i + 1 + len]!) &&
      kindOf(words[i + 1 + len]!) === kindOf(words[i]!)
    )
      len++;
    return len;
  };
  const owned = new Uint8Array(n);
  const anomalies: SimpleAnomaly[] = [];
  let tails = 0;
  let tailsDiffering = 0;
  for (let i = 0; i < n; i++) {
    const w = words[i]!;
    if (isTail(w)) tails++;
    if (!isHead(w)) continue;
    const t = tailsOf(i);
    const len = t + 1;
    const pfn = startPfn + i;
    const headBody = w & ~(1n << 15n);
    for (let j = i + 1; j <= i + t; j++) {
      owned[j] = 1;
      if ((words[j]! & ~(1n << 16n)) !== headBody) tailsDiffering++;
    }
    if (t === 0) anomalies.push({ kind: "lonely-head", pfn, pages: 1 });
    else if ((len & (len - 1)) !== 0) anomalies.push({ kind: "not-power-of-two", pfn, pages: len });
    else if (pfn % len !== 0) anomalies.push({ kind: "misaligned", pfn, pages: len });
  }
  for (let i = 0; i < n; i++) {
    if (!isTail(words[i]!) || owned[i]) continue;
    if (i > 0 && !owned[i - 1] && words[i - 1] === words[i]) {
      anomalies[anomalies.length - 1]!.pages++;
      continue;
    }
    anomalies.push({ kind: "orphan-tail", pfn: startPfn + i, pages: 1 });
  }
  anomalies.sort((a, b) => a.pfn - b.pfn);

  const quirks = { ...emptyQuirks(), tails, tailsDiffering };
  const unknown = new Set<number>();
  const byWord = new Map<bigint, number>();
  let pagesInSpan = 0;
  let flaggedOutsideRam = 0;
  for (let i = 0; i < n; i++) {
    const pfn = startPfn + i;
    const w = words[i]!;
    // Counted a run of equal words at a time: a whole machine's map has millions of PFNs.
    let same = 1;
    while (i + same < n && words[i + same] === w) same++;
    byWord.set(w, (byWord.get(w) ?? 0) + same);
    let ramPages = 0;
    for (let k = 0; k < same; k++) if (inRam(pfn + k)) ramPages++;
    i += same - 1;
    pagesInSpan += ramPages;
    if (w === 0n) {
      quirks.zeroInRam += ramPages;
      quirks.holesReadingZero += same - ramPages;
      continue;
    }
    if (!has(w, 20)) flaggedOutsideRam += same - ramPages;
    if (has(w, 7) && (has(w, 12) || has(w, 21))) quirks.slabAnon += same;
    if (has(w, 10) && has(w, 3)) quirks.reportedFree += same;
    if (has(w, 20)) quirks.nopage += same;
    if ((w & unknownMask) === 0n) continue;
    quirks.unknownBits += same;
    for (const b of unknownBits) if (has(w, b)) unknown.add(b);
  }
  quirks.unknownBitList = [...unknown].sort((a, b) => a - b);
  const hex = (w: bigint) => `0x${w.toString(16).padStart(16, "0")}`;
  const flagWords = [...byWord]
    .map(([w, pages]) => ({ flags: hex(w), pages }))
    .sort((a, b) => b.pages - a.pages || (a.flags < b.flags ? -1 : 1));

  for (let i = 0; i < n; i++) {
    const pfn = startPfn + i;
    const w = words[i]!;
    let kind: string;
    if (w === 0n) {
      if (!inRam(pfn)) kind = "hole";
      else if (uninitSection.has(Math.floor(pfn / sectionPfns))) kind = "uninit";
      else kind = "kernel";
    } else kind = kindOf(w);
    add("pages", kind, pfn);
    if (!described.has(kind)) continue;
    if (isHead(w)) {
      // A run that is not a power of two (an anomaly) counts at the order below it.
      const order = Math.floor(Math.log2(tailsOf(i) + 1));
      add("descriptors", kind, pfn);
      addOrder(kind, order, pfn);
    } else if (!isTail(w)) {
      add("descriptors", kind, pfn);
      addOrder(kind, 0, pfn);
    }
  }

  let mapcount: SimpleExtras["mapcount"];
  if (lockstep.counts) {
    mapcount = { mappedPages: {}, mappings: {}, freeButMapped: 0 };
    for (let i = 0; i < n; i++) {
      const count = Number(lockstep.counts[i]!);
      if (count === 0) continue;
      const w = words[i]!;
      const kind = w === 0n ? "kernel" : kindOf(w);
      bump(mapcount.mappedPages, kind);
      bump(mapcount.mappings, kind, count);
      if (kind === "free") mapcount.freeButMapped++;
    }
  }
  let cgroups: SimpleExtras["cgroups"];
  if (lockstep.cgroups) {
    const pagesOf = new Map<number, number>();
    for (const ino of lockstep.cgroups)
      if (ino !== 0n) pagesOf.set(Number(ino), (pagesOf.get(Number(ino)) ?? 0) + 1);
    const byInode = [...pagesOf]
      .map(([inode, p]) => ({ inode, pages: p }))
      .sort((a, b) => b.pages - a.pages || a.inode - b.inode);
    cgroups = { chargedPages: byInode.reduce((s, e) => s + e.pages, 0), byInode };
  }
  return {
    pages,
    descriptors,
    orders,
    groups,
    anomalies,
    quirks,
    flagWords,
    ram: { known: ram !== null, pagesInSpan, flaggedOutsideRam },
    ...(mapcount ? { mapcount } : {}),
    ...(cgroups ? { cgroups } : {}),
  };
}

/** Bits no kernel sets: ERROR (1) is dead; 27–31 and 43–63 are not defined. */
const unknownBits = [1, 27, 28, 29, 30, 31, ...Array.from({ length: 21 }, (_, k) => 43 + k)];
const unknownMask = unknownBits.reduce((m, b) => m | (1n << BigInt(b)), 0n);

const emptyQuirks = (): SimpleExtras["quirks"] => ({
  slabAnon: 0,
  reportedFree: 0,
  tails: 0,
  tailsDiffering: 0,
  holesReadingZero: 0,
  nopage: 0,
  zeroInRam: 0,
  unknownBits: 0,
  unknownBitList: [],
});
