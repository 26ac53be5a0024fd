// The naive memmap the simulator is measured against: a JavaScript object per page and per descriptor, buddy free
// lists as Sets of PFNs, per-CPU page lists as JavaScript arrays, descriptors as objects of named fields, RCU as an
// array of pending frees. It does the same work as the typed-array memmap (per-CPU lists refilled and drained in
// batches with the same high tuning, split and merge buddies, zero and initialise descriptors, point every page at
// its descriptor, defer descriptor frees to a grace period) so the ratio measures the representation, not the
// algorithm. Descriptors are garbage-collected objects, so it has no slab caches.

const PCP_MAX_ORDER = 3;
const SCALE = 5;

/** The per-CPU lists of one zone, as objects: what PerCpuPages does with typed arrays. */
class NaivePageset {
  constructor({ batch, highMin, highMax, highWmark }) {
    Object.assign(this, { batch, highMin, highMax, highWmark, high: highMin });
    this.count = 0;
    this.freeCount = 0;
    this.allocFactor = 0;
    this.prevHighOrder = false;
    this.belowHigh = false;
    // Each list: an array, hot end last.
    this.lists = Array.from({ length: PCP_MAX_ORDER + 1 }, () => []);
  }
}

export class NaiveMemmap {
  constructor(pages, { nodes = 1, maxOrder = 10, fields, pcpSizes, nrCpus = 64 } = {}) {
    this.maxOrder = maxOrder;
    this.nodes = nodes;
    this.fields = fields; // kind -> field names of its descriptor
    this.pages = new Array(pages);
    this.free = [];
    const block = 2 ** maxOrder;
    this.starts = [];
    for (let n = 0; n < nodes; n++) this.starts.push(Math.floor((n * pages) / nodes / block) * block);
    this.starts.push(pages);
    for (let p = 0; p < pages; p++)
      this.pages[p] = { state: "free", head: false, order: 0, desc: null, node: 0 };
    for (let n = 0; n < nodes; n++) {
      const lists = [];
      for (let o = 0; o <= maxOrder; o++) lists.push(new Set());
      this.free.push(lists);
      let p = this.starts[n];
      while (p < this.starts[n + 1]) {
        let o = maxOrder;
        while (o > 0 && (p % 2 ** o !== 0 || p + 2 ** o > this.starts[n + 1])) o--;
        this.pushFree(n, o, p);
        p += 2 ** o;
      }
      for (let q = this.starts[n]; q < this.starts[n + 1]; q++) this.pages[q].node = n;
    }
    this.pending = [];
    this.pendingHead = 0;
    this.nodeFree = this.starts.slice(0, -1).map((s, n) => this.starts[n + 1] - s);
    this.pcp = this.starts
      .slice(0, -1)
      .map(
        (s, n) =>
          new NaivePageset(pcpSizes(this.starts[n + 1] - s, pages, Math.max(1, Math.floor(nrCpus / nodes)))),
      );
    this.now = 0;
    this.live = 0;
    this.slabs = new Map();
  }

  pushFree(node, order, pfn) {
    const pg = this.pages[pfn];
    pg.state = "free";
    pg.head = true;
    pg.order = order;
    pg.desc = null;
    this.free[node][order].add(pfn);
  }

  allocPages(order, nid) {
    if (order <= PCP_MAX_ORDER) {
      const node = Math.max(nid, 0);
      const ps = this.pcp[node];
      if (!ps.belowHigh && this.nodeFree[node] <= ps.highWmark) ps.belowHigh = true;
      const list = ps.lists[order];
      if (list.length > 0) {
        ps.freeCount >>= 1;
        ps.count -= 2 ** order;
        return list.pop();
      }
    }
    let pfn = this.fromZonelist(order, nid);
    if (pfn < 0 && this.pcp.some((ps) => ps.count > 0)) {
      for (let n = 0; n < this.nodes; n++) this.drain(n, this.pcp[n].count, 0);
      pfn = this.fromZonelist(order, nid);
    }
    return pfn;
  }

