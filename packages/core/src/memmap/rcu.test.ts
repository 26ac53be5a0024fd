import { describe, expect, it } from "vitest";
import { testMemmap } from "../../test/memmap-helpers.js";
import { check } from "./check.js";
import { MemmapError } from "./errors.js";

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
    const fs = Array.from({ length: 60 }, () => m.memdescAllocNode("folio"));
    const slabs = m.cacheFor("folio").slabs;
    for (const f of fs) m.free(f);
    m.rcu.advance(4);
    expect(m.cacheFor("folio").rcuObjects).toBe(60);
    m.rcu.advance(1);
    expect(m.cacheFor("folio").rcuObjects).toBe(0);
    expect(m.cacheFor("folio").slabs).toBe(slabs);
    m.rcu.advance(5);
    expect(m.cacheFor("folio").slabs).toBe(0);
    check(m);
  });
});
