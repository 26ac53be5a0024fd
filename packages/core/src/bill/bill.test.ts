import { describe, expect, it } from "vitest";
import { MemdescError } from "../errors.js";
import { createRegistry } from "../registry/registry.js";
import { refFolio, refPtdesc, refSlab } from "../testing/reference.js";
import { bill, billSchema } from "./bill.js";
import { memoryUseNames } from "./uses.js";

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

  it("says a bad picture is a bad memory picture, with its code", () => {
    try {
      bill(registry, { uses: { anon: { pages: -1, descriptors: 0 } } });
      expect.unreachable();
    } catch (e) {
      expect((e as { code: string }).code).toBe("BAD_PICTURE");
      expect((e as Error).message).toMatch(/memory picture/);
    }
  });

  it("refuses a use no composed plugin declares, naming it; told to warn, bills its pages as entries only", () => {
    const picture = {
      uses: { free: { pages: 24, descriptors: 0 }, mystery: { pages: 1234, descriptors: 0 } },
    };
    let err: unknown;
    try {
      bill(registry, picture);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(MemdescError);
    expect(err).toMatchObject({
      code: "BAD_PICTURE",
      subject: "memory picture",
      issues: [
        {
          path: ["uses", "mystery"],
          message: `not a memory use: neither core's nor one a composed plugin declares (uses: ${registry.uses.join(", ")})`,
        },
      ],
    });
    const b = bill(registry, picture, { unknownUses: "warn" });
    expect(b.warnings).toEqual([
      "mystery is not one of core's memory uses and no composed plugin declares it: its 1,234 pages are billed as page entries only",
    ]);
    expect(b.ramPages).toBe(24 + 1234);
    // Page entries only: 64 bytes a page today, 8 in memdesc-8, with its 4-byte free-list slot per page of RAM.
    expect(totals(b).today).toBe((24 + 1234) * 64);
    expect(totals(b)["memdesc-8"]).toBe((24 + 1234) * (8 + 4));
  });

  it("rejects a picture whose orders disagree with its counts, naming the field", () => {
    expect(() => bill(registry, { uses: { file: { pages: 4, descriptors: 3, orders: { 1: 2 } } } })).toThrow(
      /uses\.file\.orders: orders sum to 2, not 3/,
    );
  });
});

describe("bill: a use with no order histogram", () => {
  // Without orders every descriptor is priced as order 0, as the warning says: for every use, the same bill as
  // the picture whose histogram puts them all at order 0, and unlike one that puts them at order 1 wherever a
  // plugin sizes the two orders apart.
  const picture = (use: string, orders?: Record<string, number>) => ({
    uses: { [use]: { pages: 512, descriptors: use === "hole" ? 0 : 64, ...(orders ? { orders } : {}) } },
  });
  for (const use of memoryUseNames) {
    it(`${use}: priced as order 0, with the warning`, () => {
      const bare = bill(registry, picture(use));
      const descriptors = use === "hole" ? 0 : 64;
      expect(bare.designs).toEqual(bill(registry, picture(use, { 0: descriptors })).designs);
      if (descriptors)
        expect(bare.warnings).toContain(
          `${use}: no order histogram, so all 64 descriptors are priced as order 0`,
        );
      const sizes = [0, 1].map((o) => {
        const owner = registry.ownerOf(use as never);
        return owner && registry.plugin(owner).storage !== "inline"
          ? registry.descriptorSize(owner, o, use as never)?.size
          : undefined;
      });
      if (descriptors && sizes[0] !== sizes[1])
        expect(bare.designs).not.toEqual(bill(registry, picture(use, { 1: descriptors })).designs);
    });
  }

  it("anonymous folios with no histogram are small folios: 64 × 80 bytes, not 64 × 128", () => {
    const b = bill(registry, picture("anon"));
    const use = b.designs.find((d) => d.design === "memdesc-8")!.uses.find((u) => u.use === "anon")!;
    expect(use.descriptorBytes).toBe(64 * 80);
    expect(use.terms.at(-1)).toMatchObject({ count: 64, size: 80, bytes: 64 * 80 });
  });
});