  fromZonelist(order, nid) {
    const first = Math.max(nid, 0);
    for (let k = 0; k < this.nodes; k++) {
      const node = (first + k) % this.nodes;
      const ps = this.pcp[node];
      if (!ps.belowHigh && this.nodeFree[node] <= ps.highWmark) ps.belowHigh = true;
      if (order > PCP_MAX_ORDER) {
        const pfn = this.buddyAlloc(order, node);
        if (pfn >= 0) return pfn;
        continue;
      }
      ps.freeCount >>= 1;
      const list = ps.lists[order];
      if (list.length === 0) {
        // rmqueue_bulk: the first block taken is the first handed out (the hot end is the array's end).
        const want = this.nrPcpAlloc(ps, order);
        const got = [];
        for (let i = 0; i < want; i++) {
          const pfn = this.buddyAlloc(order, node);
          if (pfn < 0) break;
          this.pages[pfn].state = "pcp";
          got.push(pfn);
          ps.count += 2 ** order;
        }
        for (let i = got.length - 1; i >= 0; i--) list.push(got[i]);
      }
      if (list.length > 0) {
        ps.count -= 2 ** order;
        return list.pop();
      }
    }
    return -1;
  }

  nrPcpAlloc(ps, order) {
    const base = ps.batch;
    let high = Math.min(Math.max(ps.high, ps.highMin), ps.highMax);
    ps.high = high;
    if (high < base) return 1;
    let batch = order > 0 ? base : base << ps.allocFactor;
    if (ps.highMin !== ps.highMax && !ps.belowHigh) ps.high = high = Math.min(high + batch, ps.highMax);
    if (order === 0) {
      const room = Math.max(high - ps.count - base, base);
      if (batch <= room && ps.allocFactor < SCALE) ps.allocFactor++;
      batch = Math.min(batch, room);
    }
    if (batch === 1 || (order > 0 && batch >> order === 0)) return 1;
    return batch >> order;
  }

  buddyAlloc(order, node) {
    for (let o = order; o <= this.maxOrder; o++) {
      const set = this.free[node][o];
      if (set.size === 0) continue;
      const pfn = set.values().next().value;
      set.delete(pfn);
      for (let s = o - 1; s >= order; s--) this.pushFree(node, s, pfn + 2 ** s);
      this.nodeFree[node] -= 2 ** order;
      return pfn;
    }
    return -1;
  }

  freePages(pfn, order) {
    if (order > PCP_MAX_ORDER) {
      this.buddyFree(pfn, order);
      return;
    }
    const node = this.pages[pfn].node;
    for (let i = 0; i < 2 ** order; i++) {
      const pg = this.pages[pfn + i];
      pg.state = i === 0 ? "pcp" : "free";
      pg.head = i === 0;
      pg.order = order;
      pg.desc = null;
    }
    const ps = this.pcp[node];
    ps.allocFactor >>= 1;
    ps.lists[order].push(pfn);
    ps.count += 2 ** order;
    let freeHigh = false;
    if (order > 0) {
      freeHigh = ps.freeCount >= ps.batch + (ps.highMin >> 1) && ps.prevHighOrder;
      ps.prevHighOrder = true;
    } else ps.prevHighOrder = false;
    if (ps.freeCount < ps.batch << SCALE) ps.freeCount += 2 ** order;
    if (ps.count < ps.high && !freeHigh && !ps.belowHigh) return;
    let high = Math.min(Math.max(ps.high, ps.highMin), ps.highMax);
    ps.high = high;
    if (freeHigh) {
      ps.high = Math.max(high - (ps.batch << SCALE), ps.highMin);
      high = 0;
    } else if (ps.highMin !== ps.highMax) {
      if (ps.belowHigh) {
        ps.high = Math.max(high - Math.max(ps.freeCount, ps.batch), ps.highMin);
        high = Math.max(ps.count, ps.highMin);
      } else if (ps.count >= high && high < ps.freeCount + ps.batch)
        ps.high = Math.min(Math.max(ps.freeCount + ps.batch, ps.highMin), ps.highMax);
    }
    if (ps.count < high) return;
    const n = freeHigh
      ? Math.min(ps.count, ps.batch << SCALE)
      : high < ps.batch
        ? 1
        : Math.min(Math.max(ps.freeCount, ps.batch), Math.max(high - ps.batch, ps.batch));
    this.drain(node, n, order);
    if (ps.belowHigh && this.nodeFree[node] > ps.highWmark) ps.belowHigh = false;
  }

  /** free_pcppages_bulk: oldest first, this order's list first, then round-robin. */
  drain(node, pages, order) {
    const ps = this.pcp[node];
    let left = Math.min(pages, ps.count);
    let o = order - 1;
    while (left > 0) {
      do o = o === PCP_MAX_ORDER ? 0 : o + 1;
      while (ps.lists[o].length === 0);
      const list = ps.lists[o];
      while (left > 0 && list.length > 0) {
        const pfn = list.shift();
        ps.count -= 2 ** o;
        left -= 2 ** o;
        this.buddyFree(pfn, o);
      }
    }
  }

