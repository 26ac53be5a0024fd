import { MemmapError } from "../errors.js";

/** What a deferred entry of the callback ring does when its grace period has passed. */
export const RCU_SLAB = 1;
export const RCU_CALLBACK = 2;

/** Who runs the memmap's deferred work once its grace period is over. */
export interface RcuSink {
  /**
   * Object frees whose grace period has ended, `count` of them from slot `start` of the object ring (`cache[s]`,
   * `object[s]` for `s = (start + k) & mask`): `kfree_rcu()`'s bulk, handed to `kmem_cache_free_bulk()`. It may
   * not queue object frees itself (their slots may be reused); it may queue ring entries.
   */
  rcuFreeBulk(cache: Int32Array, object: Int32Array, start: number, count: number, mask: number): void;
  /** An RCU_SLAB entry whose grace period has ended. */
  rcuRun(type: number, a: number, b: number): void;
  /** Time moved on to `now` (ms): for what else runs on a clock (vmstat's per-CPU page list decay). */
  rcuTick(now: number): void;
  /** The outermost read-side critical section ended: for the readers' debug check. */
  rcuReadUnlocked?(): void;
}

/**
 * A FIFO of deferred records in a ring of typed arrays (a power-of-two capacity that doubles when full, unwrapping
 * so the oldest record is in slot 0), split into segments by the grace period they wait for, as the kernel's
 * `rcu_segcblist` is: one (ready time, count) pair per segment in a second ring, so queuing a record writes its
 * fields and bumps a count.
 */
class SegmentedRing {
  a = new Int32Array(64);
  b = new Int32Array(64);
  /** Only the callback ring keeps a type per record. */
  type: Uint8Array | undefined;
  mask = 63;
  /** The oldest record's slot, and how many there are. */
  head = 0;
  size = 0;
  private segReady = new Float64Array(16);
  private segCount = new Int32Array(16);
  private segMask = 15;
  private segHead = 0;
  private segSize = 0;
  /** The newest segment's slot and ready time (-1: no segment), which a new record joins if it is due then too. */
  private tailSeg = 0;
  private tailReady = -1;

  constructor(typed: boolean) {
    if (typed) this.type = new Uint8Array(64);
  }

  /** Appends a record due at `ready`; returns its slot. */
  push(a: number, b: number, ready: number): number {
    if (this.size > this.mask) this.grow();
    const t = (this.head + this.size) & this.mask;
    this.a[t] = a;
    this.b[t] = b;
    this.size++;
    if (ready === this.tailReady) this.segCount[this.tailSeg]!++;
    else {
      if (this.segSize > this.segMask) this.growSegments();
      const s = (this.segHead + this.segSize) & this.segMask;
      this.segReady[s] = ready;
      this.segCount[s] = 1;
      this.segSize++;
      this.tailSeg = s;
      this.tailReady = ready;
    }
    return t;
  }

  /** Records in the oldest segment if it is due by `now` (it is then dropped), else 0. */
  takeDue(now: number): number {
    if (this.segSize === 0 || this.segReady[this.segHead]! > now) return 0;
    const n = this.segCount[this.segHead]!;
    this.segHead = (this.segHead + 1) & this.segMask;
    if (--this.segSize === 0) this.tailReady = -1;
    return n;
  }

  private grow(): void {
    const cap = this.mask + 1;
    const first = cap - this.head;
    const unwrap = <T extends Int32Array | Uint8Array>(x: T, y: T): T => {
      y.set(x.subarray(this.head));
      y.set(x.subarray(0, this.head), first);
      return y;
    };
    this.a = unwrap(this.a, new Int32Array(cap * 2));
    this.b = unwrap(this.b, new Int32Array(cap * 2));
    if (this.type) this.type = unwrap(this.type, new Uint8Array(cap * 2));
    this.head = 0;
    this.mask = cap * 2 - 1;
  }

  private growSegments(): void {
    const cap = this.segMask + 1;
    const first = cap - this.segHead;
    const ready = new Float64Array(cap * 2);
    const count = new Int32Array(cap * 2);
    ready.set(this.segReady.subarray(this.segHead));
    ready.set(this.segReady.subarray(0, this.segHead), first);
    count.set(this.segCount.subarray(this.segHead));
    count.set(this.segCount.subarray(0, this.segHead), first);
    this.segReady = ready;
    this.segCount = count;
    this.segHead = 0;
    this.segMask = cap * 2 - 1;
    this.tailSeg = this.segSize - 1;
  }
}

/**
 * Simulated RCU: time in milliseconds, a fixed grace period, read-side critical sections, and two queues of
 * deferred work, each a segmented typed-array ring (no JavaScript object per entry): object frees
 * (`kfree_rcu()`'s per-CPU bulk of object pointers, here a cache and an object number each, used when descriptors
 * are freed that way), handed over in bulk once their grace period ends, and the callbacks (`call_rcu()`: a
 * SLAB_TYPESAFE_BY_RCU slab emptied of objects, whose pages wait a grace period, and functions). Page walkers
 * that hold only the RCU read lock may follow a word to a freed descriptor, so these wait until a grace period
 * has passed with no reader inside: `synchronize()` (synchronize_rcu) lets one pass, `advance(ms)` moves time.
 */