describe("bill: every line of it", () => {
  const design = (b: ReturnType<typeof bill>, name: string) => b.designs.find((d) => d.design === name)!;
  const useOf = (b: ReturnType<typeof bill>, name: string, use: string) =>
    design(b, name).uses.find((u) => u.use === use)!;

  it("is what its schema says, and carries the picture's source only when it has one", () => {
    const b = bill(registry, {
      source: "snapshot of host-a",
      uses: { anon: { pages: 16, descriptors: 16, orders: { 0: 16 } }, hole: { pages: 4, descriptors: 0 } },
    });
    expect(billSchema.parse(b)).toEqual(b);
    expect(b.source).toBe("snapshot of host-a");
    expect("source" in bill(registry, { uses: { free: { pages: 1, descriptors: 0 } } })).toBe(false);
  });

  it("MiB and percent of RAM: 16 MiB of today's entries are 1.5625% of 1 GiB; no RAM is 0%", () => {
    const b = bill(registry, { uses: { anon: { pages: GiB, descriptors: GiB, orders: { 0: GiB } } } });
    expect(design(b, "today")).toMatchObject({ total: 16 * MiB, mib: 16, percentOfRam: 1.5625 });
    const none = bill(registry, { uses: { hole: { pages: 64, descriptors: 0 } } });
    expect(none.designs.map((d) => [d.total, d.percentOfRam])).toEqual(none.designs.map(() => [0, 0]));
  });

  it("saves against today's total even when today is not among the designs asked for", () => {
    const picture = { uses: { anon: { pages: 1024, descriptors: 1024, orders: { 0: 1024 } } } };
    const b = bill(registry, picture, { designs: ["memdesc-8"] });
    expect(b.designs.map((d) => d.design)).toEqual(["memdesc-8"]);
    expect(b.designs[0]!.savingVsToday).toBe(1024 * 64 - b.designs[0]!.total);
  });

  it("prices the registry's design too when it is not one of the four billed", () => {
    const names = (r: typeof registry) => bill(r, { uses: {} }).designs.map((d) => d.design);
    expect(names(registry)).toEqual(["today", "path-32", "buddy-16", "memdesc-8"]);
    const v1 = createRegistry({ design: "memdesc-8-v1", plugins: [refFolio, refSlab, refPtdesc] });
    expect(names(v1)).toEqual(["today", "path-32", "buddy-16", "memdesc-8", "memdesc-8-v1"]);
  });

  it("warns only about uses that have descriptors", () => {
    const r = createRegistry({ plugins: [refFolio] });
    const b = bill(r, {
      uses: {
        slab: { pages: 8, descriptors: 0 },
        anon: { pages: 8, descriptors: 0 },
        free: { pages: 8, descriptors: 0 },
      },
    });
    expect(b.warnings).toEqual([]);
  });

  it("no warning for described uses with histograms; no note and no term for what has nothing to bill", () => {
    const r = createRegistry({ plugins: [refFolio] });
    const b = bill(r, {
      uses: {
        anon: { pages: 4, descriptors: 2, orders: { 0: 2, 2: 0 } },
        pagetable: { pages: 4, descriptors: 0 },
      },
    });
    expect(b.warnings).toEqual([]);
    const m8 = (use: string) => useOf(b, "memdesc-8", use);
    // An order with no folios adds no term, even for a variant nothing else uses.
    expect(m8("anon").terms.map((t) => t.what)).toEqual(["page entries", "folio descriptors (small)"]);
    // No plugin, but no descriptors either: nothing to note.
    expect(m8("pagetable")).toEqual({
      use: "pagetable",
      pages: 4,
      descriptors: 0,
      entryBytes: 32,
      descriptorBytes: 0,
      total: 32,
      terms: [{ what: "page entries", count: 4, size: 8, bytes: 32 }],
      arithmetic: "4 × 8 = 32",
    });
  });

  it("HVO: a term per folio order that has folios, and page entries for pages no folio covers", () => {
    const b = bill(
      registry,
      { uses: { hugetlb: { pages: 1024 + 5, descriptors: 2, orders: { 9: 2, 10: 0 } } } },
      { hvo: true },
    );
    const u = useOf(b, "today", "hugetlb");
    expect(u.terms).toEqual([
      { what: "struct pages HVO keeps of order-9 hugetlb folios", count: 2, size: 4096, bytes: 8192 },
      { what: "page entries", count: 5, size: 64, bytes: 320 },
    ]);
    expect(u).toMatchObject({ entryBytes: 8512, descriptorBytes: 0, total: 8512 });
    expect(u.note).toBe(
      "HVO: each hugetlb folio keeps one page of struct pages (mm/hugetlb_vmemmap.c); descriptors overlay struct page",
    );
    // Fully covered: no page-entries term.
    const full = bill(
      registry,
      { uses: { hugetlb: { pages: 512, descriptors: 1, orders: { 9: 1 } } } },
      { hvo: true },
    );
    expect(useOf(full, "today", "hugetlb").terms.map((t) => t.what)).toEqual([
      "struct pages HVO keeps of order-9 hugetlb folios",
    ]);
    // HVO is about hugetlb only: anon folios keep every struct page.
    const anon = bill(
      registry,
      { uses: { anon: { pages: 512, descriptors: 1, orders: { 9: 1 } } } },
      { hvo: true },
    );
    expect(useOf(anon, "today", "anon").terms).toEqual([
      { what: "page entries", count: 512, size: 64, bytes: 32768 },
    ]);
  });

  it("notes, terms and arithmetic per use: holes, overlays, no plugin, inline kinds, variants", () => {
    const r = createRegistry({ plugins: [refFolio, refSlab] });
    const b = bill(r, {
      uses: {
        hole: { pages: 4, descriptors: 0 },
        free: { pages: 8, descriptors: 2, orders: { 2: 2 } },
        pagetable: { pages: 2, descriptors: 2, orders: { 0: 2 } },
        slab: { pages: 4, descriptors: 2, orders: { 1: 2 } },
        anon: { pages: 6, descriptors: 3, orders: { 0: 2, 2: 1, 3: 0 } },
        kernel: { pages: 3, descriptors: 0 },
      },
    });
    expect(useOf(b, "today", "anon").note).toBe("descriptors overlay struct page");
    const m8 = (use: string) => useOf(b, "memdesc-8", use);
    expect(m8("hole")).toEqual({
      use: "hole",
      pages: 4,
      descriptors: 0,
      entryBytes: 0,
      descriptorBytes: 0,
      total: 0,
      terms: [],
      arithmetic: "0",
      note: "no RAM, so no struct page",
    });
    expect(m8("pagetable")).toMatchObject({ note: "no plugin describes these pages", descriptorBytes: 0 });
    expect("kind" in m8("pagetable")).toBe(false);
    expect(m8("free")).toMatchObject({
      kind: "buddy",
      note: "buddy data is inline in the word",
      descriptorBytes: 0,
    });
    expect(m8("slab").terms.at(-1)).toEqual({ what: "slab descriptors", count: 2, size: 64, bytes: 128 });
    expect("note" in m8("slab")).toBe(false);
    expect(m8("anon").terms.slice(1)).toEqual([
      { what: "folio descriptors (small)", count: 2, size: 80, bytes: 160 },
      { what: "folio descriptors (large)", count: 1, size: 128, bytes: 128 },
    ]);
    expect(m8("anon").arithmetic).toBe("6 × 8 + 2 × 80 + 1 × 128 = 336");
    expect(m8("kernel")).toMatchObject({ terms: [{ what: "page entries", count: 3, size: 8, bytes: 24 }] });
    expect("note" in m8("kernel")).toBe(false);
  });
});