  buddyFree(pfn, order) {
    const node = this.pages[pfn].node;
    this.nodeFree[node] += 2 ** order;
    for (let i = 0; i < 2 ** order; i++) {
      const pg = this.pages[pfn + i];
      pg.state = "free";
      pg.head = false;
      pg.desc = null;
    }
    let p = pfn;
    let o = order;
    while (o < this.maxOrder) {
      const b = p ^ (1 << o);
      if (b < this.starts[node] || b + (1 << o) > this.starts[node + 1]) break;
      const bp = this.pages[b];
      if (!(bp.state === "free" && bp.head && bp.order === o)) break;
      this.free[node][o].delete(b);
      bp.head = false;
      p = Math.min(p, b);
      o++;
    }
    this.pushFree(node, o, p);
  }

  /** memdesc_alloc_node: a descriptor object with every field zeroed and the folio's initialised, then pages. */
  alloc(kind, order, nid, use) {
    const desc = { kind, use, order, pfn: -1, state: "live", fields: {} };
    for (const f of this.fields[kind] ?? []) desc.fields[f] = 0;
    const pfn = this.allocPages(order, nid);
    if (pfn < 0) return null;
    desc.pfn = pfn;
    desc.fields.pfn = pfn;
    desc.fields.order = order;
    desc.fields._mapcount = -1;
    desc.fields._refcount = 1;
    for (let i = 0; i < 2 ** order; i++) {
      const pg = this.pages[pfn + i];
      pg.state = "alloc";
      pg.head = i === 0;
      pg.order = order;
      pg.desc = desc;
    }
    this.live++;
    return desc;
  }

  freeDesc(desc) {
    if (desc.state !== "live") throw new Error("double free");
    this.freePages(desc.pfn, desc.order);
    desc.state = "rcu";
    this.pending.push({ desc, at: this.now + 10 });
    this.live--;
  }

  allocMisc(order, nid) {
    const pfn = this.allocPages(order, nid);
    if (pfn < 0) return -1;
    for (let i = 0; i < 2 ** order; i++) {
      const pg = this.pages[pfn + i];
      pg.state = "misc";
      pg.head = i === 0;
      pg.order = order;
    }
    return pfn;
  }

  /** Workload slab caches: a slab object per slab with its in-use count, pages from the buddy allocator. */
  slabAlloc(name, count, order, objects, nid) {
    let list = this.slabs.get(name);
    if (!list) {
      list = [];
      this.slabs.set(name, list);
    }
    let got = 0;
    for (const s of list) {
      if (got === count) break;
      const take = Math.min(count - got, objects - s.inuse);
      s.inuse += take;
      got += take;
    }
    while (got < count) {
      const pfn = this.allocPages(order, nid);
      if (pfn < 0) break;
      const slab = {
        pfn,
        inuse: Math.min(objects, count - got),
        struct: { slab_cache: name, inuse: 0, objects },
      };
      for (let i = 0; i < 2 ** order; i++) {
        const pg = this.pages[pfn + i];
        pg.state = "slab";
        pg.desc = slab.struct;
      }
      list.push(slab);
      got += slab.inuse;
    }
    return got;
  }

  advance(ms) {
    this.now += ms;
    while (this.pendingHead < this.pending.length && this.pending[this.pendingHead].at <= this.now)
      this.pending[this.pendingHead++].desc.state = "free";
    if (this.pendingHead === this.pending.length) {
      this.pending.length = 0;
      this.pendingHead = 0;
    }
  }

  /** split_folio_to_order: new descriptor objects for every piece, pages repointed, the old one deferred. */
  split(desc, newOrder) {
    const pieces = [];
    for (let i = 0; i < 2 ** (desc.order - newOrder); i++) {
      const d = {
        kind: desc.kind,
        use: desc.use,
        order: newOrder,
        pfn: desc.pfn + i * 2 ** newOrder,
        state: "live",
        fields: { ...desc.fields },
      };
      d.fields.order = newOrder;
      d.fields.pfn = d.pfn;
      for (let k = 0; k < 2 ** newOrder; k++) {
        const pg = this.pages[d.pfn + k];
        pg.desc = d;
        pg.order = newOrder;
        pg.head = k === 0;
      }
      pieces.push(d);
    }
    desc.state = "rcu";
    this.pending.push({ desc, at: this.now + 10 });
    this.live += pieces.length - 1;
    return pieces;
  }
}
