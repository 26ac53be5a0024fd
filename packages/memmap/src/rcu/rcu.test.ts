import { describe, expect, it } from "vitest";
import { testMemmap } from "../../test/helpers.js";
import { check } from "../memmap/check.js";
import { RCU_SLAB, Rcu } from "./rcu.js";

describe("SLAB_TYPESAFE_BY_RCU (the default): objects reused at once, slabs after a grace period", () => {
  it("kmem_cache_free() makes a freed descriptor reusable at once, by its own kind's cache only", () => {
    const m = testMemmap();
    const a = m.memdescAllocNode("folio");
    m.free(a);
    // No grace period has passed (include/linux/slab.h: it "does _NOT_ delay object freeing").
    expect(m.rcu.completed).toBe(0);
    expect(m.memdescAllocNode("ptdesc")).not.toBe(a);
    expect(m.memdescAllocNode("folio")).toBe(a);
    expect(m.rcu.pendingObjects).toBe(0);
    check(m);
  });

  it("a lookup racing with free-and-reuse finds a descriptor of the same kind describing other memory; revalidation catches it", () => {
    const m = testMemmap({ nodes: 1 });
    const refcount = m.fieldOffset("folio", "_refcount");
    const a = m.memdescAllocNode("folio", { init: { _refcount: 1 } });
    const pfn = m.descriptorPfn(a);
    // The reader: rcu_read_lock(); the page's memdesc word.
    m.rcu.readLock();
    const seen = m.rcuDereference(pfn);
    expect(seen).toBe(a);
    // The writer, meanwhile: the last reference goes, the folio and its page are freed, the page is taken for
    // something else, and a new folio gets the freed descriptor at once.
    m.writeField(a, "_refcount", 0);
    m.free(a);
    expect(m.allocPagesMisc("vmalloc", 0)).toBe(pfn);
    const b = m.memdescAllocNode("folio", { init: { _refcount: 1 } });
    expect(b).toBe(a);
    expect(m.descriptorPfn(b)).not.toBe(pfn);
    // The reader goes on: the memory is still a folio (type-safe), live, so folio_try_get() succeeds …
    expect(m.kindOfDescriptor(seen)).toBe("folio");
    expect(m.tryGetSpeculative(seen, refcount)).toBe(true);
    // … but the page's word and the folio's pfn both say it no longer describes the page.
    expect(m.rcuRevalidate(seen, pfn)).toBe(false);
    m.addI32(seen, refcount, -1);
    // It looks again and finds the page is Misc now: no descriptor.
    expect(m.rcuDereference(pfn)).toBe(0);
    m.rcu.readUnlock();
    check(m);
  });

  it("the debug check catches a reader that took a reference and did not revalidate", () => {
    const m = testMemmap({ nodes: 1 });
    const refcount = m.fieldOffset("folio", "_refcount");
    const a = m.memdescAllocNode("folio", { init: { _refcount: 1 } });
    const pfn = m.descriptorPfn(a);
    m.rcu.readLock();
    const seen = m.rcuDereference(pfn);
    m.writeField(a, "_refcount", 0);
    m.free(a);
    m.allocPagesMisc("vmalloc", 0);
    m.memdescAllocNode("folio", { init: { _refcount: 1 } });
    expect(m.tryGetSpeculative(seen, refcount)).toBe(true);
    // It treats the folio as its page's and leaves the critical section.
    expect(() => m.rcu.readUnlock()).toThrow(
      expect.objectContaining({
        code: "STALE_DESCRIPTOR",
        message: expect.stringMatching(
          /took a reference on its descriptor .* never revalidated it, but it was freed and reused for pages/,
        ),
      }),
    );
  });

  it("does not complain when no race happened, or when the speculative reference was refused", () => {
    const m = testMemmap({ nodes: 1 });
    const refcount = m.fieldOffset("folio", "_refcount");
    const a = m.memdescAllocNode("folio", { init: { _refcount: 1 } });
    const pfn = m.descriptorPfn(a);
    m.rcu.readLock();
    expect(m.tryGetSpeculative(m.rcuDereference(pfn), refcount)).toBe(true);
    m.rcu.readUnlock();
    expect(m.readField(a, "_refcount")).toBe(2);
    // Freed and not reused: its refcount is 0, folio_try_get() fails, the reader retries.
    const b = m.memdescAllocNode("folio", { init: { _refcount: 1 } });
    const bp = m.descriptorPfn(b);
    m.rcu.readLock();
    const seen = m.rcuDereference(bp);
    m.writeField(b, "_refcount", 0);
    m.free(b);
    expect(m.tryGetSpeculative(seen, refcount)).toBe(false);
    m.rcu.readUnlock();
  });

  it("refuses rcu_dereference() outside a critical section, and speculative references on freed memory outside one", () => {
    const m = testMemmap({ nodes: 1 });
    const a = m.memdescAllocNode("folio", { init: { _refcount: 1 } });
    const refcount = m.fieldOffset("folio", "_refcount");
    expect(() => m.rcuDereference(m.descriptorPfn(a))).toThrow(
      expect.objectContaining({ code: "RCU_UNLOCKED" }),
    );
    m.writeField(a, "_refcount", 0);
    m.free(a);
    expect(() => m.tryGetSpeculative(a, refcount)).toThrow(
      expect.objectContaining({ code: "USE_AFTER_FREE" }),
    );
    // A reader may still read a freed descriptor: its memory stays a folio.
    m.rcu.readLock();
    expect(m.kindOfDescriptor(a)).toBe("folio");
    m.rcu.readUnlock();
    expect(() => m.kindOfDescriptor(a)).toThrow(/freed/);
    expect(() => m.rcu.readUnlock()).toThrow(/without a matching/);
  });

  it("an emptied slab's pages wait a grace period before they go back", () => {
    const m = testMemmap({ gracePeriod: 5 });
    const folio = m.cacheFor("folio");
    const fs = Array.from({ length: 60 }, () => m.memdescAllocNode("folio"));
    const slabs = folio.slabs;
    expect(slabs).toBe(Math.ceil(60 / folio.objects));
    for (const f of fs) m.free(f);
    expect(folio.rcuObjects).toBe(0);
    // Empty now, but SLUB keeps the CPU slab, and empty slabs while the partial list is short of min_partial.
    expect(folio.slabs).toBe(slabs);
    check(m);
    // kmem_cache_shrink() discards them; their pages wait a grace period (rcu_free_slab).
    m.kmemCacheShrink(folio);
    expect(folio.slabs).toBe(slabs);
    check(m);
    m.rcu.readLock();
    m.rcu.advance(5);
    // No grace period ends while a reader is inside.
    expect(folio.slabs).toBe(slabs);
    m.rcu.readUnlock();
    m.rcu.advance(5);
    expect(folio.slabs).toBe(0);
    check(m);
  });
});

