import { bill, pictureSchema } from "@memdesc/core";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { firstPartyRegistry } from "../../lib/registry.js";
import {
  defaultMix,
  folioOrders,
  hugetlbOrders,
  type Mix,
  mixPicture,
  mixRegistry,
  presets,
  shareUses,
} from "./mix.js";

const GiB = 262_144;

describe("the Bill view's mix", () => {
  it("becomes a valid picture whose pages add up to the machine, in whole descriptors", () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 4096 }),
        fc.tuple(...shareUses.map(() => fc.integer({ min: 0, max: 100 }))),
        fc.tuple(...folioOrders.map(() => fc.integer({ min: 0, max: 100 }))),
        fc.integer({ min: 0, max: 3 }),
        fc.constantFrom(...hugetlbOrders),
        fc.boolean(),
        (ramGiB, shares, orders, slabOrder, hugetlbOrder, hvo) => {
          const mix: Mix = {
            ramGiB,
            shares: Object.fromEntries(shareUses.map((u, i) => [u, shares[i]!])) as Mix["shares"],
            folioOrders: Object.fromEntries(folioOrders.map((k, i) => [k, orders[i]!])) as Mix["folioOrders"],
            slabOrder,
            folioGrowth: 0,
            hugetlbOrder,
            hvo,
          };
          const { picture, scaled } = mixPicture(mix);
          const parsed = pictureSchema.parse(picture);
          const pages = Object.values(parsed.uses).reduce((s, e) => s + e!.pages, 0);
          expect(pages).toBe(ramGiB * GiB);
          for (const [use, e] of Object.entries(parsed.uses)) {
            const covered = Object.entries(e!.orders ?? {}).reduce((s, [k, n]) => s + n * 2 ** Number(k), 0);
            if (use !== "free" && use !== "kernel") expect(covered, use).toBe(e!.pages);
          }
          expect(parsed.hvo).toBe(hvo);
          const sum = shares.reduce((s, x) => s + x, 0);
          expect(scaled).toBe(sum > 100 ? 100 / sum : 1);
        },
      ),
      { numRuns: 200 },
    );
  });

  it("prices the desktop preset as core's worked examples do: memdesc-8 pays 8 bytes a page plus descriptors", () => {
    const { picture } = mixPicture(defaultMix);
    const b = bill(firstPartyRegistry("memdesc-8"), picture);
    const today = b.designs.find((d) => d.design === "today")!;
    expect(today.total).toBe(16 * GiB * 64);
    const m8 = b.designs.find((d) => d.design === "memdesc-8")!;
    expect(m8.entries).toBe(16 * GiB * 8);
    const file = picture.uses.file!;
    expect(m8.uses.find((u) => u.use === "file")!.descriptorBytes).toBe(
      (file.orders!["0"] ?? 0) * 80 + (file.descriptors - (file.orders!["0"] ?? 0)) * 128,
    );
  });

  it("grows struct folio through the folio plugin's extraFields, and every other plugin stays", () => {
    const base = firstPartyRegistry("memdesc-8");
    const grown = mixRegistry("memdesc-8", 24);
    expect(grown.descriptorSize("folio", 0)).toEqual({ variant: "small", size: 104, rounded: 112 });
    expect(grown.descriptorSize("folio", 9)!.size).toBe(152);
    expect(grown.kinds).toEqual(base.kinds);
    expect(grown.descriptorSize("slab", 1)).toEqual(base.descriptorSize("slab", 1));
    expect(mixRegistry("memdesc-8", 0)).toBe(base);
    const { picture } = mixPicture(presets.database!);
    const more = bill(grown, picture).designs.find((d) => d.design === "memdesc-8")!.total;
    const less = bill(base, picture).designs.find((d) => d.design === "memdesc-8")!.total;
    expect(more).toBeGreaterThan(less);
  });

  it("bills the hugetlb pool: today's struct pages shrink with HVO on, the memdesc-era hugetlb folio does not", () => {
    const database = presets.database!;
    const off = bill(firstPartyRegistry("memdesc-8"), mixPicture(database).picture);
    const on = bill(firstPartyRegistry("memdesc-8"), mixPicture({ ...database, hvo: true }).picture);
    const pool = mixPicture(database).picture.uses.hugetlb!;
    expect(pool.orders).toEqual({ 9: pool.descriptors });
    const today = (b: typeof off) => b.designs.find((d) => d.design === "today")!;
    // HVO keeps one page of each 2 MiB folio's eight pages of struct pages: 4096 of 32,768 bytes.
    expect(today(off).total - today(on).total).toBe(pool.descriptors * (32_768 - 4096));
    expect(on.hvo).toBe(true);
    const m8 = (b: typeof off) => b.designs.find((d) => d.design === "memdesc-8")!;
    expect(m8(on).total).toBe(m8(off).total);
    expect(m8(on).uses.find((u) => u.use === "hugetlb")!.arithmetic).toMatch(/× 160/);
    // The 8-byte buddy word's free-list arrays, outside the memmap: 4 bytes a page of RAM.
    expect(m8(on).outsideBytes).toBe(database.ramGiB * GiB * 4);
  });
});
