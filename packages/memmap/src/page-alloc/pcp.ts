import type { BuddyAllocator } from "./buddy.js";

/** `PAGE_ALLOC_COSTLY_ORDER`: the highest low order the per-CPU lists keep (`pcp_allowed_order()`). */
export const PCP_MAX_ORDER = 3;
/** `HPAGE_PMD_ORDER`: with CONFIG_TRANSPARENT_HUGEPAGE, `pcp_allowed_order()` lets this order use the lists too. */
export const PCP_THP_ORDER = 9;
/** The list (`pindex`) an order uses: orders 0..3, then the THP order (`order_to_pindex()`, one migratetype). */
const pindexOf = (order: number): number => (order <= PCP_MAX_ORDER ? order : PCP_MAX_ORDER + 1);

/** `CONFIG_PCP_BATCH_SCALE_MAX`: how far batches scale up (2^5) while a CPU keeps allocating or freeing. */
export const PCP_BATCH_SCALE_MAX = 5;
/** `MIN_PERCPU_PAGELIST_HIGH_FRACTION`: `high_max` is at most 1/8 of the zone over its CPUs. */
const HIGH_FRACTION = 8;

/** One zone's per-CPU sizes and watermark: what `zone_set_pageset_high_and_batch()` sets up. */
export interface PcpSizes {
  readonly batch: number;
  /** `pcp->high_min` and `pcp->high_max`: the range `pcp->high` is tuned in. */
  readonly highMin: number;
  readonly highMax: number;
  /** The zone's high watermark (`high_wmark_pages()`), in pages. */
  readonly highWmark: number;
}

const roundDownPow2 = (n: number): number => 2 ** Math.floor(Math.log2(n));

/**
 * `zone_batchsize()` and `zone_highsize()` (mm/page_alloc.c, `percpu_pagelist_high_fraction` 0) for a zone of
 * `zonePages` on a machine of `totalPages` with `cpusOnNode` CPUs local to the zone: batch is about 0.1% of the
 * zone or 1 MiB, whichever is smaller, /4, clamped to 2^n - 1; `high_min` is the zone's low watermark split over
 * its CPUs and `high_max` an eighth of the zone split over them, both at least 4 batches. The watermarks
 * (`__setup_per_zone_wmarks()`): `min_free_kbytes = int_sqrt(lowmem_kbytes * 16)` clamped to 128..262144 KiB,
 * shared out by zone size, and low/high a further `max(min / 4, 0.1% of the zone)` (watermark_scale_factor 10)
 * and twice that above min.
 */
export function pcpSizes(zonePages: number, totalPages: number, cpusOnNode: number): PcpSizes {
  let b = Math.floor(Math.min(Math.floor(zonePages / 1024), (1 << 20) / 4096) / 4);
  if (b < 1) b = 1;
  const batch = Math.max(1, roundDownPow2(b + Math.floor(b / 2)) - 1);
  const minFreeKbytes = Math.min(262144, Math.max(128, Math.floor(Math.sqrt(totalPages * 4 * 16))));
  const pagesMin = Math.floor(minFreeKbytes / 4);
  const zoneMin = Math.floor((pagesMin * zonePages) / totalPages);
  const step = Math.max(zoneMin >> 2, Math.floor((zonePages * 10) / 10000));
  const cpus = Math.max(1, cpusOnNode);
  return {
    batch,
    highMin: Math.max(Math.floor((zoneMin + step) / cpus), batch * 4),
    highMax: Math.max(Math.floor(Math.floor(zonePages / HIGH_FRACTION) / cpus), batch * 4),
    highWmark: zoneMin + 2 * step,
  };
}

/** `pcp->flags`: the last free was of a high-order (1..3) block (PCPF_PREV_FREE_HIGH_ORDER). */
const PREV_FREE_HIGH_ORDER = 1;

/** One of a pageset's lists (`pcp->lists[order]`): a ring of blocks, hot end and cold end, doubling when full. */
class PcpList {
  /** One past the hot end, the cold end, and the number of blocks. */
  hot = 0;
  cold = 0;
  len = 0;
  ring = new Int32Array(64);
  mask = 63;

