import { createRegistry, SimulationError } from "@memdesc/core";
import { check, createMemmap } from "@memdesc/memmap";
import { slab } from "@memdesc/slab";
import { describe, expect, it } from "vitest";
import { anonFolio, folio } from "./plugin.js";
import {
  type FolioOffsets,
  folioGet,
  folioLookupRcu,
  folioMap,
  folioMapcount,
  folioOrderOf,
  folioPut,
  folioRefCount,
  folioSplit,
  folioTryGet,
  folioUnmap,
} from "./simulation.js";

const memmap = (pages = 8192) =>
  createMemmap(createRegistry({ plugins: [folio(), anonFolio(), slab()] }), { pages, nodes: 1 });
/** The folio kinds' contexts on a memmap: what their hooks are handed, and what their functions take. */
const folios = (m: ReturnType<typeof memmap>) => ({
  c: m.context<FolioOffsets>("folio"),
  a: m.context<FolioOffsets>("anon"),
});

const codeOf = (f: () => unknown): string => {
  try {
    f();
  } catch (e) {
    expect(e).toBeInstanceOf(SimulationError);
    return (e as SimulationError).code;
  }
  throw new Error("expected a SimulationError");
};

describe("folio behaviour on the memmap", () => {
  it("initialises a new folio as FolioAlloc does: refcount 1, unmapped, order and pfn in its bytes", () => {
    const m = memmap();
    const { c, a: anon } = folios(m);
    const f = m.memdescAllocNode("folio", { order: 4 });
    expect([folioRefCount(c, f), folioMapcount(c, f), folioOrderOf(c, f)]).toEqual([1, 0, 4]);
    expect(m.readField(f, "pfn")).toBe(BigInt(m.descriptorPfn(f)));
    expect(m.readField(f, "_nr_pages")).toBe(16);
    expect(m.readField(f, "_entire_mapcount.counter")).toBe(-1);
    const a = m.memdescAllocNode("anon");
    expect(m.kindOfDescriptor(a)).toBe("anon");
    expect(folioRefCount(anon, a)).toBe(1);
  });

  it("get/put: freed on the last put; a put below zero is a refcount underflow", () => {
    const m = memmap();
    const { c } = folios(m);
    const free = m.freePageCount + m.metaPages;
    const f = m.memdescAllocNode("folio", { order: 2 });
    expect(folioGet(c, f)).toBe(2);
    folioPut(c, f);
    expect(m.isLive(f)).toBe(true);
    folioPut(c, f);
    expect(m.isLive(f)).toBe(false);
    expect(m.freePageCount + m.metaPages).toBe(free);
    expect(codeOf(() => folioPut(c, f))).toBe("USE_AFTER_FREE");
    const g = m.memdescAllocNode("folio");
    m.writeField(g, "_refcount", 0);
    expect(codeOf(() => folioPut(c, g))).toBe("REFCOUNT_UNDERFLOW");
    expect(codeOf(() => folioGet(c, g))).toBe("REFCOUNT_UNDERFLOW");
    check(m);
  });

  it("mapcount: map and unmap; unmapping an unmapped folio underflows", () => {
    const m = memmap();
    const { a: anon } = folios(m);
    const f = m.memdescAllocNode("anon");
    expect(folioMap(anon, f)).toBe(1);
    expect(folioMap(anon, f)).toBe(2);
    expect(folioUnmap(anon, f)).toBe(1);
    expect(folioUnmap(anon, f)).toBe(0);
    expect(codeOf(() => folioUnmap(anon, f))).toBe("REFCOUNT_UNDERFLOW");
  });

  it("folio_try_get under RCU fails on a folio being freed, which is still a folio", () => {
    const m = memmap();
    const { c } = folios(m);
    const f = m.memdescAllocNode("folio");
    const pfn = m.descriptorPfn(f);
    m.rcu.readLock();
    const seen = m.pageDescriptor(pfn);
    folioPut(c, f);
    expect(m.kindOfDescriptor(seen)).toBe("folio");
    expect(folioTryGet(c, seen)).toBe(false);
    m.rcu.readUnlock();
  });

  it("races a lockless lookup with free-and-reuse: the descriptor is reused before a grace period, revalidation catches it", () => {
    const m = memmap();
    const { c } = folios(m);
    const f = m.memdescAllocNode("folio");
    const pfn = m.descriptorPfn(f);
    expect(folioLookupRcu(c, pfn)).toBe(f);
    folioPut(c, f);
    // The reader: rcu_read_lock(), the page's word …
    m.rcu.readLock();
    const seen = m.rcuDereference(pfn);
    // … meanwhile the folio is freed, its page goes elsewhere, and a new folio reuses the descriptor at once.
    folioPut(c, f);
    expect(m.allocPagesMisc("vmalloc", 0)).toBe(pfn);
    const g = m.memdescAllocNode("folio");
    expect(g).toBe(f);
    expect(m.rcu.completed).toBe(0);
    // folio_try_get() succeeds on the reused folio, which describes other memory.
    expect(folioTryGet(c, seen)).toBe(true);
    expect(m.descriptorPfn(seen)).not.toBe(pfn);
    // Not revalidating, the reader is caught when it leaves the critical section.
    expect(() => m.rcu.readUnlock()).toThrow(expect.objectContaining({ code: "STALE_DESCRIPTOR" }));
    folioPut(c, g);
    // The kernel's pattern revalidates, drops the reference and looks again: the page holds no folio now.
    expect(folioLookupRcu(c, pfn)).toBe(0);
    const h = m.memdescAllocNode("folio");
    expect(folioLookupRcu(c, m.descriptorPfn(h))).toBe(h);
    expect(folioRefCount(c, h)).toBe(2);
    check(m);
  });

  it("splits a large folio into small ones, every page pointing at its own new folio", () => {
    const m = memmap();
    const { c } = folios(m);
    const f = m.memdescAllocNode("folio", { order: 3 });
    folioMap(c, f);
    const pfn = m.descriptorPfn(f);
    const pieces = folioSplit(c, f, 0)!;
    expect(pieces).toHaveLength(8);
    // Large → small: all eight are new small descriptors; the large one is freed.
    expect(pieces).not.toContain(f);
    expect(m.isLive(f)).toBe(false);
    pieces.forEach((p, i) => {
      expect(m.lookup(pfn + i)).toMatchObject({ descriptor: p, headPfn: pfn + i, order: 0 });
      expect([folioRefCount(c, p), folioMapcount(c, p), folioOrderOf(c, p)]).toEqual([1, 1, 0]);
      expect(m.descriptorBytes(p).length).toBe(80);
    });
    expect(m.picture().uses.file).toEqual({ pages: 8, descriptors: 8, orders: { "0": 8 } });
    // Large → large keeps the head's descriptor.
    const g = m.memdescAllocNode("folio", { order: 4 });
    const halves = folioSplit(c, g, 3)!;
    expect(halves[0]).toBe(g);
    expect(folioOrderOf(c, g)).toBe(3);
    check(m);
  });

  it("a split that cannot get its descriptors fails with nothing changed", () => {
    const m = memmap(1024);
    const { c } = folios(m);
    const f = m.memdescAllocNode("folio", { order: 9 });
    // Fill the rest of memory so the small-folio cache cannot grow a slab.
    while (m.allocPagesMisc("unknown", 0) >= 0) {}
    const words = m.words.slice();
    const before = {
      picture: m.picture(),
      live: m.caches.map((c) => c.liveObjects),
      free: m.freePageCount,
    };
    expect(folioSplit(c, f, 0)).toBeNull();
    expect(m.words).toEqual(words);
    expect({
      picture: m.picture(),
      live: m.caches.map((c) => c.liveObjects),
      free: m.freePageCount,
    }).toEqual(before);
    expect(folioRefCount(c, f)).toBe(1);
    check(m);
  });
});
