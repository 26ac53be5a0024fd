import { describe, expect, it } from "vitest";
import { testMemmap } from "../../test/helpers.js";
import { check } from "./check.js";
import { DIRECT_MAP_BASE, KMEM_CACHE_BASE } from "./memmap.js";

const pfnOf = (addr: number) => Math.floor((addr - DIRECT_MAP_BASE) / 4096);

describe("bootstrap: the struct-slab cache hosts itself", () => {
  it("the first slab page describes itself", () => {
    const m = testMemmap();
    const S = m.slabCache;
    expect(S.slabs).toBe(1);
    const pfn = S.slabPfn[0]!;
    const desc = m.pageDescriptor(pfn);
    // The word of the struct-slab cache's first page points at the first object of that very page.
    expect(desc).toBe(DIRECT_MAP_BASE + pfn * 4096);
    expect(pfnOf(desc)).toBe(pfn);
    expect(m.lookup(pfn)).toMatchObject({
      kind: "slab",
      descriptor: desc,
      headPfn: pfn,
      cache: "slab",
      use: "memdesc",
    });
    // Its struct slab says so in its own bytes: slab_cache is the struct-slab kmem_cache. It is the cache's CPU
    // slab, frozen, so its counters say every object is in use (the CPU freelist has the free ones) …
    expect(m.readField(desc, "slab_cache")).toBe(BigInt(KMEM_CACHE_BASE));
    const counters = () => Number(m.readField(desc, "counters") as bigint);
    expect(counters() & 0xffff).toBe(S.objects);
    expect((counters() >>> 16) & 0x7fff).toBe(S.objects);
    expect(counters() >>> 31).toBe(1);
    expect(m.readField(desc, "freelist")).toBe(0n);
    // … until kmem_cache_shrink() deactivates it (deactivate_slab): one object in use, its own struct slab, the
    // rest back on its freelist, unfrozen. Empty but for that, it is discarded: its page waits a grace period.
    m.kmemCacheShrink(S);
    expect(counters() & 0xffff).toBe(1);
    expect(counters() >>> 31).toBe(0);
    expect(m.readField(desc, "freelist")).toBe(BigInt(desc + S.size));
    expect(S.cpuSlab).toBe(-1);
    expect(S.partialTop).toBe(0);
    check(m);
    m.rcu.synchronize();
    expect(S.slabs).toBe(0);
    expect(m.lookup(pfn)).toMatchObject({ state: "free" });
    check(m);
  });

  it("every slab page's word points at a struct slab inside a slab page of the struct-slab cache", () => {
    const m = testMemmap();
    const folios: number[] = [];
    for (let i = 0; i < 3000; i++) folios.push(m.memdescAllocNode("folio", { order: i % 2 }));
    const dentry = m.kmemCacheCreate("dentry", 192);
    m.kmemCacheAllocBulk(dentry, 5000);
    expect(m.slabCache.slabs).toBeGreaterThan(1);
    let slabPages = 0;
    for (let pfn = 0; pfn < m.pages; pfn++) {
      const info = m.lookup(pfn);
      if (info.kind !== "slab") continue;
      slabPages++;
      const host = m.lookup(pfnOf(info.descriptor!));
      expect(host.kind).toBe("slab");
      expect(host.cache).toBe("slab");
      if (info.cache === "slab") expect(pfnOf(info.descriptor!)).toBe(info.headPfn); // self-hosted
    }
    expect(slabPages).toBe(m.metaPages + m.picture().uses.slab!.pages);
    // The struct slab of a dentry slab carries its cache and counters.
    const page = m.lookup(dentry.slabPfn[0]!);
    expect(page.cache).toBe("dentry");
    expect(Number(m.readField(page.descriptor!, "counters") as bigint) >>> 16).toBe(dentry.objects);
    check(m);
  });

  it("empties and refills: slabs go back to the buddy allocator once their objects are freed, RCU has passed and the caches are shrunk", () => {
    const m = testMemmap({ nodes: 1 });
    const boot = m.freePageCount;
    const fs = Array.from({ length: 500 }, () => m.memdescAllocNode("folio"));
    for (const f of fs) m.free(f);
    m.rcu.drain();
    check(m);
    // The CPU slabs and up to min_partial empty slabs per cache stay, as SLUB keeps them …
    expect(m.metaPages).toBeGreaterThan(0);
    expect(m.cacheFor("folio").slabs).toBeLessThanOrEqual(m.cacheFor("folio").minPartial + 1);
    // … until the caches are shrunk: everything comes back, the struct-slab cache's own last slab too.
    m.shrinkAll();
    check(m);
    expect(m.buddy.freePageCount).toBe(boot + 1);
    expect(m.freePageCount).toBe(m.pages);
    expect(m.metaPages).toBe(0);
    // And the cache grows again from nothing, self-hosted.
    const f = m.memdescAllocNode("folio");
    expect(m.slabCache.slabs).toBe(1);
    expect(m.pageDescriptor(m.slabCache.slabPfn[m.slabCache.live[0]!]!)).toBe(
      DIRECT_MAP_BASE + m.slabCache.slabPfn[m.slabCache.live[0]!]! * 4096,
    );
    m.free(f);
    check(m);
  });
});
