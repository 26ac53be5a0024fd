import { check, createMemmap, createRegistry, MemmapError } from "@memdesc/core";
import { slab } from "@memdesc/slab";
import { describe, expect, it } from "vitest";
import { anonFolio, folio } from "./plugin.js";
import {
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

const codeOf = (f: () => unknown): string => {
  try {
    f();
  } catch (e) {
    expect(e).toBeInstanceOf(MemmapError);
    return (e as MemmapError).code;
  }
  throw new Error("expected a MemmapError");
};

describe("folio behaviour on the memmap", () => {
  it("initialises a new folio as FolioAlloc does: refcount 1, unmapped, order and pfn in its bytes", () => {
    const m = memmap();
    const f = m.memdescAllocNode("folio", { order: 4 });
    expect([folioRefCount(m, f), folioMapcount(m, f), folioOrderOf(m, f)]).toEqual([1, 0, 4]);
    expect(m.readField(f, "pfn")).toBe(BigInt(m.descriptorPfn(f)));
    expect(m.readField(f, "_nr_pages")).toBe(16);
    expect(m.readField(f, "_entire_mapcount.counter")).toBe(-1);
    const a = m.memdescAllocNode("anon");
    expect(m.kindOfDescriptor(a)).toBe("anon");
    expect(folioRefCount(m, a)).toBe(1);
  });

  it("get/put: freed on the last put; a put below zero is a refcount underflow", () => {
    const m = memmap();
    const free = m.freePageCount + m.metaPages;
    const f = m.memdescAllocNode("folio", { order: 2 });
    expect(folioGet(m, f)).toBe(2);
    folioPut(m, f);
    expect(m.isLive(f)).toBe(true);
    folioPut(m, f);
    expect(m.isLive(f)).toBe(false);
    expect(m.freePageCount + m.metaPages).toBe(free);
    expect(codeOf(() => folioPut(m, f))).toBe("USE_AFTER_FREE");
    const g = m.memdescAllocNode("folio");
    m.writeField(g, "_refcount", 0);
    expect(codeOf(() => folioPut(m, g))).toBe("REFCOUNT_UNDERFLOW");
    expect(codeOf(() => folioGet(m, g))).toBe("REFCOUNT_UNDERFLOW");
    check(m);
  });

  it("mapcount: map and unmap; unmapping an unmapped folio underflows", () => {
    const m = memmap();
    const f = m.memdescAllocNode("anon");
    expect(folioMap(m, f)).toBe(1);
    expect(folioMap(m, f)).toBe(2);
    expect(folioUnmap(m, f)).toBe(1);
    expect(folioUnmap(m, f)).toBe(0);
    expect(codeOf(() => folioUnmap(m, f))).toBe("REFCOUNT_UNDERFLOW");
  });

  it("folio_try_get under RCU fails on a folio being freed, which is still a folio", () => {
    const m = memmap();
    const f = m.memdescAllocNode("folio");
    const pfn = m.descriptorPfn(f);
    m.rcu.readLock();
    const seen = m.pageDescriptor(pfn);
    folioPut(m, f);
    expect(m.kindOfDescriptor(seen)).toBe("folio");
    expect(folioTryGet(m, seen)).toBe(false);
    m.rcu.readUnlock();
  });

  it("races a lockless lookup with free-and-reuse: the descriptor is reused before a grace period, revalidation catches it", () => {
    const m = memmap();
    const f = m.memdescAllocNode("folio");
    const pfn = m.descriptorPfn(f);
    expect(folioLookupRcu(m, pfn)).toBe(f);
    folioPut(m, f);
    // The reader: rcu_read_lock(), the page's word …
    m.rcu.readLock();
    const seen = m.rcuDereference(pfn);
    // … meanwhile the folio is freed, its page goes elsewhere, and a new folio reuses the descriptor at once.
    folioPut(m, f);
    expect(m.allocPagesMisc("vmalloc", 0)).toBe(pfn);
    const g = m.memdescAllocNode("folio");
    expect(g).toBe(f);
    expect(m.rcu.completed).toBe(0);
    // folio_try_get() succeeds on the reused folio, which describes other memory.
    expect(folioTryGet(m, seen)).toBe(true);
    expect(m.descriptorPfn(seen)).not.toBe(pfn);
    // Not revalidating, the reader is caught when it leaves the critical section.
    expect(() => m.rcu.readUnlock()).toThrow(expect.objectContaining({ code: "STALE_DESCRIPTOR" }));
    folioPut(m, g);
    // The kernel's pattern revalidates, drops the reference and looks again: the page holds no folio now.
    expect(folioLookupRcu(m, pfn)).toBe(0);
    const h = m.memdescAllocNode("folio");
    expect(folioLookupRcu(m, m.descriptorPfn(h))).toBe(h);
    expect(folioRefCount(m, h)).toBe(2);
    check(m);
  });

  it("splits a large folio into small ones, every page pointing at its own new folio", () => {
    const m = memmap();
    const f = m.memdescAllocNode("folio", { order: 3 });
    folioMap(m, f);
    const pfn = m.descriptorPfn(f);
    const pieces = folioSplit(m, f, 0)!;
    expect(pieces).toHaveLength(8);
    // Large → small: all eight are new small descriptors; the large one is freed.
    expect(pieces).not.toContain(f);
    expect(m.isLive(f)).toBe(false);
    pieces.forEach((p, i) => {
      expect(m.lookup(pfn + i)).toMatchObject({ descriptor: p, headPfn: pfn + i, order: 0 });
      expect([folioRefCount(m, p), folioMapcount(m, p), folioOrderOf(m, p)]).toEqual([1, 1, 0]);
      expect(m.descriptorBytes(p).length).toBe(80);
    });
    expect(m.picture().uses.file).toEqual({ pages: 8, descriptors: 8, orders: { "0": 8 } });
    // Large → large keeps the head's descriptor.
    const g = m.memdescAllocNode("folio", { order: 4 });
    const halves = folioSplit(m, g, 3)!;
    expect(halves[0]).toBe(g);
    expect(folioOrderOf(m, g)).toBe(3);
    check(m);
  });

  it("a split that cannot get its descriptors fails with nothing changed", () => {
    const m = memmap(1024);
    const f = m.memdescAllocNode("folio", { order: 9 });
    // Fill the rest of memory so the small-folio cache cannot grow a slab.
    while (m.allocPagesMisc("unknown", 0) >= 0) {}
    const words = m.words.slice();
    const before = {
      picture: m.picture(),
      live: m.caches.map((c) => c.liveObjects),
      free: m.freePageCount,
    };
    expect(folioSplit(m, f, 0)).toBeNull();
    expect(m.words).toEqual(words);
    expect({
      picture: m.picture(),
      live: m.caches.map((c) => c.liveObjects),
      free: m.freePageCount,
    }).toEqual(before);
    expect(folioRefCount(m, f)).toBe(1);
    check(m);
  });
});
