import { MAX_PAGE_ORDER, PAGE_SIZE } from "@memdesc/core";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { SlabError } from "./errors.js";
import {
  calcSlabOrder,
  calculateAlignment,
  calculateOrder,
  calculateSizes,
  fls,
  getOrder,
  MAX_OBJS_PER_PAGE,
  orderObjects,
  PAGE_ALLOC_COSTLY_ORDER,
  slabGeometry,
  slubMinObjects,
  slubParams,
} from "./geometry.js";

const twoCpus = slubParams({ nrCpus: 2 });

describe("SLUB's helpers", () => {
  it("fls, get_order and order_objects as the kernel defines them", () => {
    expect([0, 1, 2, 3, 4, 255, 256].map(fls)).toEqual([0, 1, 2, 2, 3, 8, 9]);
    expect([1, 4096, 4097, 8192, 8193, 32768].map((s) => getOrder(s))).toEqual([0, 0, 1, 1, 2, 3]);
    expect(() => getOrder(0)).toThrow(new SlabError("BAD_CACHE", "get_order(0) is undefined"));
    expect(orderObjects(0, 192)).toBe(21);
    expect(orderObjects(3, 5888)).toBe(5);
  });

  it("min_objects is 4 × (fls(nr_cpus) + 1), with nr_cpu_ids when only one CPU is present", () => {
    expect(slubMinObjects(twoCpus)).toBe(12);
    expect(slubMinObjects(slubParams({ nrCpus: 64 }))).toBe(32);
    expect(slubMinObjects(slubParams({ nrCpus: 1, nrCpuIds: 8 }))).toBe(20);
    expect(slubMinObjects(slubParams({ nrCpus: 1 }))).toBe(8);
    expect(slubMinObjects(slubParams({ nrCpus: 64, minObjects: 5 }))).toBe(5);
  });

  it("calc_slab_order picks the smallest order whose leftover is within 1/fraction", () => {
    // 4096 % 1100 = 796 > 256; 8192 % 1100 = 492 ≤ 512.
    expect(calcSlabOrder(1100, 0, 3, 16)).toBe(1);
    expect(calcSlabOrder(1100, 0, 3, 4)).toBe(0);
    expect(calcSlabOrder(3000, 0, 3, 16)).toBe(4);
  });

  it("validates its parameters and names the bad one", () => {
    expect(() => slubParams({ nrCpus: 0 })).toThrow(
      "SLUB parameters: nrCpus: nrCpus (num_present_cpus) is at least 1",
    );
    expect(() => slubParams({ nrCpus: 2, maxOrder: 11 })).toThrow(
      "SLUB parameters: maxOrder: maxOrder (slub_max_order) is at most MAX_PAGE_ORDER (10)",
    );
    expect(() => slubParams({ nrCpus: 2, pageSize: 5000 })).toThrow(
      "SLUB parameters: pageSize: pageSize must be a power of two ≥ 4096",
    );
    // slub_min_order above slub_max_order raises the maximum.
    expect(slubParams({ nrCpus: 2, minOrder: 5 }).maxOrder).toBe(5);
  });
});