describe("descriptorFree: kfree-rcu (an explicit choice): every object waits a grace period", () => {
  it("a freed descriptor is reused only after a grace period, and only by its own kind's cache", () => {
    const m = testMemmap({ descriptorFree: "kfree-rcu" });
    const a = m.memdescAllocNode("folio");
    m.free(a);
    const b = m.memdescAllocNode("folio");
    expect(b).not.toBe(a);
    expect(m.memdescAllocNode("ptdesc")).not.toBe(a);
    m.rcu.synchronize();
    expect(m.memdescAllocNode("folio")).toBe(a);
    check(m);
  });

  it("time advancing ends grace periods too, and emptied slabs wait one more before their pages go", () => {
    const m = testMemmap({ gracePeriod: 5, descriptorFree: "kfree-rcu" });
    const folio = m.cacheFor("folio");
    const fs = Array.from({ length: 60 }, () => m.memdescAllocNode("folio"));
    const slabs = folio.slabs;
    for (const f of fs) m.free(f);
    m.rcu.advance(4);
    expect(folio.rcuObjects).toBe(60);
    m.rcu.advance(1);
    expect(folio.rcuObjects).toBe(0);
    expect(folio.slabs).toBe(slabs);
    check(m);
    m.kmemCacheShrink(folio);
    expect(folio.slabs).toBe(slabs);
    check(m);
    m.rcu.advance(5);
    expect(folio.slabs).toBe(0);
    check(m);
  });

  it("is refused by name when misspelt", () => {
    expect(() => testMemmap({ descriptorFree: "rcu" as never })).toThrow(
      /descriptorFree is typesafe-by-rcu or kfree-rcu, not "rcu"/,
    );
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
