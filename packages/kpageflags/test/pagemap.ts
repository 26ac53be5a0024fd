import { Classifier, type ClassifierOptions } from "../src/classify.js";
import type { PageChunk } from "../src/read/chunk.js";

/** A hand-made page map: one 64-bit flag word per PFN, as the two u32 halves the readers produce. */
export function pageMap(words: readonly (bigint | number)[]): Uint32Array {
  const out = new Uint32Array(words.length * 2);
  words.forEach((w, i) => {
    const v = BigInt(w);
    out[i * 2] = Number(v & 0xffff_ffffn);
    out[i * 2 + 1] = Number(v >> 32n);
  });
  return out;
}

/** Splits a page map into chunks of `chunkPfns` (the last may be shorter). */
export function* chunksOf(map: Uint32Array, chunkPfns: number, startPfn = 0): Generator<PageChunk> {
  const n = map.length / 2;
  for (let i = 0; i < n; i += chunkPfns) {
    const len = Math.min(chunkPfns, n - i);
    yield { pfn: startPfn + i, length: len, flags: map.slice(i * 2, (i + len) * 2) };
  }
}

/** Classifies a hand-made map, pushed in chunks. */
export function classifyWords(
  words: readonly (bigint | number)[] | Uint32Array,
  options: Partial<ClassifierOptions> & { chunkPfns?: number } = {},
) {
  const map = words instanceof Uint32Array ? words : pageMap(words);
  const c = new Classifier({ ram: null, sectionPfns: 1 << 20, ...options });
  for (const chunk of chunksOf(map, options.chunkPfns ?? 65536, options.startPfn ?? 0)) c.push(chunk);
  return c.finish();
}

/** Repeats a word n times. */
export const times = (w: bigint | number, n: number): (bigint | number)[] =>
  Array.from({ length: n }, () => w);

/** Flag words from bit numbers. */
export const bits = (...b: number[]): bigint => b.reduce((v, n) => v | (1n << BigInt(n)), 0n);

/** KPF bit numbers, as in include/uapi/linux/kernel-page-flags.h and include/linux/kernel-page-flags.h. */
export const KPF = {
  LOCKED: 0,
  REFERENCED: 2,
  UPTODATE: 3,
  DIRTY: 4,
  LRU: 5,
  ACTIVE: 6,
  SLAB: 7,
  WRITEBACK: 8,
  RECLAIM: 9,
  BUDDY: 10,
  MMAP: 11,
  ANON: 12,
  SWAPCACHE: 13,
  SWAPBACKED: 14,
  HEAD: 15,
  TAIL: 16,
  HUGE: 17,
  UNEVICTABLE: 18,
  HWPOISON: 19,
  NOPAGE: 20,
  KSM: 21,
  THP: 22,
  OFFLINE: 23,
  ZERO_PAGE: 24,
  IDLE: 25,
  PGTABLE: 26,
  RESERVED: 32,
  MLOCKED: 33,
  OWNER_2: 34,
  PRIVATE: 35,
} as const;

/** A compound page of `order`: a head with `word | HEAD`, then tails with `word | TAIL`. */
export function folio(word: bigint, order: number): bigint[] {
  const head = word | bits(KPF.HEAD);
  const tail = word | bits(KPF.TAIL);
  return [head, ...Array.from({ length: 2 ** order - 1 }, () => tail)];
}