describe("calculate_order on a 2-CPU machine (the fixture's)", () => {
  it.each([
    [8, 0, 512],
    [64, 0, 64],
    [192, 0, 21],
    [312, 0, 13],
    [416, 1, 19],
    [1024, 2, 16],
    [2048, 3, 16],
    [5888, 3, 5],
    [8192, 3, 4],
    [16384, 3, 2],
    // kvm_vcpu: not even one object fits slub_max_order, so the order of one object.
    [51488, 4, 1],
  ])("objects of %i bytes: order %i, %i per slab", (size, order, objects) => {
    expect(slabGeometry(size, twoCpus)).toMatchObject({ order, objects });
  });

  it("needs more objects per slab on bigger machines", () => {
    expect(slabGeometry(256, twoCpus)).toMatchObject({ order: 0, objects: 16 });
    expect(slabGeometry(256, slubParams({ nrCpus: 64 }))).toMatchObject({ order: 1, objects: 32 });
  });

  it("fails like kmem_cache_create (-ENOSYS) when one object needs more than MAX_PAGE_ORDER", () => {
    expect(calculateOrder(PAGE_SIZE << MAX_PAGE_ORDER, twoCpus)).toBe(MAX_PAGE_ORDER);
    expect(() => calculateOrder((PAGE_SIZE << MAX_PAGE_ORDER) + 1, twoCpus)).toThrow(
      new SlabError(
        "NO_ORDER",
        "objects of 4194305 bytes need order 11, above MAX_PAGE_ORDER (10): kmem_cache_create fails (-ENOSYS)",
      ),
    );
  });

  it("stays below MAX_OBJS_PER_PAGE objects when slub_min_order asks for huge slabs of tiny objects", () => {
    const p = slubParams({ nrCpus: 2, minOrder: 8 });
    const g = slabGeometry(8, p);
    expect(g.objects).toBeLessThanOrEqual(MAX_OBJS_PER_PAGE);
    expect(g.order).toBe(getOrder(8 * MAX_OBJS_PER_PAGE) - 1);
  });
});

describe("calculate_order invariants (property tests)", () => {
  const params = fc.record({
    nrCpus: fc.integer({ min: 1, max: 8192 }),
    minOrder: fc.integer({ min: 0, max: 2 }),
    maxOrder: fc.integer({ min: 0, max: 5 }),
  });

  it("objects × size fits the slab, the waste is less than one object, and the order is within bounds", () => {
    fc.assert(
      fc.property(fc.integer({ min: 8, max: PAGE_SIZE << 6 }), params, (size, raw) => {
        const p = slubParams(raw);
        const { order, objects, waste } = slabGeometry(size, p);
        const slab = PAGE_SIZE << order;
        expect(objects).toBeGreaterThanOrEqual(1);
        expect(objects).toBeLessThanOrEqual(MAX_OBJS_PER_PAGE);
        expect(objects * size).toBeLessThanOrEqual(slab);
        expect(waste).toBe(slab - objects * size);
        expect(waste).toBeLessThan(size);
        expect(order).toBeLessThanOrEqual(Math.max(p.maxOrder, getOrder(size)));
        expect(order).toBeGreaterThanOrEqual(Math.min(p.minOrder, getOrder(size * MAX_OBJS_PER_PAGE) - 1));
      }),
    );
  });

  it("within slub_max_order: the smallest order with the best waste class from the min-objects order up", () => {
    fc.assert(
      fc.property(fc.integer({ min: 8, max: PAGE_SIZE << PAGE_ALLOC_COSTLY_ORDER }), params, (size, raw) => {
        const p = slubParams(raw);
        const minObjects = Math.min(slubMinObjects(p), Math.max(orderObjects(p.maxOrder, size), 1));
        const from = Math.max(p.minOrder, getOrder(minObjects * size));
        fc.pre(orderObjects(from, size) <= MAX_OBJS_PER_PAGE && size <= PAGE_SIZE << p.maxOrder);
        // Brute force: for each fraction, the orders from..max whose leftover is within it.
        const fits = (f: number) =>
          [...Array(p.maxOrder + 1).keys()].filter(
            (o) => o >= from && (PAGE_SIZE << o) % size <= (PAGE_SIZE << o) / f,
          );
        const best = [16, 8, 4, 2].map(fits).find((orders) => orders.length > 0);
        const order = calculateOrder(size, p);
        expect(order).toBe(best ? best[0] : getOrder(size));
        // And the slab holds the minimum number of objects whenever the order came from the search.
        if (best) expect(orderObjects(order, size)).toBeGreaterThanOrEqual(minObjects);
      }),
    );
  });

  it("wastes at most 1/16 of the slab whenever some order up to slub_max_order can", () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 8, max: PAGE_SIZE }),
        fc.integer({ min: 1, max: 512 }),
        (size, nrCpus) => {
          const p = slubParams({ nrCpus });
          const { order, waste } = slabGeometry(size, p);
          const from = Math.max(0, getOrder(Math.min(slubMinObjects(p), orderObjects(3, size)) * size));
          const possible = [...Array(4).keys()].some(
            (o) => o >= from && (PAGE_SIZE << o) % size <= (PAGE_SIZE << o) / 16,
          );
          if (possible) expect(waste).toBeLessThanOrEqual((PAGE_SIZE << order) / 16);
        },
      ),
    );
  });
});

