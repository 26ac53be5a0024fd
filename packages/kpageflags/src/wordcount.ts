/**
 * Counts per distinct 64-bit word, held as two u32 halves: an open-addressing hash table in typed arrays, like
 * page-types' own. A JavaScript Map keyed on `hi * 2^32 + lo` hashes heap numbers and was the classifier's
 * largest per-run cost. Each word also gets an id, its order of first appearance.
 */
export class WordCounter {
  private los: Uint32Array;
  private his: Uint32Array;
  private counts: Float64Array;
  private used: Uint8Array;
  private ids: Uint32Array;
  private mask: number;
  size = 0;

  constructor(capacity = 1024) {
    let cap = 16;
    while (cap < capacity * 2) cap *= 2;
    this.los = new Uint32Array(cap);
    this.his = new Uint32Array(cap);
    this.counts = new Float64Array(cap);
    this.used = new Uint8Array(cap);
    this.ids = new Uint32Array(cap);
    this.mask = cap - 1;
  }

  /** Adds `n` to the word's count and returns the word's id. */
  add(lo: number, hi: number, n: number): number {
    let i = (Math.imul(lo ^ Math.imul(hi, 0x27d4eb2d), 0x9e3779b1) >>> 7) & this.mask;
    for (;;) {
      if (this.used[i] === 0) {
        const id = this.size;
        this.insert(i, lo, hi, n, id);
        if (++this.size * 2 > this.mask) this.grow();
        return id;
      }
      if (this.los[i] === lo >>> 0 && this.his[i] === hi >>> 0) {
        this.counts[i]! += n;
        return this.ids[i]!;
      }
      i = (i + 1) & this.mask;
    }
  }

  private insert(i: number, lo: number, hi: number, n: number, id: number): void {
    this.used[i] = 1;
    this.los[i] = lo;
    this.his[i] = hi;
    this.counts[i] = n;
    this.ids[i] = id;
  }

  /** Calls `fn` for every word with its count, in table order. */
  forEach(fn: (lo: number, hi: number, count: number) => void): void {
    for (let i = 0; i <= this.mask; i++) if (this.used[i]) fn(this.los[i]!, this.his[i]!, this.counts[i]!);
  }

  private grow(): void {
    const { los, his, counts, used, ids } = this;
    const cap = (this.mask + 1) * 2;
    this.los = new Uint32Array(cap);
    this.his = new Uint32Array(cap);
    this.counts = new Float64Array(cap);
    this.used = new Uint8Array(cap);
    this.ids = new Uint32Array(cap);
    this.mask = cap - 1;
    for (let i = 0; i < used.length; i++) {
      if (!used[i]) continue;
      let j = (Math.imul(los[i]! ^ Math.imul(his[i]!, 0x27d4eb2d), 0x9e3779b1) >>> 7) & this.mask;
      while (this.used[j]) j = (j + 1) & this.mask;
      this.insert(j, los[i]!, his[i]!, counts[i]!, ids[i]!);
    }
  }
}
