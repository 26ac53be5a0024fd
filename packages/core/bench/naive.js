// The naive memmap the simulator is measured against: a JavaScript object per page and per descriptor, buddy free
// lists as Sets of PFNs, descriptors as objects of named fields, RCU as an array of pending frees. It does the same
// work as the typed-array memmap (split and merge buddies, zero and initialise descriptors, point every page at its
// descriptor, defer descriptor frees to a grace period) so the ratio measures the representation, not the algorithm.

export class NaiveMemmap {
  constructor(pages, { nodes = 1, maxOrder = 10, fields } = {}) {
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
    const first = Math.max(nid, 0);
    for (let k = 0; k < this.nodes; k++) {
      const node = (first + k) % this.nodes;
      for (let o = order; o <= this.maxOrder; o++) {
        const set = this.free[node][o];
        if (set.size === 0) continue;
        const pfn = set.values().next().value;
        set.delete(pfn);
        for (let s = o - 1; s >= order; s--) this.pushFree(node, s, pfn + 2 ** s);
        return pfn;
      }
    }
    return -1;
  }

  freePages(pfn, order) {
    const node = this.pages[pfn].node;
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