  /** Doubles the ring, unwrapping it so the cold end is in slot 0. */
  grow(): void {
    const cap = this.mask + 1;
    const ring = new Int32Array(cap * 2);
    ring.set(this.ring.subarray(this.cold));
    ring.set(this.ring.subarray(0, this.cold), cap - this.cold);
    this.ring = ring;
    this.cold = 0;
    this.hot = cap;
    this.mask = cap * 2 - 1;
  }
}

/** One zone's `struct per_cpu_pages` for the simulated CPU, with the zone's high watermark and flag. */
class Pageset {
  count = 0;
  high: number;
  readonly highMin: number;
  readonly highMax: number;
  readonly batch: number;
  freeCount = 0;
  /** `free_count` stops growing at a fully scaled batch. */
  readonly freeCountMax: number;
  allocFactor = 0;
  flags = 0;
  /** `ZONE_BELOW_HIGH`, the zone's high watermark, and whether buddy's free pages fell since the last test. */
  belowHigh = 0;
  readonly highWmark: number;
  recheck = 1;
  readonly lists: PcpList[];
  /** `lists[0]`, the one nearly every allocation and free uses. */
  readonly list0: PcpList;
  constructor(sizes: PcpSizes, lists: number) {
    // `| 0`: small integers in V8, not doubles.
    this.batch = sizes.batch | 0;
    this.freeCountMax = (sizes.batch << PCP_BATCH_SCALE_MAX) | 0;
    this.high = sizes.highMin | 0;
    this.highMin = sizes.highMin | 0;
    this.highMax = sizes.highMax | 0;
    this.highWmark = sizes.highWmark | 0;
    this.lists = Array.from({ length: lists }, () => new PcpList());
    this.list0 = this.lists[0]!;
  }
}

/**
 * The page allocator's per-CPU front end (mm/page_alloc.c): one `struct per_cpu_pages` per zone (node) for the
 * simulated CPU, which sits on node 0 (`numa_node_id()`, what `nid = -1` allocates from first). Each holds a list
 * per order up to PAGE_ALLOC_COSTLY_ORDER and, with THP, one for HPAGE_PMD_ORDER (`pcp->lists[]`, one migratetype
 * here; `pcp_allowed_order()`, mm/page_alloc.c), a page `count`, `batch`, and `high`, tuned between `high_min`
 * and `high_max` as in 6.7+.
 *
 * `allocPages()` is `rmqueue()`: an allocation of an allowed order pops its list's hot end (`rmqueue_pcplist()`),
 * refilling an empty list from the buddy allocator (`rmqueue_bulk()`) with `nr_pcp_alloc()` pages: `batch`,
 * doubled (`alloc_factor`) while refills keep coming before frees, each refill also raising `high` by a batch
 * unless the zone is below its high watermark (`ZONE_BELOW_HIGH`). `freePages()` is `free_frozen_page_commit()`:
 * the block goes on its list's hot end; `free_count` counts consecutive frees, and `nr_pcp_high()` raises `high`
 * to hold them; once `count` reaches `high`, `free_pcppages_bulk()` gives `nr_pcp_free()` pages back, oldest
 * first (the cold end), that order's list first, then round-robin. `decayHigh()` is vmstat's once-a-second
 * `decay_pcp_high()`.
 *
 * Blocks on the lists are free but not in buddy's lists: their words say so (the buddy allocator writes them:
 * `writePcpHead`), so buddy never merges with them (PageBuddy is clear on them today), `/proc/buddyinfo` leaves
 * them out and `/proc/zoneinfo` counts them. Each list is a typed-array ring that doubles when full.
 */
export class PerCpuPages {
  readonly nodes: number;
  /** The orders that have a list, by list (`pindex`): 0..3, and 9 with THP. */
  readonly orders: readonly number[];
  /** CONFIG_TRANSPARENT_HUGEPAGE: order 9 uses the lists. */
  readonly thp: boolean;
  /** Whether there is an order-9 list (THP, and buddy goes that high). */
  private readonly thpList: boolean;
  private readonly buddy: BuddyAllocator;
  private readonly words: Uint32Array;
  private readonly stride: number;
  private readonly tailLo: number;
  /** Slot encoding: the low half of a listed block's first page, by list, and for order 0. */
  private readonly pcpLo: Uint32Array;
  private readonly pcpLo0: number;
  /** The buddy allocator's linked encoding: list links, written by it. */
  private readonly linked: boolean;
  /** Each node's pageset, and node 0's (the simulated CPU's own node). */
  private readonly sets: Pageset[];
  private readonly set0: Pageset;

