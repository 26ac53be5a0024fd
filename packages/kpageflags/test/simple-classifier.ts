/**
 * A second, deliberately simple classifier for the independent check: one BigInt per PFN, one `if` chain,
 * heads found by looking ahead at their tails, sections checked page by page. It shares no code with
 * src/classify.ts; it implements the same written rules (README "Classification rules") a different way.
 */
export interface SimpleResult {
  pages: Record<string, number>;
  descriptors: Record<string, number>;
  orders: Record<string, Record<number, number>>;
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
): SimpleResult & { groups: Record<string, SimpleResult> } {
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
    if (has(w, 15)) {
      let len = 1;
      while (i + len < n && has(words[i + len]!, 16) && kindOf(words[i + len]!) === kind) len++;
      const order = Math.log2(len);
      add("descriptors", kind, pfn);
      addOrder(kind, order, pfn);
    } else if (!has(w, 16)) {
      add("descriptors", kind, pfn);
      addOrder(kind, 0, pfn);
    }
  }
  return { pages, descriptors, orders, groups };
}
