import { createRegistry } from "@memdesc/core";
import { check, createMemmap } from "@memdesc/memmap";
import { describe, expect, it } from "vitest";
import { calculateSizes, slubParams } from "./geometry.js";
import { slab } from "./plugin.js";
import { simulatedSlabGeometry } from "./simulation.js";

describe("SLUB geometry for the memmap simulator", () => {
  it("is calculate_sizes() with the descriptor's free pointer inside the object", () => {
    const g = simulatedSlabGeometry(
      { name: "folio", objectSize: 80, align: 16, typesafeByRcu: true, freeptrOffset: 8 },
      { nrCpus: 64, maxOrder: 10, pageSize: 4096 },
    );
    const kernel = calculateSizes(
      { objectSize: 80, align: 16, typesafeByRcu: true, useFreeptrOffset: true, freeptrOffset: 8 },
      slubParams({ nrCpus: 64 }),
    );
    expect(g).toEqual({ size: kernel.size, order: kernel.order, objects: kernel.objects });
    expect(g.size).toBe(80);
    // Without freeptr_offset an RCU cache puts the free pointer after the object, and the stride grows.
    expect(
      simulatedSlabGeometry(
        { name: "x", objectSize: 80, align: 16, typesafeByRcu: true },
        { nrCpus: 64, maxOrder: 10, pageSize: 4096 },
      ).size,
    ).toBe(96);
  });

  it("sizes every cache of a memmap composed with the slab plugin", () => {
    const m = createMemmap(createRegistry({ plugins: [slab()] }), { pages: 4096, nrCpus: 64 });
    const dentry = m.kmemCacheCreate("dentry", 192);
    const expected = calculateSizes({ objectSize: 192 }, slubParams({ nrCpus: 64 }));
    expect([dentry.size, dentry.order, dentry.objects]).toEqual([
      expected.size,
      expected.order,
      expected.objects,
    ]);
    expect(m.slabCache.freeptrOffset).toBe(16); // slab_list
    m.kmemCacheAllocBulk(dentry, 1000);
    check(m);
  });
});