  constructor(buddy: BuddyAllocator, words: Uint32Array, stride: number, nrCpus: number, thp: boolean) {
    this.buddy = buddy;
    this.words = words;
    this.stride = stride | 0;
    this.tailLo = buddy.tailLo | 0;
    this.linked = buddy.linked;
    this.thp = thp;
    const nodes = buddy.nodes;
    this.nodes = nodes;
    const orders = [0, 1, 2, 3];
    if (thp && PCP_THP_ORDER <= buddy.maxOrder) orders.push(PCP_THP_ORDER);
    this.orders = orders;
    this.thpList = orders.length > PCP_MAX_ORDER + 1;
    this.pcpLo = new Uint32Array(orders.length);
    orders.forEach((o, i) => {
      this.pcpLo[i] = buddy.pcpHeadLo(o);
    });
    this.pcpLo0 = this.pcpLo[0]! | 0;
    const total = buddy.nodeStart[nodes]! - buddy.nodeStart[0]!;
    const cpusOnNode = Math.max(1, Math.floor(nrCpus / nodes));
    this.sets = [];
    for (let n = 0; n < nodes; n++)
      this.sets.push(
        new Pageset(
          pcpSizes(buddy.nodeStart[n + 1]! - buddy.nodeStart[n]!, total, cpusOnNode),
          orders.length,
        ),
      );
    this.set0 = this.sets[0]!;
  }

  /** `pcp_allowed_order()`: orders 0..PAGE_ALLOC_COSTLY_ORDER, and HPAGE_PMD_ORDER with THP. */
  allowed(order: number): boolean {
    return order <= PCP_MAX_ORDER || (order === PCP_THP_ORDER && this.thpList);
  }

  /** Writes a listed block's first page (list `pi` of `node`). */
  private markListed(pfn: number, order: number, node: number, pi: number): void {
    if (this.linked) this.buddy.writePcpHead(pfn, order, node, pi);
    else {
      const x = pfn * this.stride;
      this.words[x] = this.pcpLo[pi]!;
      this.words[x + 1] = 0;
    }
  }

  /** A node's pageset: `count` (pages), `high`, `batch`, `high_min`, `high_max`, `free_count`, `alloc_factor`. */
  pageset(node: number): {
    count: number;
    high: number;
    batch: number;
    highMin: number;
    highMax: number;
    freeCount: number;
    allocFactor: number;
    /** The zone's `ZONE_BELOW_HIGH` bit, and its high watermark. */
    belowHigh: boolean;
    highWmark: number;
  } {
    const ps = this.sets[node]!;
    return {
      count: ps.count,
      high: ps.high,
      batch: ps.batch,
      highMin: ps.highMin,
      highMax: ps.highMax,
      freeCount: ps.freeCount,
      allocFactor: ps.allocFactor,
      // The bit as it stands: testing the zone here would set it before the next allocation does, and so change
      // what frees do in between.
      belowHigh: ps.belowHigh !== 0,
      highWmark: ps.highWmark,
    };
  }

  /** Pages on node's lists (`pcp->count`). */
  countOf(node: number): number {
    return this.sets[node]!.count;
  }

  /** Pages on every list. */
  get total(): number {
    let t = 0;
    for (const ps of this.sets) t += ps.count;
    return t;
  }

  /**
   * `get_page_from_freelist()`'s test of the zone against its high watermark before it allocates there, setting
   * `ZONE_BELOW_HIGH` (frees then trim `pcp->high`). Buddy's free pages fall only by allocations on the zone, so
   * the test is redone only after one (`recheck`): the same answer as testing every time.
   */
  private belowHigh(node: number, ps: Pageset): boolean {
    if (ps.recheck !== 0) {
      ps.recheck = 0;
      if (ps.belowHigh === 0 && this.buddy.freePagesByNode[node]! <= ps.highWmark) ps.belowHigh = 1;
    }
    return ps.belowHigh !== 0;
  }

