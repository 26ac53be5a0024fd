import { describe, expect, it } from "vitest";
import { testMemmap } from "../../test/helpers.js";
import { check } from "../memmap/check.js";
import { DIRECT_MAP_BASE } from "../memmap/memmap.js";

const pfnOf = (addr: number) => Math.floor((addr - DIRECT_MAP_BASE) / 4096);

/** The object number and slab number of a descriptor in its cache. */
const objectOf = (m: ReturnType<typeof testMemmap>, desc: number) => m.probe(desc).object;
const slabOf = (m: ReturnType<typeof testMemmap>, desc: number) => {
  m.probe(desc);
  return m.probedSlab;
};

/** The struct slab of the slab holding descriptor `desc`, and its counters and freelist as SLUB keeps them. */
function structSlab(m: ReturnType<typeof testMemmap>, desc: number) {
  const sdesc = m.pageDescriptor(pfnOf(desc));
  const counters = Number(m.readField(sdesc, "counters") as bigint);
  return {
    sdesc,
    inuse: counters & 0xffff,
    objects: (counters >>> 16) & 0x7fff,
    frozen: counters >>> 31,
    freelist: Number(m.readField(sdesc, "freelist") as bigint),
    bytes: m.descriptorBytes(sdesc),
  };
}

describe("SLUB's per-CPU slab (struct kmem_cache_cpu)", () => {
  it("allocates and frees on the CPU slab's lockless freelist without touching struct slab", () => {
    const m = testMemmap({ nodes: 1 });
    const folio = m.cacheFor("folio");
    const first = m.memdescAllocNode("folio");
    // A new slab, frozen as the CPU slab: its struct slab says every object is in use and has no freelist.
    const before = structSlab(m, first);
    expect(before).toMatchObject({ inuse: folio.objects, objects: folio.objects, frozen: 1, freelist: 0 });
    const more = Array.from({ length: 20 }, () => m.memdescAllocNode("folio"));
    for (const d of more) m.free(d);
    // The frees came back onto the CPU freelist (do_slab_free's fast path): struct slab is byte for byte the same.
    expect(structSlab(m, first).bytes).toEqual(before.bytes);
    // c->freelist is LIFO: the last object freed comes out first.
    expect(m.memdescAllocNode("folio")).toBe(more.at(-1));
    check(m);
  });

  it("unfreezes a full CPU slab; a free into it writes struct slab and puts it on the partial list (__slab_free)", () => {
    const m = testMemmap({ nodes: 1 });
    const folio = m.cacheFor("folio");
    const fs = Array.from({ length: folio.objects + 1 }, () => m.memdescAllocNode("folio"));
    const full = fs[0]!;
    // The first slab ran out and was unfrozen onto no list; the last folio is in a new CPU slab.
    expect(structSlab(m, full)).toMatchObject({ inuse: folio.objects, frozen: 0, freelist: 0 });
    expect(structSlab(m, fs.at(-1)!)).toMatchObject({ frozen: 1 });
    expect(folio.partialTop).toBe(0);
    m.free(fs[3]!);
    m.free(fs[4]!);
    // Each free went onto the slab's own freelist at once (SLAB_TYPESAFE_BY_RCU does not delay objects).
    expect(structSlab(m, full)).toMatchObject({ inuse: folio.objects - 2, frozen: 0, freelist: fs[4] });
    const p4 = m.probe(fs[4]!);
    expect(folio.freepointer(m.probedSlab, p4.object)).toBe(m.probe(fs[3]!).object);
    expect(folio.partialTop).toBe(1);
    check(m);
  });

  it("with kfree_rcu, hands a grace period's frees to a slab as one detached freelist (build_detached_freelist)", () => {
    const m = testMemmap({ nodes: 1, descriptorFree: "kfree-rcu" });
    const folio = m.cacheFor("folio");
    const fs = Array.from({ length: folio.objects + 1 }, () => m.memdescAllocNode("folio"));
    const full = fs[0]!;
    m.free(fs[3]!);
    m.free(fs[4]!);
    // Waiting for RCU, the objects still count as in use.
    expect(structSlab(m, full)).toMatchObject({ inuse: folio.objects });
    m.rcu.synchronize();
    // build_detached_freelist() starts at the last object freed and links the earlier ones in front of it, so the
    // slab's list is in the order they were freed (mm/slub.c).
    expect(structSlab(m, full)).toMatchObject({ inuse: folio.objects - 2, frozen: 0, freelist: fs[3] });
    expect(folio.freepointer(slabOf(m, fs[3]!), objectOf(m, fs[3]!))).toBe(objectOf(m, fs[4]!));
    expect(folio.freepointer(slabOf(m, fs[4]!), objectOf(m, fs[4]!))).toBe(-1);
    expect(folio.partialTop).toBe(1);
    check(m);
  });

  it("with kfree_rcu, looks back three objects of other slabs for more of a slab's, as kmem_cache_free_bulk() does", () => {
    const m = testMemmap({ nodes: 1, descriptorFree: "kfree-rcu" });
    const folio = m.cacheFor("folio");
    const n = folio.objects;
    // Slabs A, B and C full (unfrozen, on no list), D the CPU slab; and a page table's descriptor, another cache.
    const fs = Array.from({ length: 3 * n + 1 }, () => m.memdescAllocNode("folio"));
    const ptdesc = m.memdescAllocNode("ptdesc");
    const [a1, a2, a3, a4] = [fs[1]!, fs[5]!, fs[9]!, fs[2]!];
    const [b1, b2] = [fs[n + 1]!, fs[n + 2]!];
    const c1 = fs[2 * n + 7]!;
    const d1 = fs[3 * n]!;
    const order = [a1, b1, ptdesc, c1, b2, a2, d1, a3, a4];
    for (const d of order) m.free(d);
    const A = slabOf(m, a1);
    const B = slabOf(m, b1);
    const C = slabOf(m, c1);
    const D = slabOf(m, d1);
    m.rcu.synchronize();
    // From the end: a4 takes a3 (one slab), d1 is another (lookahead 2), a2 joins, b2 and c1 end the look (1, 0):
    // A gets a2 → a3 → a4. Then d1 goes onto the CPU freelist (do_slab_free()'s fast path), b2 takes b1 past c1
    // and the ptdesc, then the ptdesc, c1, and a1 (in front of a2) each alone.
    const list = (j: number, first: number) => {
      const out: number[] = [];
      for (let o = first; o >= 0; o = folio.freepointer(j, o)) out.push(o);
      return out;
    };
    expect(structSlab(m, a1)).toMatchObject({ inuse: n - 4, frozen: 0, freelist: a1 });
    expect(list(A, objectOf(m, a1))).toEqual([a1, a2, a3, a4].map((d) => objectOf(m, d)));
    expect(structSlab(m, b1)).toMatchObject({ inuse: n - 2, frozen: 0, freelist: b1 });
    expect(list(B, objectOf(m, b1))).toEqual([b1, b2].map((d) => objectOf(m, d)));
    expect(structSlab(m, c1)).toMatchObject({ inuse: n - 1, frozen: 0, freelist: c1 });
    expect(list(C, objectOf(m, c1))).toEqual([objectOf(m, c1)]);
    expect(new Set(folio.partial.subarray(0, folio.partialTop))).toEqual(new Set([A, B, C]));
    expect(folio.cpuSlab).toBe(D);
    expect(folio.cpuFreelist).toBe(objectOf(m, d1));
    expect(folio.rcuObjects).toBe(0);
    expect(folio.liveObjects).toBe(3 * n + 1 - 8);
    expect(m.isLive(ptdesc)).toBe(false);
    check(m);
    // The CPU slab hands d1 out first.
    expect(m.memdescAllocNode("folio")).toBe(d1);
  });

  it("writes the counters back when the CPU slab is deactivated (deactivate_slab)", () => {
    const m = testMemmap({ nodes: 1 });
    const folio = m.cacheFor("folio");
    const fs = Array.from({ length: 10 }, () => m.memdescAllocNode("folio"));
    for (const d of fs.slice(0, 4)) m.free(d);
    expect(structSlab(m, fs[0]!)).toMatchObject({ inuse: folio.objects, frozen: 1, freelist: 0 });
    m.kmemCacheShrink(folio);
    // Six in use; the CPU freelist (the four freed ones, then the untouched rest) spliced onto the slab's own.
    const s = structSlab(m, fs[0]!);
    expect(s).toMatchObject({ inuse: 6, frozen: 0, freelist: fs[3] });
    expect(folio.cpuSlab).toBe(-1);
    expect(folio.partialTop).toBe(1);
    check(m);
    // The next allocation takes the slab off the partial list and freezes it again, freelist and all.
    expect(m.memdescAllocNode("folio")).toBe(fs[3]);
    expect(structSlab(m, fs[0]!)).toMatchObject({ inuse: folio.objects, frozen: 1, freelist: 0 });
    expect(folio.partialTop).toBe(0);
    check(m);
  });

  it("keeps up to min_partial empty slabs on the partial list and discards the rest after a grace period", () => {
    const m = testMemmap({ nodes: 1 });
    const folio = m.cacheFor("folio");
    const fs = Array.from({ length: folio.objects * 9 }, () => m.memdescAllocNode("folio"));
    expect(folio.slabs).toBe(9);
    for (const d of fs) m.free(d);
    // Eight unfrozen slabs emptied one object at a time, each joining the partial list with its first free: the
    // first four stay; from the fifth the list holds min_partial (5) counting the emptied slab, so it is
    // discarded, and waits a grace period to go (__slab_free's slab_empty). The CPU slab stays.
    expect(folio.minPartial).toBe(5);
    expect(folio.partialTop).toBe(4);
    expect(folio.slabs).toBe(9);
    check(m);
    m.rcu.synchronize();
    expect(folio.slabs).toBe(5);
    // Their struct slabs went straight back to their cache (SLAB_TYPESAFE_BY_RCU frees do not wait).
    expect(m.cacheFor("slab").rcuObjects).toBe(0);
    // The discarded slabs' pages are no descriptor cache's now: an address in them is no descriptor.
    const gone = fs.filter((d) => {
      try {
        m.probe(d);
        return false;
      } catch {
        return true;
      }
    });
    expect(gone.length).toBe(4 * folio.objects);
    expect(() => m.kindOfDescriptor(gone[0]!)).toThrow(/is not inside a slab page of a descriptor cache/);
    check(m);
  });

  it("still refuses a double free, a free of a freed object on a freelist, and reads of it", () => {
    const m = testMemmap({ nodes: 1 });
    const f = m.memdescAllocNode("folio");
    m.free(f);
    // On the CPU freelist at once: its free pointer is in its bytes, and it is no descriptor.
    expect(() => m.free(f)).toThrow(/double free/);
    m.rcu.synchronize();
    expect(() => m.free(f)).toThrow(/double free/);
    expect(() => m.readField(f, "_refcount")).toThrow(/freed/);
    expect(m.isLive(f)).toBe(false);
    check(m);
  });

  it("check() notices struct slab counters or a free pointer out of step with the CPU slab", () => {
    const m = testMemmap({ nodes: 1 });
    const fs = Array.from({ length: 5 }, () => m.memdescAllocNode("folio"));
    check(m);
    const { sdesc } = structSlab(m, fs[0]!);
    const counters = m.readField(sdesc, "counters") as bigint;
    // A free that wrote the counters of a frozen slab (it must not).
    m.writeField(sdesc, "counters", counters - 1n);
    expect(() => check(m)).toThrow(/counters/);
    m.writeField(sdesc, "counters", counters);
    check(m);
    // A free pointer on the CPU freelist turned to a live object.
    const folio = m.cacheFor("folio");
    const head = folio.cpuFreelist;
    folio.setFreepointer(folio.cpuSlab, head, m.probe(fs[1]!).object);
    expect(() => check(m)).toThrow(/not free/);
  });

  it("deactivates a full CPU slab onto no list, and a partly used one onto the partial list however long it is", () => {
    const m = testMemmap({ nodes: 1 });
    const folio = m.cacheFor("folio");
    const n = folio.objects;
    // Eight slabs, the last the CPU slab, every object handed out: c->freelist is empty, and deactivate_slab()
    // has nothing to splice back (nor writes anything into any object).
    const first = Array.from({ length: 8 * n }, () => m.memdescAllocNode("folio"));
    const bytes = first.map((d) => m.descriptorBytes(d));
    m.kmemCacheShrink(folio);
    expect(structSlab(m, first.at(-1)!)).toMatchObject({ inuse: n, frozen: 0, freelist: 0 });
    expect(first.map((d) => m.descriptorBytes(d))).toEqual(bytes);
    expect([folio.cpuSlab, folio.partialTop, folio.slabs]).toEqual([-1, 0, 8]);
    // Again, with no CPU slab: nothing to do.
    m.kmemCacheShrink(folio);
    expect([folio.cpuSlab, folio.partialTop, folio.slabs]).toEqual([-1, 0, 8]);
    check(m);
    // Five more full slabs, one object of each freed: five partial slabs (min_partial); a sixth, the CPU slab,
    // with three objects in use.
    const more = Array.from({ length: 5 * n + 3 }, () => m.memdescAllocNode("folio"));
    for (let k = 0; k < 5; k++) m.free(more[k * n]!);
    expect(folio.partialTop).toBe(folio.minPartial);
    const cpu = slabOf(m, more.at(-1)!);
    expect(folio.cpuSlab).toBe(cpu);
    m.kmemCacheShrink(folio);
    // Not empty, so not discarded: it joins the partial list (deactivate_slab()'s M_PARTIAL).
    expect(structSlab(m, more.at(-1)!)).toMatchObject({ inuse: 3, frozen: 0 });
    expect(folio.partialTop).toBe(6);
    expect(folio.partial[5]).toBe(cpu);
    expect(folio.slabs).toBe(14);
    check(m);
  });

  it("deactivating a full CPU slab writes no free pointer: another slab's freelist stays whole", () => {
    // deactivate_slab() sets the tail's free pointer only when c->freelist had objects (`if (freelist_tail)`).
    const m = testMemmap({ nodes: 1 });
    const folio = m.cacheFor("folio");
    const n = folio.objects;
    // Six slabs, every object handed out (the sixth, the CPU slab, full); then the first slab's first two objects
    // back, the first on top: that slab's freelist is the first object, then the second.
    const fs = Array.from({ length: 6 * n }, () => m.memdescAllocNode("folio"));
    m.free(fs[1]!);
    m.free(fs[0]!);
    expect(folio.cpuFreelist).toBe(-1);
    m.kmemCacheShrink(folio);
    check(m);
    // The next allocations freeze the first slab, off the partial list, and walk its freelist.
    expect(m.memdescAllocNode("folio")).toBe(fs[0]);
    expect(m.memdescAllocNode("folio")).toBe(fs[1]);
    check(m);
  });

  it("shrinkAll() shrinks the struct-slab cache once, last: its CPU slab joins the partial list after the slabs the others' discards freed into", () => {
    const m = testMemmap({ nodes: 1 });
    const folio = m.cacheFor("folio");
    const S = m.slabCache;
    const n = folio.objects;
    // 65 full folio slabs: the struct slabs of the first 63 fill the struct-slab cache's first slab (its own
    // struct slab is its object 0), which is then full and on no list; the last two are in its second, the CPU slab.
    const fs = Array.from({ length: 65 * n }, () => m.memdescAllocNode("folio"));
    const firstS = pfnOf(structSlab(m, fs[0]!).sdesc);
    const cpuS = pfnOf(structSlab(m, fs[64 * n]!).sdesc);
    expect(firstS).not.toBe(cpuS);
    expect(S.partialTop).toBe(0);
    // Three folio slabs emptied: fewer than min_partial, so they stay, empty, on the partial list.
    for (const d of fs.slice(0, 3 * n)) m.free(d);
    expect(folio.partialTop).toBe(3);
    m.shrinkAll();
    // Their discards freed three struct slabs into the first slab (onto the partial list), after which the
    // struct-slab cache's shrink deactivated its CPU slab onto the list too: the next struct slab comes from the
    // slab added last (the partial list hands out its most recent slab first).
    expect(S.partialTop).toBe(2);
    const next = m.memdescAllocNode("folio");
    expect(pfnOf(structSlab(m, next).sdesc)).toBe(cpuS);
    check(m);
  });

  it("takes an emptied slab off the partial list wherever it is before discarding it", () => {
    const m = testMemmap({ nodes: 1 });
    const folio = m.cacheFor("folio");
    const n = folio.objects;
    const fs = Array.from({ length: 6 * n + 1 }, () => m.memdescAllocNode("folio"));
    // Six partial slabs, the first of them first on the list.
    for (let k = 0; k < 6; k++) m.free(fs[k * n]!);
    const s0 = slabOf(m, fs[1]!);
    expect(folio.partial[0]).toBe(s0);
    // Emptying it with six on the list (min_partial 5): __slab_free()'s slab_empty: off the list, discarded.
    for (let i = 1; i < n; i++) m.free(fs[i]!);
    expect(folio.partialTop).toBe(5);
    expect([...folio.partial.subarray(0, 5)]).not.toContain(s0);
    check(m);
    m.rcu.synchronize();
    expect(folio.slabs).toBe(6);
    check(m);
  });

  /**
   * A kfree_rcu memmap with four partial folio slabs, a full one (A) and the CPU slab (D) holding `d` objects:
   * an emptied slab is discarded when the partial list already holds min_partial (5) slabs, counting itself.
   */
  function fivePartial(d: number) {
    const m = testMemmap({ nodes: 1, descriptorFree: "kfree-rcu" });
    const folio = m.cacheFor("folio");
    const n = folio.objects;
    const fs = Array.from({ length: 5 * n + d }, () => m.memdescAllocNode("folio"));
    for (let k = 0; k < 4; k++) m.free(fs[k * n]!);
    m.rcu.synchronize();
    expect(folio.partialTop).toBe(4);
    return { m, folio, a: fs.slice(4 * n, 5 * n), d: fs.slice(5 * n) };
  }

  it("with kfree_rcu, a full slab freed whole in one detached freelist stays (the list is short of min_partial)", () => {
    const { m, folio, a, d } = fivePartial(3);
    const A = slabOf(m, a[0]!);
    // a0, then the first object of the next slab (D's) and another of D's, then the rest of A: looking back from
    // the end, two objects of another slab leave lookahead at 1, so a0 joins A's list, and d[0] (the object right
    // after A's last) does not: A is emptied by one do_slab_free(), with four slabs on the partial list, and joins
    // it as the fifth.
    for (const x of [a[0]!, d[0]!, d[1]!, ...a.slice(1)]) m.free(x);
    m.rcu.synchronize();
    expect(structSlab(m, a[0]!)).toMatchObject({ inuse: 0, frozen: 0, freelist: a[0] });
    expect(folio.partialTop).toBe(5);
    expect(folio.partial[4]).toBe(A);
    // a0's swap put d1 where a0 was, before d0: D's list is d1 → d0, pushed onto c->freelist.
    expect(folio.cpuFreelist).toBe(objectOf(m, d[1]!));
    expect(folio.freepointer(folio.cpuSlab, objectOf(m, d[1]!))).toBe(objectOf(m, d[0]!));
    m.rcu.synchronize();
    expect(folio.slabs).toBe(6);
    check(m);
  });

  it("with kfree_rcu, three objects of other slabs end the look back: the slab is emptied in two frees and discarded", () => {
    const { m, folio, a, d } = fivePartial(4);
    // Three of D's objects between a0 and the rest of A: lookahead runs out before a0. The rest of A empties all
    // but a0 and joins the partial list as the fifth; a0, freed later, empties it with five there: discarded.
    for (const x of [a[0]!, d[1]!, d[2]!, d[3]!, ...a.slice(1)]) m.free(x);
    m.rcu.synchronize();
    expect(folio.partialTop).toBe(4);
    expect(folio.slabs).toBe(6);
    m.rcu.synchronize();
    expect(folio.slabs).toBe(5);
    check(m);
  });

  it("with kfree_rcu, an emptied slab's struct slab waits a grace period too (kfree_rcu() of it)", () => {
    const m = testMemmap({ nodes: 1, descriptorFree: "kfree-rcu" });
    const folio = m.cacheFor("folio");
    const structSlabs = m.cacheFor("slab");
    const fs = Array.from({ length: folio.objects * 7 }, () => m.memdescAllocNode("folio"));
    for (const f of fs) m.free(f);
    m.rcu.synchronize();
    const live = structSlabs.liveObjects;
    // The emptied slabs beyond min_partial were discarded: their pages wait a grace period, then their struct
    // slabs are freed, and those wait one more in the RCU ring.
    m.rcu.synchronize();
    const freed = folio.slabs;
    expect(structSlabs.rcuObjects).toBeGreaterThan(0);
    expect(structSlabs.liveObjects).toBe(live - structSlabs.rcuObjects);
    m.rcu.synchronize();
    expect(structSlabs.rcuObjects).toBe(0);
    expect(folio.slabs).toBe(freed);
    check(m);
  });

  it("fails cleanly when the struct-slab cache needs a slab and memory is out (new_slab() of both)", () => {
    const m = testMemmap({ pages: 8192, nodes: 1 });
    const folio = m.cacheFor("folio");
    const structSlabs = m.cacheFor("slab");
    // Folios until a new folio slab takes the struct-slab cache's last free object, then that slab filled too.
    const held: number[] = [];
    do held.push(m.memdescAllocNode("folio"));
    while (structSlabs.cpuFreelist >= 0);
    while (folio.cpuFreelist >= 0) held.push(m.memdescAllocNode("folio"));
    expect(held.every((d) => d > 0)).toBe(true);
    // Then every page.
    while (m.allocPagesMisc("unknown", 0) >= 0);
    expect(m.freePageCount).toBe(0);
    const failures = m.allocFailures;
    const [live, slabs, structLive, structSlabCount] = [
      folio.liveObjects,
      folio.slabs,
      structSlabs.liveObjects,
      structSlabs.slabs,
    ];
    // The folio cache needs a slab, whose struct slab needs a slab of the struct-slab cache, whose page cannot be
    // had: nothing is allocated, nothing is left half-allocated.
    expect(m.memdescAllocNode("folio")).toBe(0);
    expect(m.allocFailures).toBe(failures + 1);
    expect([folio.liveObjects, folio.slabs, structSlabs.liveObjects, structSlabs.slabs]).toEqual([
      live,
      slabs,
      structLive,
      structSlabCount,
    ]);
    check(m);
  });

  it("refuses a cache's 2^24th slab (the descriptor locator keeps 24 bits of slab number)", () => {
    const m = testMemmap({ nodes: 1 });
    const folio = m.cacheFor("folio");
    while (folio.cpuFreelist >= 0) m.memdescAllocNode("folio");
    // The slab number the next slab would get, as if 2^24 slabs were held (which would take 64 GiB here).
    folio.takeSlabId = () => 2 ** 24;
    expect(() => m.memdescAllocNode("folio")).toThrow(
      expect.objectContaining({ code: "SLAB_LIMIT", message: `cache ${folio.name} has 2^24 slabs` }),
    );
  });
});
