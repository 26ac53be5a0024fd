import { MemmapError } from "./errors.js";
import { grown } from "./grow.js";

/** What a deferred entry does when its grace period has passed. */
export const RCU_OBJECT = 0;
export const RCU_SLAB = 1;
export const RCU_CALLBACK = 2;

/**
 * Simulated RCU: time in milliseconds, a fixed grace period, read-side critical sections, and a FIFO of deferred
 * frees. Page walkers that hold only the RCU read lock may follow a word to a freed descriptor, so frees of
 * SLAB_TYPESAFE_BY_RCU descriptors (and of RCU-freed page tables and IOMMU page lists) wait here until a grace
 * period has passed with no reader inside: `synchronize()` (synchronize_rcu) lets one pass, `advance(ms)` moves
 * time. Entries are typed-array records so the hot free path allocates nothing; `callRcu` takes a function.
 */
export class Rcu {
  /** Simulated time, ms. */
  now = 0;
  /** A grace period's length, ms. */
  readonly gracePeriod: number;
  /** Times time moved on with no reader inside (grace periods that could end). */
  completed = 0;
  private readers = 0;
  private type = new Uint8Array(64);
  private a = new Int32Array(64);
  private b = new Int32Array(64);
  private ready = new Float64Array(64);
  private head = 0;
  private tail = 0;
  private readonly callbacks: (() => void)[] = [];
  private readonly handler: (type: number, a: number, b: number) => void;

  constructor(gracePeriod: number, run: (type: number, a: number, b: number) => void) {
    if (!(gracePeriod > 0))
      throw new MemmapError("BAD_OPTIONS", `an RCU grace period lasts more than 0 ms, not ${gracePeriod}`);
    this.gracePeriod = gracePeriod;
    this.handler = run;
  }

  private runCallback(i: number): void {
    const f = this.callbacks[i]!;
    this.callbacks[i] = undefined as never;
    f();
  }

  /** `rcu_read_lock()`. */
  readLock(): void {
    this.readers++;
  }

  /** `rcu_read_unlock()`. */
  readUnlock(): void {
    if (this.readers === 0)
      throw new MemmapError("RCU_UNBALANCED", "rcu_read_unlock() without a matching rcu_read_lock()");
    this.readers--;
  }

  /** Whether a read-side critical section is open. */
  get reading(): boolean {
    return this.readers > 0;
  }

  /** Deferred entries not yet run. */
  get pending(): number {
    return this.tail - this.head;
  }

  /** Queues a deferred record (the memmap's object and slab frees). */
  defer(type: number, a: number, b: number): void {
    if (this.tail === this.type.length) this.compact();
    const t = this.tail++;
    this.type[t] = type;
    this.a[t] = a;
    this.b[t] = b;
    this.ready[t] = this.now + this.gracePeriod;
  }

  /** `call_rcu()`: runs `f` after a grace period. */
  callRcu(f: () => void): void {
    this.callbacks.push(f);
    this.defer(RCU_CALLBACK, 0, this.callbacks.length - 1);
  }

  /** `synchronize_rcu()`: waits for a grace period (time moves on by one), running what became due. */
  synchronize(): void {
    if (this.readers > 0)
      throw new MemmapError(
        "RCU_DEADLOCK",
        "synchronize_rcu() inside an RCU read-side critical section would wait for itself",
      );
    this.advance(this.gracePeriod);
  }

  /**
   * Moves time on by `ms` and runs every deferred entry whose grace period has ended, oldest first. While a reader
   * is inside a critical section no grace period ends, so nothing runs. Entries queued by those that run (a slab
   * emptied by a deferred free) wait for the next grace period.
   */
  advance(ms: number): void {
    if (!(ms >= 0)) throw new MemmapError("BAD_OPTIONS", `rcu.advance(${ms}): time moves forward only`);
    this.now += ms;
    if (this.readers > 0) return;
    this.completed++;
    // Entries queued while these run are due a grace period later, so they end the loop.
    while (this.head < this.tail && this.ready[this.head]! <= this.now) {
      const h = this.head++;
      const type = this.type[h]!;
      if (type === RCU_CALLBACK) this.runCallback(this.b[h]!);
      else this.handler(type, this.a[h]!, this.b[h]!);
    }
    if (this.head === this.tail) {
      this.head = 0;
      this.tail = 0;
      this.callbacks.length = 0;
    }
  }

  /** Runs everything deferred, however many grace periods that takes (end of a workload, tests). */
  drain(): void {
    while (this.pending > 0) this.synchronize();
  }

  private compact(): void {
    const live = this.tail - this.head;
    if (this.head > 0 && live <= this.type.length / 2) {
      this.type.copyWithin(0, this.head, this.tail);
      this.a.copyWithin(0, this.head, this.tail);
      this.b.copyWithin(0, this.head, this.tail);
      this.ready.copyWithin(0, this.head, this.tail);
    } else {
      this.type = grown(this.type, this.type.length * 2);
      this.a = grown(this.a, this.a.length * 2);
      this.b = grown(this.b, this.b.length * 2);
      this.ready = grown(this.ready, this.ready.length * 2);
      if (this.head > 0) {
        this.type.copyWithin(0, this.head, this.tail);
        this.a.copyWithin(0, this.head, this.tail);
        this.b.copyWithin(0, this.head, this.tail);
        this.ready.copyWithin(0, this.head, this.tail);
      }
    }
    this.tail = live;
    this.head = 0;
  }
}