  /**
   * `alloc_pages()`: `get_page_from_freelist()` over the zonelist (node `nid`, or node 0 for -1, then the others
   * in order), each zone by `rmqueue()`; if every zone fails, the slow path's `drain_all_pages()` (what it does
   * after direct reclaim) puts the per-CPU pages back and it tries once more. Returns the PFN or -1. The block's
   * words are left for the caller to write.
   */
  allocPages(order: number, nid: number): number {
    if (order <= PCP_MAX_ORDER || this.allowed(order)) {
      const node = Math.max(nid, 0);
      const ps = node === 0 ? this.set0 : this.sets[node]!;
      if (ps.recheck !== 0) this.belowHigh(node, ps);
      const l = order === 0 ? ps.list0 : ps.lists[pindexOf(order)]!;
      const n = l.len;
      if (n > 0) {
        // rmqueue_pcplist(): a run of frees is over; list_first_entry(), the hot end.
        ps.freeCount >>= 1;
        const h = (l.hot - 1) & l.mask;
        l.hot = h;
        l.len = n - 1;
        ps.count -= 1 << order;
        return l.ring[h]!;
      }
    }
    return this.allocSlow(order, nid);
  }

  /**
   * `__alloc_pages_direct_reclaim()`'s retry: `drain_all_pages()` and the zonelist once more, whether or not the
   * lists held anything (the second pass halves each pageset's `free_count` again, as `rmqueue_pcplist()` does).
   */
  private allocSlow(order: number, nid: number): number {
    const pfn = this.fromZonelist(order, nid);
    if (pfn >= 0) return pfn;
    this.drainAll();
    return this.fromZonelist(order, nid);
  }

  private fromZonelist(order: number, nid: number): number {
    const first = Math.max(nid, 0);
    for (let k = 0; k < this.nodes; k++) {
      const node = (first + k) % this.nodes;
      this.belowHigh(node, this.sets[node]!);
      const pfn = this.rmqueue(node, order);
      if (pfn >= 0) return pfn;
    }
    return -1;
  }

  /** `rmqueue()` on one zone: the per-CPU list for small orders (refilled by `rmqueue_bulk()`), else buddy. */
  private rmqueue(node: number, order: number): number {
    const ps = this.sets[node]!;
    if (order > PCP_MAX_ORDER && !this.allowed(order)) {
      // Buddy's free pages may fall: the next allocation tests the zone again (after a failure that test gives
      // the answer the last one gave).
      ps.recheck = 1;
      return this.buddy.allocPagesNode(order, node);
    }
    const pi = pindexOf(order);
    const l = ps.lists[pi]!;
    ps.freeCount >>= 1;
    if (l.len === 0) {
      const want = this.nrPcpAlloc(ps, order);
      for (let i = 0; i < want; i++) {
        const pfn = this.buddy.allocPagesNode(order, node);
        if (pfn < 0) break;
        // list_add_tail(): the cold end; the block's words become a listed block's.
        if (l.len > l.mask) l.grow();
        const c = (l.cold - 1) & l.mask;
        l.cold = c;
        l.ring[c] = pfn;
        l.len++;
        ps.count += 1 << order;
        if (this.linked) this.markListed(pfn, order, node, pi);
        else {
          const x = pfn * this.stride;
          this.words[x] = this.pcpLo[pi]!;
          this.words[x + 1] = 0;
        }
      }
      if (l.len === 0) return -1;
      ps.recheck = 1;
    }
    const h = (l.hot - 1) & l.mask;
    l.hot = h;
    l.len--;
    ps.count -= 1 << order;
    return l.ring[h]!;
  }

  /**
   * `nr_pcp_alloc()`: blocks for one refill. `batch << alloc_factor` pages for order 0 (the factor grows while
   * refills come with room to spare, up to PCP_BATCH_SCALE_MAX, and halves on every free), capped by the room
   * under `high`; `batch >> order` blocks above. Each refill raises `high` by the batch toward `high_max` unless
   * the zone is below its high watermark.
   */
  private nrPcpAlloc(ps: Pageset, order: number): number {
    const base = ps.batch;
    let high = Math.min(Math.max(ps.high, ps.highMin), ps.highMax);
    ps.high = high;
    if (high < base) return 1;
    let batch = order > 0 ? base : base << ps.allocFactor;
    if (ps.highMin !== ps.highMax && ps.belowHigh === 0) {
      high = Math.min(high + batch, ps.highMax);
      ps.high = high;
    }
    if (order === 0) {
      const room = Math.max(high - ps.count - base, base);
      if (batch <= room && ps.allocFactor < PCP_BATCH_SCALE_MAX) ps.allocFactor++;
      batch = Math.min(batch, room);
    }
    // Scaled to the order, but at least 2 where the pageset may keep pages at all.
    return batch > 1 ? Math.max(batch >> order, 2) : batch;
  }

