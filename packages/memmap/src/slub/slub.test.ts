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
});