describe("calculate_sizes: the object stride /proc/slabinfo shows as objsize", () => {
  it("rounds to a word and puts the free pointer mid-object for plain caches", () => {
    expect(calculateSizes({ objectSize: 100 }, twoCpus)).toMatchObject({
      size: 104,
      inuse: 104,
      offset: 48,
      align: 8,
      order: 0,
      objects: 39,
      waste: 40,
    });
  });

  it("moves the free pointer after the object for constructors and SLAB_TYPESAFE_BY_RCU", () => {
    expect(calculateSizes({ objectSize: 100, ctor: true }, twoCpus)).toMatchObject({
      size: 112,
      offset: 104,
    });
    // filp: 184 bytes, SLAB_HWCACHE_ALIGN, RCU: 184 + 8 = 192, already 64-aligned.
    expect(
      calculateSizes({ objectSize: 184, hwcacheAlign: true, typesafeByRcu: true }, twoCpus),
    ).toMatchObject({
      align: 64,
      size: 192,
      offset: 184,
      objects: 21,
    });
  });

  it("keeps it inside for RCU caches that name a free pointer offset (vm_area_struct's vm_freeptr)", () => {
    const vma = { objectSize: 192, hwcacheAlign: true, typesafeByRcu: true };
    expect(calculateSizes(vma, twoCpus).size).toBe(256);
    expect(calculateSizes({ ...vma, useFreeptrOffset: true, freeptrOffset: 0 }, twoCpus)).toMatchObject({
      size: 192,
      offset: 0,
    });
  });

  it("adds the debug metadata: red zones, poison, and two struct tracks with the kmalloc request size", () => {
    expect(calculateSizes({ objectSize: 64, redZone: true }, twoCpus)).toMatchObject({
      inuse: 72,
      offset: 32,
      redLeftPad: 8,
      size: 88,
    });
    expect(calculateSizes({ objectSize: 64, poison: true }, twoCpus)).toMatchObject({ offset: 64, size: 72 });
    // struct track is 32 bytes with CONFIG_STACKDEPOT on x86-64.
    expect(calculateSizes({ objectSize: 64, storeUser: true, kmalloc: true }, twoCpus).size).toBe(
      64 + 64 + 8,
    );
    expect(
      calculateSizes({ objectSize: 64, storeUser: true }, slubParams({ nrCpus: 2, config: {} })).size,
    ).toBe(64 + 48);
  });

  it("aligns like calculate_alignment: SLAB_HWCACHE_ALIGN halves the cacheline while the object fits twice", () => {
    expect(calculateAlignment({ objectSize: 20, hwcacheAlign: true })).toBe(32);
    expect(calculateAlignment({ objectSize: 16, hwcacheAlign: true })).toBe(16);
    expect(calculateAlignment({ objectSize: 100, hwcacheAlign: true, align: 128 })).toBe(128);
    expect(calculateAlignment({ objectSize: 4 })).toBe(8);
    expect(calculateSizes({ objectSize: 10 }, slubParams({ nrCpus: 2, abi: "ilp32" }))).toMatchObject({
      size: 16,
      // ALIGN_DOWN(10 / 2, sizeof(void *)) with 4-byte pointers.
      offset: 4,
    });
  });

  it("rejects caches SLUB could not create", () => {
    expect(() => calculateSizes({ objectSize: 0 }, twoCpus)).toThrow(
      "object size 0 is not a whole number of bytes ≥ 1",
    );
    expect(() => calculateSizes({ objectSize: 64, align: 24 }, twoCpus)).toThrow(
      "alignment 24 is not a power of two",
    );
  });
});
