import { bill } from "@memdesc/core";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { testMemmap } from "../../test/helpers.js";
import { check } from "./check.js";
import { DIRECT_MAP_BASE } from "./memmap.js";

/** One step of a random history. Indices pick among what is live, modulo its count. */
type Op =
  | { op: "alloc"; kind: "folio" | "ptdesc"; order: number; nid: number; anon: boolean }
  | { op: "free"; pick: number }
  | { op: "misc"; order: number; nid: number }
  | { op: "freeMisc"; pick: number }
  | { op: "split"; pick: number; to: number }
  | { op: "slabAlloc"; cache: number; n: number }
  | { op: "slabFree"; cache: number; n: number }
  | { op: "rcu"; sync: boolean; ms: number }
  | { op: "burst"; n: number; free: boolean }
  | { op: "shrink"; cache: number }
  | { op: "drain" };

const op: fc.Arbitrary<Op> = fc.oneof(
  {
    weight: 5,
    arbitrary: fc.record({
      op: fc.constant("alloc" as const),
      kind: fc.constantFrom("folio" as const, "ptdesc" as const),
      // Order 9 (a THP) uses the per-CPU lists too.
      order: fc.oneof(fc.integer({ min: 0, max: 4 }), fc.constant(9)),
      nid: fc.integer({ min: -1, max: 1 }),
      anon: fc.boolean(),
    }),
  },
  { weight: 4, arbitrary: fc.record({ op: fc.constant("free" as const), pick: fc.nat() }) },
  {
    weight: 1,
    arbitrary: fc.record({
      op: fc.constant("misc" as const),
      order: fc.oneof(fc.integer({ min: 0, max: 3 }), fc.constant(9)),
      nid: fc.integer({ min: -1, max: 1 }),
    }),
  },
  { weight: 1, arbitrary: fc.record({ op: fc.constant("freeMisc" as const), pick: fc.nat() }) },
  {
    weight: 2,
    arbitrary: fc.record({
      op: fc.constant("split" as const),
      pick: fc.nat(),
      to: fc.integer({ min: 0, max: 3 }),
    }),
  },
  {
    weight: 1,
    arbitrary: fc.record({
      op: fc.constant("slabAlloc" as const),
      cache: fc.integer({ min: 0, max: 1 }),
      n: fc.integer({ min: 1, max: 400 }),
    }),
  },
  {
    weight: 1,
    arbitrary: fc.record({
      op: fc.constant("slabFree" as const),
      cache: fc.integer({ min: 0, max: 1 }),
      n: fc.integer({ min: 1, max: 400 }),
    }),
  },
  {
    weight: 1,
    arbitrary: fc.record({
      op: fc.constant("rcu" as const),
      sync: fc.boolean(),
      // Up to past a simulated second: vmstat's per-CPU list decay runs too.
      ms: fc.oneof(fc.integer({ min: 0, max: 15 }), fc.integer({ min: 900, max: 2500 })),
    }),
  },
  // Runs of order-0 allocations or frees: per-CPU refills and drains, CPU slabs filling and emptying.
  {
    weight: 1,
    arbitrary: fc.record({
      op: fc.constant("burst" as const),
      n: fc.integer({ min: 1, max: 300 }),
      free: fc.boolean(),
    }),
  },
  // kmem_cache_shrink (deactivating the CPU slab) of a descriptor cache, and drain_all_pages.
  { weight: 1, arbitrary: fc.record({ op: fc.constant("shrink" as const), cache: fc.nat() }) },
  { weight: 1, arbitrary: fc.record({ op: fc.constant("drain" as const) }) },
);