  /**
   * `free_pages()`: blocks of an allowed order (up to PAGE_ALLOC_COSTLY_ORDER, and 9 with THP) go to the hot end of
   * their zone's per-CPU list (`free_frozen_page_commit()`), others straight to buddy (`__free_pages_ok()`). Writes
   * the block's words.
   * The order-0 path is kept small (it is inlined into its callers); `high` and the drain are in `commit()`.
   */
  freePages(pfn: number, order: number): void {
    if (order !== 0) {
      this.freeBlock(pfn, order);
      return;
    }
    const node = this.nodes === 1 ? 0 : this.buddy.nodeOf(pfn);
    if (this.linked) this.buddy.writePcpHead(pfn, 0, node, 0);
    else {
      const x = pfn * this.stride;
      this.words[x] = this.pcpLo0;
      this.words[x + 1] = 0;
    }
    const ps = node === 0 ? this.set0 : this.sets[node]!;
    const l = ps.list0;
    if (l.len > l.mask) l.grow();
    const len = l.len;
    // On freeing, later refills are smaller again (alloc_factor), and the run of frees is one longer.
    if (ps.allocFactor !== 0) ps.allocFactor >>= 1;
    const h = l.hot;
    l.ring[h] = pfn;
    l.hot = (h + 1) & l.mask;
    l.len = len + 1;
    const count = ++ps.count;
    if (ps.flags !== 0) ps.flags = 0;
    if (ps.freeCount < ps.freeCountMax) ps.freeCount++;
    // nr_pcp_high() changes nothing for a free below high in a zone above its high watermark, unless a decay left
    // high above high_max (it clamps it).
    if (count >= ps.high || ps.belowHigh !== 0 || ps.high > ps.highMax) this.commit(node, ps, 0, false);
  }

  /** `free_pages()` of a block of order 1 and above. */
  private freeBlock(pfn: number, order: number): void {
    if (!this.allowed(order)) {
      this.buddy.freePages(pfn, order);
      return;
    }
    const node = this.nodes === 1 ? 0 : this.buddy.nodeOf(pfn);
    const pi = pindexOf(order);
    this.buddy.writeTails(pfn + 1, (1 << order) - 1);
    this.markListed(pfn, order, node, pi);
    const ps = this.sets[node]!;
    const l = ps.lists[pi]!;
    if (l.len > l.mask) l.grow();
    if (ps.allocFactor !== 0) ps.allocFactor >>= 1;
    l.ring[l.hot] = pfn;
    l.hot = (l.hot + 1) & l.mask;
    l.len++;
    ps.count += 1 << order;
    // High-order blocks other than THPs freed in a run are not hoarded (they fragment memory).
    let freeHigh = false;
    if (order <= PCP_MAX_ORDER) {
      freeHigh = ps.freeCount >= ps.batch + (ps.highMin >> 1) && ps.flags === PREV_FREE_HIGH_ORDER;
      ps.flags = PREV_FREE_HIGH_ORDER;
    } else ps.flags = 0;
    if (ps.freeCount < ps.freeCountMax) ps.freeCount += 1 << order;
    if (ps.count >= ps.high || freeHigh || ps.belowHigh !== 0 || ps.high > ps.highMax)
      this.commit(node, ps, order, freeHigh);
  }

  /** The rest of `free_frozen_page_commit()`: `nr_pcp_high()`, and at `high` the bulk free. */
  private commit(node: number, ps: Pageset, order: number, freeHigh: boolean): void {
    const high = this.nrPcpHigh(ps, ps.batch, freeHigh);
    if (ps.count >= high) {
      this.freeBulk(node, this.nrPcpFree(ps, ps.batch, high, freeHigh), order);
      if (ps.belowHigh === 1 && this.buddy.freePagesByNode[node]! > ps.highWmark) ps.belowHigh = 0;
    }
  }

