import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { bits, chunksOf, folio, KPF, pageMap, times } from "../test/pagemap.js";
import { type SimpleResult, simpleClassify } from "../test/simple-classifier.js";
import { type Classification, Classifier } from "./classify.js";
import { cgroupGrouping, type GroupKey, rangeGrouping } from "./grouping.js";
import { surveyUses } from "./uses.js";

const file = bits(KPF.UPTODATE, KPF.LRU);
const slab = bits(KPF.SLAB);
const anon = bits(KPF.ANON, KPF.LRU, KPF.MMAP);
const free = bits(KPF.BUDDY);

/** Runs of zero, free, order-0 anon pages and folios of file and slab pages, in any mix. */
const piece = fc.oneof(
  fc.integer({ min: 1, max: 40 }).map((n) => times(0n, n)),
  fc.integer({ min: 1, max: 20 }).map((n) => times(free, n)),
  fc.integer({ min: 1, max: 5 }).map((n) => times(anon, n)),
  fc.integer({ min: 0, max: 4 }).map((k) => folio(file, k)),
  fc.integer({ min: 0, max: 3 }).map((k) => folio(slab, k)),
);
const pageMapArb = fc
  .array(piece, { minLength: 1, maxLength: 25 })
  .map((ps) => ps.flat().map((w) => BigInt(w)));

const keyLabel = (k: GroupKey) =>
  k.kind === "zone"
    ? `${k.node} ${k.zone}`
    : k.kind === "cgroup"
      ? String(k.inode)
      : k.kind === "node"
        ? String(k.node)
        : "other";

/** The classifier's groups as the simple classifier reports them (uses with pages or descriptors only). */
function asSimple(c: Classification): Record<string, SimpleResult> {
  const out: Record<string, SimpleResult> = {};
  for (const g of c.groups!) {
    const r: SimpleResult = { pages: {}, descriptors: {}, orders: {} };
    for (const u of surveyUses) {
      const t = g.uses[u];
      if (t.pages > 0) r.pages[u] = t.pages;
      if (t.descriptors > 0) {
        r.descriptors[u] = t.descriptors;
        r.orders[u] = Object.fromEntries(t.orders.flatMap((n, k) => (n > 0 ? [[k, n]] : [])));
      }
    }
    if (Object.keys(r.pages).length > 0 || Object.keys(r.descriptors).length > 0) out[keyLabel(g.key)] = r;
  }
  return out;
}

describe("grouped classification: each page in its PFN's group, each descriptor in its head's", () => {
  it("by zone ranges, agrees with a PFN-by-PFN classifier for any map, cut and chunking", () => {
    fc.assert(
      fc.property(
        pageMapArb,
        fc.array(fc.integer({ min: 1, max: 400 }), { maxLength: 4 }),
        fc.integer({ min: 1, max: 17 }),
        (words, cuts, chunk) => {
          const n = words.length;
          const bounds = [...new Set([0, ...cuts.filter((c) => c < n), n])].sort((a, b) => a - b);
          const ranges = bounds.slice(1).map((end, i) => ({
            start: bounds[i]!,
            end,
            key: { kind: "zone" as const, node: 0, zone: `Z${i}` },
          }));
          const c = new Classifier({ ram: null, sectionPfns: 8, grouping: rangeGrouping(ranges, "none") });
          for (const ch of chunksOf(pageMap(words), chunk)) c.push(ch);
          const got = c.finish();
          const zoneOf = (pfn: number) => `0 ${ranges.find((r) => pfn >= r.start && pfn < r.end)!.key.zone}`;
          const want = simpleClassify(BigUint64Array.from(words), 0, null, 8, zoneOf);
          expect(asSimple(got)).toEqual(want.groups);
        },
      ),
      { numRuns: 150 },
    );
  });

  it("by memory cgroup, from kpagecgroup read in lockstep, whatever the chunking", () => {
    fc.assert(
      fc.property(
        pageMapArb,
        fc.array(fc.tuple(fc.constantFrom(0, 31, 4097, 2 ** 40), fc.integer({ min: 1, max: 60 })), {
          minLength: 1,
        }),
        fc.integer({ min: 1, max: 23 }),
        (words, cgRuns, chunk) => {
          const n = words.length;
          const cg: bigint[] = [];
          for (let i = 0; cg.length < n; i++) {
            const [ino, len] = cgRuns[i % cgRuns.length]!;
            for (let k = 0; k < len && cg.length < n; k++) cg.push(BigInt(ino));
          }
          const c = new Classifier({ ram: null, sectionPfns: 8, grouping: cgroupGrouping() });
          const cgMap = pageMap(cg);
          for (const ch of chunksOf(pageMap(words), chunk))
            c.push({ ...ch, cgroups: cgMap.slice(ch.pfn * 2, (ch.pfn + ch.length) * 2) });
          const got = c.finish();
          const want = simpleClassify(BigUint64Array.from(words), 0, null, 8, (pfn) => String(cg[pfn]));
          expect(asSimple(got)).toEqual(want.groups);
          expect(got.cgroups!.chargedPages).toBe(cg.filter((x) => x !== 0n).length);
        },
      ),
      { numRuns: 150 },
    );
  });

  it("puts a folio in its head's memcg after the grouping has let go of the head's PFN", () => {
    // Four kernel pages charged to memcgs 1, 2, 3, 2; a file folio of order 2 whose head is charged to 1 (the
    // first group) and whose tails to 9 (a folio is charged whole, but kpagecgroup is read page by page, so a
    // race can show this). The first chunk ends inside the folio, where the grouping drops the segments before
    // the open run.
    const words = [...times(bits(KPF.PRIVATE), 4), ...folio(file, 2)];
    const cg = [1n, 2n, 3n, 2n, 1n, 9n, 9n, 9n];
    const c = new Classifier({ ram: null, sectionPfns: 8, grouping: cgroupGrouping() });
    const flags = pageMap(words);
    const cgMap = pageMap(cg);
    for (const [pfn, length] of [
      [0, 6],
      [6, 2],
    ] as const)
      c.push({
        pfn,
        length,
        flags: flags.slice(pfn * 2, (pfn + length) * 2),
        cgroups: cgMap.slice(pfn * 2, (pfn + length) * 2),
      });
    const got = asSimple(c.finish());
    expect(got["1"]).toEqual({
      pages: { kernel: 1, file: 1 },
      descriptors: { file: 1 },
      orders: { file: { 2: 1 } },
    });
    expect(got["9"]).toEqual({ pages: { file: 3 }, descriptors: {}, orders: {} });
  });

  it("refuses overlapping ranges, and puts PFNs in no range in a group of their own", () => {
    expect(() =>
      rangeGrouping(
        [
          { start: 0, end: 10, key: { kind: "node", node: 0 } },
          { start: 5, end: 20, key: { kind: "node", node: 1 } },
        ],
        "none",
      ),
    ).toThrow(/overlap at PFN 5/);
    const g = rangeGrouping([{ start: 10, end: 20, key: { kind: "node", node: 0 } }], "outside every zone");
    expect([0, 9, 10, 19, 20, 1e9].map((p) => g.key(g.groupAt(p)))).toEqual([
      { kind: "other", what: "outside every zone" },
      { kind: "other", what: "outside every zone" },
      { kind: "node", node: 0 },
      { kind: "node", node: 0 },
      { kind: "other", what: "outside every zone" },
      { kind: "other", what: "outside every zone" },
    ]);
  });
});