describe("property: after any sequence of operations the memmap is consistent", () => {
  // A small two-node machine (per-CPU batch 1, high 4), and one large enough for batches of 7 and a high that
  // the frees tune.
  it.each([
    { pages: 4096, nodes: 2, runs: 150, design: "memdesc-8", descriptorFree: "typesafe-by-rcu" as const },
    { pages: 32768, nodes: 1, runs: 25, design: "memdesc-8", descriptorFree: "typesafe-by-rcu" as const },
    { pages: 4096, nodes: 2, runs: 60, design: "memdesc-8", descriptorFree: "kfree-rcu" as const },
    // BuddyAllocator Option 1: the free lists linked through the 16-byte entries.
    { pages: 4096, nodes: 2, runs: 100, design: "buddy-16", descriptorFree: "typesafe-by-rcu" as const },
    { pages: 32768, nodes: 1, runs: 20, design: "buddy-16", descriptorFree: "typesafe-by-rcu" as const },
  ])(
    "every page in exactly one state, free pages = buddy lists + per-CPU lists, live descriptors = live allocations, the bill adds up ($pages pages, $nodes nodes, $design, $descriptorFree)",
    ({ pages, nodes, runs, design, descriptorFree }) => {
      fc.assert(
        fc.property(
          fc.array(op, { maxLength: 60 }),
          fc.integer({ min: 0, max: 2 ** 31 - 1 }),
          (ops, seed) => {
            const m = testMemmap({ pages, nodes, descriptorFree }, design);
            const caches = [m.kmemCacheCreate("dentry", 192), m.kmemCacheCreate("kmalloc-1k", 1024)];
            let r = seed;
            const random = () => {
              r = (r * 1103515245 + 12345) % 2 ** 31;
              return r / 2 ** 31;
            };
            const live: number[] = [];
            const misc: [number, number][] = [];
            for (const o of ops) {
              switch (o.op) {
                case "alloc": {
                  const d = m.memdescAllocNode(o.kind, {
                    order: o.order,
                    nid: Math.min(o.nid, nodes - 1),
                    use: o.kind === "ptdesc" ? "pagetable" : o.anon ? "anon" : "file",
                  });
                  if (d !== 0) live.push(d);
                  break;
                }
                case "free":
                  if (live.length) m.free(live.splice(o.pick % live.length, 1)[0]!);
                  break;
                case "misc": {
                  const p = m.allocPagesMisc("unknown", o.order, Math.min(o.nid, nodes - 1));
                  if (p >= 0) misc.push([p, o.order]);
                  break;
                }
                case "freeMisc":
                  if (misc.length) {
                    const [p, ord] = misc.splice(o.pick % misc.length, 1)[0]!;
                    m.freePagesMisc(p, ord);
                  }
                  break;
                case "split": {
                  const folios = live.filter(
                    (d) => m.kindOfDescriptor(d) === "folio" && m.descriptorOrder(d) > o.to,
                  );
                  if (!folios.length) break;
                  const d = folios[o.pick % folios.length]!;
                  const pieces = m.split(d, o.to);
                  if (pieces) {
                    live.splice(live.indexOf(d), 1);
                    live.push(...pieces);
                  }
                  break;
                }
                case "slabAlloc":
                  m.kmemCacheAllocBulk(caches[o.cache]!, o.n);
                  break;
                case "slabFree":
                  m.kmemCacheFreeRandom(caches[o.cache]!, o.n, random);
                  break;
                case "rcu":
                  if (o.sync) m.rcu.synchronize();
                  else m.rcu.advance(o.ms);
                  break;
                case "burst":
                  for (let k = 0; k < o.n; k++)
                    if (o.free) {
                      if (live.length) m.free(live.pop()!);
                    } else {
                      const d = m.memdescAllocNode("folio", { use: "file" });
                      if (d !== 0) live.push(d);
                    }
                  break;
                case "shrink": {
                  const backed = m.caches.filter((c) => c.backed);
                  m.kmemCacheShrink(backed[o.cache % backed.length]!);
                  break;
                }
                case "drain":
                  m.drainAllPages();
                  break;
              }
              // Every step keeps the invariants: the per-CPU lists and CPU slabs in between, too.
              check(m);
            }
            const picture = m.picture();
            const uses = Object.values(picture.uses);
            // Every page is free, in a use, or holds descriptors.
            expect(uses.reduce((s, e) => s + (e?.pages ?? 0), 0) + m.metaPages).toBe(m.pages);
            // Free pages are buddy's and the per-CPU lists'.
            expect(picture.uses.free?.pages ?? 0).toBe(m.buddy.freePageCount + m.pcp.total);
            // Live descriptors equal the live allocations this history holds (slab descriptors: one per slab).
            const described = ["file", "anon", "pagetable"].reduce(
              (s, u) => s + (picture.uses[u as "file"]?.descriptors ?? 0),
              0,
            );
            expect(described).toBe(live.length);
            expect(picture.uses.slab?.descriptors ?? 0).toBe(caches.reduce((s, c) => s + c.slabs, 0));
            for (const d of live) expect(m.isLive(d)).toBe(true);
            expect(live.every((d) => d > DIRECT_MAP_BASE)).toBe(true);
            // The bill adds up: per design, the uses' totals sum to the total, entries + descriptors.
            for (const d of bill(m.registry, picture).designs) {
              expect(d.uses.reduce((s, u) => s + u.total, 0) + d.outsideBytes).toBe(d.total);
              expect(d.entries + d.descriptors + d.outsideBytes).toBe(d.total);
              expect(d.entries).toBe((m.pages - m.metaPages) * d.entryBytes);
            }
            // After everything is freed, every deferred free has run and the caches are shrunk, all memory is free.
            for (const d of live) m.free(d);
            for (const [p, ord] of misc) m.freePagesMisc(p, ord);
            for (const c of caches) m.kmemCacheFreeRandom(c, c.liveObjects, random);
            m.rcu.drain();
            check(m);
            m.shrinkAll();
            check(m);
            expect(m.metaPages).toBe(0);
            expect(m.pcp.total).toBe(0);
            expect(m.buddy.freePageCount).toBe(m.pages);
          },
        ),
        { numRuns: runs },
      );
    },
  );
});