export class Rcu {
  /** Simulated time, ms. */
  now = 0;
  /** A grace period's length, ms. */
  readonly gracePeriod: number;
  /** Times time moved on with no reader inside (grace periods that could end). */
  completed = 0;
  private readers = 0;
  private readonly objects = new SegmentedRing(false);
  private readonly entries = new SegmentedRing(true);
  private readonly callbacks: ((() => void) | undefined)[] = [];
  private readonly freeCallbackSlots: number[] = [];
  private readonly sink: RcuSink;
  /** When what is queued now is due: `now + gracePeriod`. */
  private due: number;

  constructor(gracePeriod: number, sink: RcuSink) {
    if (!(gracePeriod > 0))
      throw new MemmapError("BAD_OPTIONS", `an RCU grace period lasts more than 0 ms, not ${gracePeriod}`);
    this.gracePeriod = gracePeriod;
    this.sink = sink;
    this.due = gracePeriod;
  }

  /** `rcu_read_lock()`. */
  readLock(): void {
    this.readers++;
  }

  /** `rcu_read_unlock()`. */
  readUnlock(): void {
    if (this.readers === 0)
      throw new MemmapError("RCU_UNBALANCED", "rcu_read_unlock() without a matching rcu_read_lock()");
    if (--this.readers === 0) this.sink.rcuReadUnlocked?.();
  }

  /** Whether a read-side critical section is open. */
  get reading(): boolean {
    return this.readers > 0;
  }

  /** Deferred object frees and callbacks not yet run. */
  get pending(): number {
    return this.objects.size + this.entries.size;
  }

  /** Object frees waiting for a grace period. */
  get pendingObjects(): number {
    return this.objects.size;
  }

  /** Slots in the object ring and the callback ring (each doubles when full). */
  get capacity(): { objects: number; entries: number } {
    return { objects: this.objects.mask + 1, entries: this.entries.mask + 1 };
  }

  /** `kfree_rcu()` of object `object` of cache `cache`: freed in bulk a grace period from now. */
  deferObject(cache: number, object: number): void {
    this.objects.push(cache, object, this.due);
  }

  /** Queues a callback-ring record (the memmap's RCU_SLAB), run a grace period from now. */
  defer(type: number, a: number, b: number): void {
    const t = this.entries.push(a, b, this.due);
    this.entries.type![t] = type;
  }

  /** `call_rcu()`: runs `f` after a grace period. */
  callRcu(f: () => void): void {
    const slot = this.freeCallbackSlots.pop() ?? this.callbacks.length;
    this.callbacks[slot] = f;
    this.defer(RCU_CALLBACK, 0, slot);
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
   * Moves time on by `ms` and, unless a reader is inside a critical section (then no grace period ends), runs what
   * has waited a grace period: the due object frees in bulk, oldest first, then the due callbacks in order
   * (`rcu_do_batch`). Work queued while these run is due a grace period later, in a segment of its own.
   */
  advance(ms: number): void {
    if (!(ms >= 0)) throw new MemmapError("BAD_OPTIONS", `rcu.advance(${ms}): time moves forward only`);
    this.now += ms;
    this.due = this.now + this.gracePeriod;
    this.sink.rcuTick(this.now);
    if (this.readers > 0) return;
    this.completed++;
    const objs = this.objects;
    for (let n = objs.takeDue(this.now); n > 0; n = objs.takeDue(this.now)) {
      const start = objs.head;
      objs.head = (start + n) & objs.mask;
      objs.size -= n;
      const left = objs.size;
      this.sink.rcuFreeBulk(objs.a, objs.b, start, n, objs.mask);
      if (objs.size !== left)
        throw new MemmapError("INVARIANT", "an RCU object bulk queued object frees while it ran");
    }
    const e = this.entries;
    for (let n = e.takeDue(this.now); n > 0; n = e.takeDue(this.now)) {
      while (n-- > 0) {
        const h = e.head;
        const type = e.type![h]!;
        const a = e.a[h]!;
        const b = e.b[h]!;
        e.head = (h + 1) & e.mask;
        e.size--;
        if (type === RCU_CALLBACK) {
          const f = this.callbacks[b]!;
          this.callbacks[b] = undefined;
          this.freeCallbackSlots.push(b);
          f();
        } else this.sink.rcuRun(type, a, b);
      }
    }
  }

  /** Runs everything deferred, however many grace periods that takes (end of a workload, tests). */
  drain(): void {
    while (this.pending > 0) this.synchronize();
  }
}
