import { describe, expect, it } from "vitest";
import { createRegistry } from "../registry/registry.js";
import { refFolio, refPtdesc, refSlab } from "../testing/reference.js";
import { bill } from "./bill.js";

const GiB = 262_144; // pages per GiB
const MiB = 1024 * 1024;
const registry = createRegistry({ plugins: [refFolio, refSlab, refPtdesc] });

const totals = (b: ReturnType<typeof bill>) => Object.fromEntries(b.designs.map((d) => [d.design, d.total]));

// memdesc-8's buddy word is this project's proposal, and its free-list arrays take 4 bytes per page of RAM.
const arrays = 4 * GiB;

describe("bill: the worked examples of docs/kernel.md", () => {
  it("derives the descriptor sizes from field lists, each with the pfn a separate descriptor needs", () => {
    expect(registry.descriptorSize("folio", 0)).toEqual({ variant: "small", size: 80, rounded: 80 });
    expect(registry.descriptorSize("folio", 9)).toEqual({ variant: "large", size: 128, rounded: 128 });
    // 56 bytes of fields and the 8-byte pfn.
    expect(registry.descriptorSize("slab", 1)).toEqual({ variant: "default", size: 64, rounded: 64 });
    // 48 bytes of fields and the pfn: 56, in a 64-byte object.
    expect(registry.descriptorSize("ptdesc", 0)).toEqual({ variant: "default", size: 56, rounded: 64 });
  });

  it("1. order-0 anonymous folios: 16 MiB, 28 MiB, 22 MiB and 1 MiB of free-list arrays", () => {
    const b = bill(registry, { uses: { anon: { pages: GiB, descriptors: GiB, orders: { 0: GiB } } } });
    expect(totals(b)).toMatchObject({
      today: 16 * MiB,
      "path-32": 29_360_128,
      "memdesc-8": 23_068_672 + arrays,
    });
    const d = b.designs.find((x) => x.design === "memdesc-8")!;
    expect(d.uses[0]!.arithmetic).toBe("262,144 × 8 + 262,144 × 80 = 23,068,672");
    expect(d.uses[0]!.kind).toBe("folio");
    expect(d.outside).toEqual([
      expect.objectContaining({
        count: GiB,
        size: 4,
        bytes: arrays,
        provenance: expect.objectContaining({ basis: "proposal" }),
      }),
    ]);
    expect(d.savingVsToday).toBe(16 * MiB - 23_068_672 - arrays);
    expect(d.percentOfRam).toBeCloseTo(2.25, 2);
  });

  it("2. order-9 folios: 16 MiB, 8,454,144 B, 2,162,688 B (and the arrays)", () => {
    const b = bill(registry, { uses: { file: { pages: GiB, descriptors: 512, orders: { 9: 512 } } } });
    expect(totals(b)).toMatchObject({
      today: 16 * MiB,
      "path-32": 8_454_144,
      "memdesc-8": 2_162_688 + arrays,
    });
    expect(b.designs.find((x) => x.design === "memdesc-8")!.uses[0]!.arithmetic).toBe(
      "262,144 × 8 + 512 × 128 = 2,162,688",
    );
  });

  it("3. order-1 slabs: 16 MiB, 16 MiB, 10 MiB (and the arrays)", () => {
    const b = bill(registry, {
      uses: { slab: { pages: GiB, descriptors: GiB / 2, orders: { 1: GiB / 2 } } },
    });
    expect(totals(b)).toMatchObject({
      today: 16 * MiB,
      "path-32": 16 * MiB,
      "memdesc-8": 10 * MiB + arrays,
    });
  });

  it("4. page tables, with the pfn: 16 MiB, 24 MiB, 18 MiB (and the arrays)", () => {
    const b = bill(registry, { uses: { pagetable: { pages: GiB, descriptors: GiB, orders: { 0: GiB } } } });
    expect(totals(b)).toMatchObject({
      today: 16 * MiB,
      "path-32": 24 * MiB,
      "memdesc-8": 18 * MiB + arrays,
    });
  });

  it("5. free memory: 16, 8, 4 (buddy-16, Option 1) and 2 MiB plus 1 MiB of free-list arrays (memdesc-8)", () => {
    const b = bill(registry, { uses: { free: { pages: GiB, descriptors: 0 } } });
    expect(totals(b)).toEqual({
      today: 16 * MiB,
      "path-32": 8 * MiB,
      "buddy-16": 4 * MiB,
      "memdesc-8": 2 * MiB + arrays,
    });
    expect(b.designs.every((d) => d.descriptors === 0)).toBe(true);
    expect(b.designs.filter((d) => d.outsideBytes > 0).map((d) => d.design)).toEqual(["memdesc-8"]);
  });

  it("6. hugetlb with HVO: today keeps one page of struct pages per 2 MiB or 1 GiB folio", () => {
    // 1 GiB as 512 folios of 2 MiB, and 1 GiB as one folio of 1 GiB.
    const picture = {
      uses: {
        hugetlb: { pages: 2 * GiB, descriptors: 513, orders: { 9: 512, 18: 1 } },
      },
    };
    const off = bill(registry, picture);
    const on = bill(registry, picture, { hvo: true });
    expect([off.hvo, on.hvo]).toEqual([false, true]);
    const today = (b: ReturnType<typeof bill>) => b.designs.find((d) => d.design === "today")!;
    expect(today(off).total).toBe(32 * MiB);
    // mm/hugetlb_vmemmap.c frees 7 of 8 vmemmap pages of a 2 MiB folio and 4,095 of 4,096 of a 1 GiB one.
    expect(today(on).total).toBe(512 * 4096 + 4096);
    expect(today(on).uses[0]!.arithmetic).toBe("512 × 4,096 + 1 × 4,096 = 2,101,248");
    // The memdesc designs are unchanged, so the saving shrinks.
    const m8 = (b: ReturnType<typeof bill>) => b.designs.find((d) => d.design === "memdesc-8")!;
    expect(m8(on).total).toBe(m8(off).total);
    expect(m8(on).savingVsToday).toBe(today(on).total - m8(on).total);
    // The picture can say HVO was on; the option overrides it.
    expect(bill(registry, { ...picture, hvo: true }).hvo).toBe(true);
    expect(bill(registry, { ...picture, hvo: true }, { hvo: false }).hvo).toBe(false);
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
    expect(totals(b)["memdesc-8"]).toBe(64 + 8 * 4);
  });

  it("rejects a picture whose orders disagree with its counts, naming the field", () => {
    expect(() => bill(registry, { uses: { file: { pages: 4, descriptors: 3, orders: { 1: 2 } } } })).toThrow(
      /uses\.file\.orders: orders sum to 2, not 3/,
    );
  });
});
