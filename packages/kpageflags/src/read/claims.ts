// Which chunks of a page-map read are taken, shared by all its readers (the main thread and the reader threads)
// in one SharedArrayBuffer. Whoever is free claims the next chunk, so a reader slowed by other work (the main
// thread also classifies) reads fewer, and no reader runs more than `window` chunks ahead of what the main
// thread has consumed, which keeps memory flat.

const NEXT = 0; // the next chunk to claim
const TAKEN = 1; // chunks the main thread has consumed, in order
const STOP = 2; // 1 once the main thread stops the read
const END = 3; // the last chunk to read: the first known to end the read (an error, or the files' end)

/** `claim()`: the window is full; wait for the main thread to consume a chunk. */
export const windowFull = -1;
/** `claim()`: nothing is left to read (the files ended, a read failed, or the read was stopped). */
export const readDone = -2;

export class ChunkClaims {
  private seenTaken = 0;

  private constructor(
    /** The shared state, to hand to reader threads. */
    readonly state: Int32Array,
    readonly window: number,
  ) {}

  /** New claims for a read with `window` chunks in flight at most. */
  static create(window: number): ChunkClaims {
    const state = new Int32Array(new SharedArrayBuffer(4 * Int32Array.BYTES_PER_ELEMENT));
    state[END] = 0x7fffffff;
    return new ChunkClaims(state, window);
  }

  /** The same claims, seen from a reader thread that was given `state`. */
  static attach(state: Int32Array, window: number): ChunkClaims {
    return new ChunkClaims(state, window);
  }

  /** The next chunk's index, now this reader's to read; or {@link windowFull}, or {@link readDone}. */
  claim(): number {
    const s = this.state;
    if (Atomics.load(s, STOP) !== 0) return readDone;
    const next = Atomics.load(s, NEXT);
    if (next > Atomics.load(s, END)) return readDone;
    this.seenTaken = Atomics.load(s, TAKEN);
    if (next >= this.seenTaken + this.window) return windowFull;
    const index = Atomics.add(s, NEXT, 1);
    return index > Atomics.load(s, END) ? readDone : index;
  }

  /** Chunk `index` ends the read: no chunk after it is claimed. */
  end(index: number): void {
    const s = this.state;
    for (let cur = Atomics.load(s, END); cur > index; cur = Atomics.load(s, END))
      if (Atomics.compareExchange(s, END, cur, index) === cur) return;
  }

  /** The main thread has consumed `count` chunks: readers waiting for room go on. */
  consumed(count: number): void {
    Atomics.store(this.state, TAKEN, count);
    Atomics.notify(this.state, TAKEN);
  }

  /**
   * Reader thread only (the main thread must not block): sleeps until the main thread consumes a chunk since
   * the last {@link claim} found the window full, or the read stops, or `ms` pass.
   */
  waitForRoom(ms: number): void {
    if (Atomics.load(this.state, STOP) === 0) Atomics.wait(this.state, TAKEN, this.seenTaken, ms);
  }

  /** Stops the read: readers claim nothing more, and those waiting for room wake. */
  stop(): void {
    Atomics.store(this.state, STOP, 1);
    Atomics.notify(this.state, TAKEN);
  }
}
