import { describe, expect, it } from "vitest";
import { testMemmap } from "../../test/memmap-helpers.js";
import { check } from "./check.js";
import { MemmapError } from "./errors.js";
import { RCU_SLAB, Rcu } from "./rcu.js";

describe("SLAB_TYPESAFE_BY_RCU and grace periods", () => {
  it("an RCU reader's lookup of a freed descriptor still sees an object of the same kind", () => {
    const m = testMemmap();
    const f = m.memdescAllocNode("folio", { init: { _refcount: 1 } });
    const pfn = m.descriptorPfn(f);
    m.rcu.readLock();
    // The reader loads the word, then the folio is freed under it.
    const seen = m.pageDescriptor(pfn);
    m.writeField(f, "_refcount", 0);
    m.free(f);
    // Still a folio, with refcount 0: folio_try_get() fails and the walker retries.
    expect(m.kindOfDescriptor(seen)).toBe("folio");
    expect(m.readField(seen, "_refcount")).toBe(0);
    // A grace period cannot end while the reader is inside.
    expect(() => m.rcu.synchronize()).toThrow(MemmapError);
    m.rcu.advance(100);
    expect(m.kindOfDescriptor(seen)).toBe("folio");
    m.rcu.readUnlock();
    expect(() => m.kindOfDescriptor(seen)).toThrow(/freed/);
    expect(() => m.rcu.readUnlock()).toThrow(/without a matching/);
  });

  it("a freed descriptor is reused only after a grace period, and only by its own kind's cache", () => {
    const m = testMemmap();
    const a = m.memdescAllocNode("folio");
    m.free(a);
    const b = m.memdescAllocNode("folio");
    expect(b).not.toBe(a);
    const p = m.memdescAllocNode("ptdesc");
    expect(p).not.toBe(a);
    m.rcu.synchronize();
    const c = m.memdescAllocNode("folio");
    expect(c).toBe(a);
    check(m);
  });

  it("time advancing ends grace periods too, and emptied slabs wait one more before their pages go", () => {
    const m = testMemmap({ gracePeriod: 5 });
    const folio = m.cacheFor("folio");
    const fs = Array.from({ length: 60 }, () => m.memdescAllocNode("folio"));
    const slabs = folio.slabs;
    expect(slabs).toBe(Math.ceil(60 / folio.objects));
    for (const f of fs) m.free(f);
    m.rcu.advance(4);
    expect(folio.rcuObjects).toBe(60);
    m.rcu.advance(1);
    expect(folio.rcuObjects).toBe(0);
    // Empty now, but SLUB keeps the CPU slab, and empty slabs while the partial list is short of min_partial.
    expect(folio.slabs).toBe(slabs);
    check(m);
    // kmem_cache_shrink() discards them; their pages wait one more grace period.
    m.kmemCacheShrink(folio);
    expect(folio.slabs).toBe(slabs);
    check(m);
    m.rcu.advance(5);
    expect(folio.slabs).toBe(0);
    check(m);
  });
});

describe("the RCU rings", () => {
  /** An Rcu whose sink records what it runs, with the time it ran. */
  const recording = (gracePeriod = 10) => {
    const ran: { what: string; n: number; at: number }[] = [];
    const rcu: Rcu = new Rcu(gracePeriod, {
      rcuFreeBulk(cache, object, start, count, mask) {
        for (let k = 0; k < count; k++) {
          const s = (start + k) & mask;
          ran.push({ what: `object ${cache[s]}`, n: object[s]!, at: rcu.now });
        }
      },
      rcuRun(type, a, b) {
        ran.push({ what: type === RCU_SLAB ? `slab ${a}` : "?", n: b, at: rcu.now });
      },
      rcuTick() {},
    });
    return { rcu, ran };
  };

  it("wrap around, and grow while wrapped, keeping FIFO order and each entry's grace period", () => {
    const { rcu, ran } = recording();
    const due = new Map<number, number>();
    const cacheOf = new Map<number, number>();
    let wrapped: { objects: number; entries: number } | undefined;
    let n = 0;
    // Waves of frees, a grace period apart in part: the head moves on, the tail wraps past the end.
    for (let wave = 0; wave < 12; wave++) {
      const count = wave < 6 ? 40 : 150;
      for (let k = 0; k < count; k++) {
        rcu.deferObject(wave % 3, n);
        rcu.defer(RCU_SLAB, 7, n);
        cacheOf.set(n, wave % 3);
        due.set(n++, rcu.now + 10);
      }
      rcu.advance(wave % 2 === 0 ? 4 : 6);
      if (wave === 5) {
        // More entries have gone through than the rings have slots: their slots were reused (wrapped).
        wrapped = rcu.capacity;
        expect(n).toBeGreaterThan(wrapped.objects);
        expect(n).toBeGreaterThan(wrapped.entries);
      }
    }
    // The later, larger waves made them grow, with entries on both sides of the wrap.
    expect(rcu.capacity.objects).toBeGreaterThan(wrapped!.objects);
    expect(rcu.capacity.entries).toBeGreaterThan(wrapped!.entries);
    rcu.drain();
    expect(rcu.pending).toBe(0);
    const objects = ran.filter((r) => r.what.startsWith("object"));
    const slabs = ran.filter((r) => r.what.startsWith("slab"));
    expect(objects.map((r) => r.n)).toEqual([...Array(n).keys()]);
    expect(slabs.map((r) => r.n)).toEqual([...Array(n).keys()]);
    for (const r of ran) {
      // Never before its grace period ended, and at the first advance after that.
      expect(r.at).toBeGreaterThanOrEqual(due.get(r.n)!);
      expect(r.at - due.get(r.n)!).toBeLessThan(10);
    }
    for (const r of objects) expect(r.what).toBe(`object ${cacheOf.get(r.n)}`);
  });

  it("hand over each grace period's object frees in bulk, and refuse object frees queued during one", () => {
    const bulks: number[] = [];
    let misbehave = false;
    const rcu: Rcu = new Rcu(10, {
      rcuFreeBulk(_c, _o, _s, count) {
        bulks.push(count);
        // Its slots may be reused by what it queues, so it must not.
        if (misbehave) rcu.deferObject(0, 0);
      },
      rcuRun() {},
      rcuTick() {},
    });
    for (let k = 0; k < 100; k++) rcu.deferObject(0, k);
    rcu.advance(5);
    for (let k = 0; k < 30; k++) rcu.deferObject(0, k);
    rcu.advance(20);
    expect(bulks).toEqual([100, 30]);
    rcu.deferObject(0, 1);
    misbehave = true;
    expect(() => rcu.synchronize()).toThrow(/queued object frees/);
  });
});