  /**
   * `nr_pcp_high()`: the `high` a free is checked against. A run of frees raises `high` to hold it (up to
   * `high_max`); in a zone below its high watermark the run lowers it instead, toward `high_min`; a run of
   * high-order frees lowers it and drains at once.
   */
  private nrPcpHigh(ps: Pageset, batch: number, freeHigh: boolean): number {
    const hMin = ps.highMin;
    const hMax = ps.highMax;
    let high = Math.min(Math.max(ps.high, hMin), hMax);
    ps.high = high;
    if (high === 0) return 0;
    if (freeHigh) {
      ps.high = Math.max(high - (batch << PCP_BATCH_SCALE_MAX), hMin);
      return 0;
    }
    if (hMin === hMax) return high;
    if (ps.belowHigh === 1) {
      ps.high = Math.max(high - Math.max(ps.freeCount, batch), hMin);
      high = Math.max(ps.count, hMin);
    } else if (ps.count >= high) {
      const need = ps.freeCount + batch;
      if (high < need) ps.high = Math.min(Math.max(need, hMin), hMax);
    }
    return high;
  }

  /** `nr_pcp_free()`: pages to give back: at least a batch, more for a long run of frees, a batch left over. */
  private nrPcpFree(ps: Pageset, batch: number, high: number, freeHigh: boolean): number {
    if (freeHigh) return Math.min(ps.count, batch << PCP_BATCH_SCALE_MAX);
    if (high < batch) return 1;
    return Math.min(Math.max(ps.freeCount, batch), Math.max(high - batch, batch));
  }

  /**
   * `free_pcppages_bulk()`: gives at least `pages` pages of node's lists back to buddy (all there are, if fewer),
   * oldest first (the cold end), starting with `order`'s list and going round-robin over the others.
   */
  private freeBulk(node: number, pages: number, order: number): void {
    const ps = this.sets[node]!;
    const last = ps.lists.length - 1;
    let pi = pindexOf(order) - 1;
    let left = Math.min(pages, ps.count);
    while (left > 0) {
      let l: PcpList;
      do {
        pi = pi >= last ? 0 : pi + 1;
        l = ps.lists[pi]!;
      } while (l.len === 0);
      const o = this.orders[pi]!;
      do {
        const c = l.cold;
        const pfn = l.ring[c]!;
        l.cold = (c + 1) & l.mask;
        l.len--;
        ps.count -= 1 << o;
        left -= 1 << o;
        this.buddy.freePages(pfn, o);
      } while (left > 0 && l.len > 0);
    }
  }

  /**
   * `decay_pcp_high()`, which vmstat runs once a second: `high` drops by an eighth (at most to `count` less a
   * fully scaled batch, at least to `high_min`) and what is above it is given back.
   */
  decayHigh(): void {
    for (let n = 0; n < this.nodes; n++) {
      const ps = this.sets[n]!;
      if (ps.high > ps.highMin)
        ps.high = Math.max(
          ps.count - (ps.batch << PCP_BATCH_SCALE_MAX),
          ps.high - (ps.high >> 3),
          ps.highMin,
        );
      const over = ps.count - ps.high;
      if (over > 0) this.freeBulk(n, over, 0);
    }
  }

  /** `drain_pages_zone()`: every page on node's lists back to buddy. */
  drainNode(node: number): void {
    const count = this.sets[node]!.count;
    if (count > 0) this.freeBulk(node, count, 0);
  }

  /** `drain_all_pages()`: every per-CPU page back to buddy (what the allocator's slow path does on failure). */
  drainAll(): void {
    for (let n = 0; n < this.nodes; n++) this.drainNode(n);
  }

  /** Blocks on node's list of `order`, hot end first (tests, the invariant check); none for an order with no list. */
  list(node: number, order: number): number[] {
    if (!this.allowed(order)) return [];
    const l = this.sets[node]!.lists[pindexOf(order)]!;
    const out: number[] = [];
    for (let k = 1; k <= l.len; k++) out.push(l.ring[(l.hot - k) & l.mask]!);
    return out;
  }

  /** Slot encoding: the low half of the word of a listed block's first page. */
  headLo(order: number): number {
    return this.pcpLo[pindexOf(order)]!;
  }

  /** Host bytes of the lists. */
  get bytes(): number {
    let b = 0;
    for (const ps of this.sets) for (const l of ps.lists) b += l.ring.byteLength;
    return b;
  }
}
