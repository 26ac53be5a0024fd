import { describe, expect, it } from "vitest";
import { refFolio, refPtdesc, refSlab } from "../../test/reference-plugins.js";
import { createRegistry } from "../registry/registry.js";
import { bill } from "./bill.js";

const GiB = 262_144; // pages per GiB
const MiB = 1024 * 1024;
const registry = createRegistry({ plugins: [refFolio, refSlab, refPtdesc] });

const totals = (b: ReturnType<typeof bill>) => Object.fromEntries(b.designs.map((d) => [d.design, d.total]));

describe("bill: the worked examples of docs/kernel.md", () => {
  it("derives the reference's assumed descriptor sizes from field lists", () => {
    expect(registry.descriptorSize("folio", 0)).toEqual({ variant: "small", size: 80, rounded: 80 });
    expect(registry.descriptorSize("folio", 9)).toEqual({ variant: "large", size: 128, rounded: 128 });
    expect(registry.descriptorSize("slab", 1)).toEqual({ variant: "default", size: 56, rounded: 64 });
    expect(registry.descriptorSize("ptdesc", 0)?.rounded).toBe(48);
  });

  it("1. order-0 anonymous folios: 16 MiB, 28 MiB, 22 MiB", () => {
    const b = bill(registry, { uses: { anon: { pages: GiB, descriptors: GiB, orders: { 0: GiB } } } });
    expect(totals(b)).toMatchObject({ today: 16 * MiB, "path-32": 29_360_128, "memdesc-8": 23_068_672 });
    const d = b.designs.find((x) => x.design === "memdesc-8")!;
    expect(d.uses[0]!.arithmetic).toBe("262,144 × 8 + 262,144 × 80 = 23,068,672");
    expect(d.uses[0]!.kind).toBe("folio");
    expect(d.savingVsToday).toBe(16 * MiB - 23_068_672);
    expect(d.percentOfRam).toBeCloseTo(2.15, 2);
  });

  it("2. order-9 folios: 16 MiB, 8,454,144 B, 2,162,688 B", () => {
    const b = bill(registry, { uses: { file: { pages: GiB, descriptors: 512, orders: { 9: 512 } } } });
    expect(totals(b)).toMatchObject({ today: 16 * MiB, "path-32": 8_454_144, "memdesc-8": 2_162_688 });
    expect(b.designs.find((x) => x.design === "memdesc-8")!.uses[0]!.arithmetic).toBe(
      "262,144 × 8 + 512 × 128 = 2,162,688",
    );
  });

  it("3. order-1 slabs: 16 MiB, 16 MiB, 10 MiB", () => {
    const b = bill(registry, {
      uses: { slab: { pages: GiB, descriptors: GiB / 2, orders: { 1: GiB / 2 } } },
    });
    expect(totals(b)).toMatchObject({ today: 16 * MiB, "path-32": 16 * MiB, "memdesc-8": 10 * MiB });
  });

  it("4. page tables: 16 MiB, 20 MiB, 14 MiB", () => {
    const b = bill(registry, { uses: { pagetable: { pages: GiB, descriptors: GiB, orders: { 0: GiB } } } });
    expect(totals(b)).toMatchObject({ today: 16 * MiB, "path-32": 20 * MiB, "memdesc-8": 14 * MiB });
  });

  it("5. free memory: 16, 8, 4 (buddy-16) and 2 MiB, with no descriptors", () => {
    const b = bill(registry, { uses: { free: { pages: GiB, descriptors: 0 } } });
    expect(totals(b)).toEqual({
      today: 16 * MiB,
      "path-32": 8 * MiB,
      "buddy-16": 4 * MiB,
      "memdesc-8": 2 * MiB,
    });
    expect(b.designs.every((d) => d.descriptors === 0)).toBe(true);
  });

  it("holes cost nothing and do not count as RAM", () => {
    const b = bill(registry, {
      uses: { hole: { pages: 1000, descriptors: 0 }, free: { pages: 24, descriptors: 0 } },
    });
    expect(b.ramPages).toBe(24);
    expect(totals(b).today).toBe(24 * 64);
  });

  it("warns when no plugin describes pages that have descriptors", () => {
    const r = createRegistry({ plugins: [refFolio] });
    const b = bill(r, { uses: { slab: { pages: 8, descriptors: 4, orders: { 1: 4 } } } });
    expect(b.warnings).toEqual(["no plugin describes slab pages; their 4 descriptors are billed at 0 bytes"]);
    expect(totals(b)["memdesc-8"]).toBe(64);
  });

  it("rejects a picture whose orders disagree with its counts, naming the field", () => {
    expect(() => bill(registry, { uses: { file: { pages: 4, descriptors: 3, orders: { 1: 2 } } } })).toThrow(
      /uses\.file\.orders: orders sum to 2, not 3/,
    );
  });
});
