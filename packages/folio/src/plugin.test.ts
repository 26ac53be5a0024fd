import {
  type AnyDescriptor,
  bill,
  c,
  createRegistry,
  designs,
  MemdescError,
  PluginOptionsError,
} from "@memdesc/core";
import { describe, expect, expectTypeOf, it } from "vitest";
import { FolioError } from "./errors.js";
import { anonFolioFieldUses } from "./memdesc.js";
import { anonFolio, folio } from "./plugin.js";

const designNames = Object.keys(designs) as (keyof typeof designs)[];

describe("folio() and anonFolio()", () => {
  it("define the folio and anon kinds with the uses the memdesc tables give them", () => {
    const f = folio();
    const a = anonFolio();
    expect([f.name, f.kind, f.title, f.storage]).toEqual([
      "@memdesc/folio",
      "folio",
      "struct folio",
      "pointer",
    ]);
    expect([f.uses, f.fallbackUses]).toEqual([
      ["file", "hugetlb"],
      ["anon", "ksm"],
    ]);
    expect([a.kind, a.title, a.uses, a.fallbackUses]).toEqual([
      "anon",
      "struct anon_folio",
      ["anon"],
      ["ksm"],
    ]);
    expect(a.today).toBe(f.today);
    expect(f.tag).toBeUndefined();
  });

  it("claim anonymous memory for the anon kind when both are registered, and fall back to folio otherwise", () => {
    const both = createRegistry({ plugins: [folio(), anonFolio()] });
    expect([both.ownerOf("file"), both.ownerOf("anon"), both.ownerOf("hugetlb")]).toEqual([
      "folio",
      "anon",
      "folio",
    ]);
    // KSM pages are a fallback of both; core gives a fallback use to the most specific claimant, in any order.
    expect(both.ownerOf("ksm")).toBe("anon");
    expect(createRegistry({ plugins: [anonFolio(), folio()] }).ownerOf("ksm")).toBe("anon");
    const alone = createRegistry({ plugins: [folio()] });
    expect([alone.ownerOf("anon"), alone.ownerOf("ksm")]).toEqual(["folio", "folio"]);
    expectTypeOf(both.kinds).toEqualTypeOf<readonly ("buddy" | "misc" | "folio" | "anon")[]>();
  });

  it.each(designNames)(
    "in design %s: tags from the design's table and sizes from the field lists",
    (design) => {
      const r = createRegistry({ design, plugins: [folio(), anonFolio()] });
      const expectedTags: Record<string, [number | undefined, number | undefined]> = {
        today: [undefined, undefined],
        "path-32": [2, 3],
        "buddy-16": [2, 3],
        "memdesc-8": [2, 3],
        "memdesc-8-2025": [2, 3],
        "memdesc-8-v1": [1, 2],
      };
      expect([r.tagOf("folio"), r.tagOf("anon")]).toEqual(expectedTags[design]);
      for (const kind of ["folio", "anon"] as const) {
        expect(r.descriptorSize(kind, 0)).toEqual({ variant: "small", size: 80, rounded: 80 });
        expect(r.descriptorSize(kind, 1)).toEqual({ variant: "large", size: 128, rounded: 128 });
        expect(r.descriptorSize(kind, 18)).toEqual({ variant: "large", size: 128, rounded: 128 });
      }
      expect(r.checkOverlays().flatMap((o) => o.results.filter((x) => x.status === "fail"))).toEqual([]);
    },
  );

  it("lays out for i386 too: 48 and 80 bytes", () => {
    const r = createRegistry({ abi: "ilp32", plugins: [folio()] });
    expect(r.descriptorSize("folio", 0)).toEqual({ variant: "small", size: 48, rounded: 48 });
    expect(r.descriptorSize("folio", 9)).toEqual({ variant: "large", size: 80, rounded: 80 });
    expect(r.todayLayout("folio").size).toBe(160);
  });

  it("rejects an order no folio has when asked for its descriptor", () => {
    const r = createRegistry({ plugins: [folio()] });
    expect(() => r.descriptorSize("folio", 11)).toThrow(
      new FolioError("BAD_ORDER", "order 11 is not a folio order (0..10, or hugetlb 9 or 18)"),
    );
  });

  it("reproduces the worked examples 1 and 2 (docs/kernel.md, Worked examples), memdesc-8 with its 1 MiB of arrays", () => {
    const r = createRegistry({ plugins: [folio(), anonFolio()] });
    const GiB = 262_144;
    const order0 = bill(r, { uses: { anon: { pages: GiB, descriptors: GiB, orders: { 0: GiB } } } });
    const total = (b: typeof order0, d: string) => b.designs.find((x) => x.design === d)!.total;
    expect([total(order0, "today"), total(order0, "path-32"), total(order0, "memdesc-8")]).toEqual([
      16_777_216,
      29_360_128,
      23_068_672 + 4 * GiB,
    ]);
    const order9 = bill(r, { uses: { file: { pages: GiB, descriptors: 512, orders: { 9: 512 } } } });
    expect([total(order9, "path-32"), total(order9, "memdesc-8")]).toEqual([8_454_144, 2_162_688 + 4 * GiB]);
    expect(order9.designs.find((x) => x.design === "memdesc-8")!.uses[0]!.arithmetic).toBe(
      "262,144 × 8 + 512 × 128 = 2,162,688",
    );
  });

  it("answers 'what if struct folio grows to 128 bytes' with one option", () => {
    const r = createRegistry({ plugins: [folio({ extraFields: [["_grow", c.array(c.u8, 48)]] })] });
    expect(r.descriptorSize("folio", 0)).toEqual({ variant: "small", size: 128, rounded: 128 });
    expect(r.descriptorSize("folio", 2)).toEqual({ variant: "large", size: 176, rounded: 176 });
    const odd = createRegistry({ plugins: [folio({ extraLargeFields: [["_x", c.uint]] })] });
    expect(odd.descriptorSize("folio", 2)).toEqual({ variant: "large", size: 136, rounded: 144 });
    // The hugetlb variant takes the large-only fields too.
    expect(odd.descriptorSize("folio", 9, "hugetlb")).toEqual({
      variant: "hugetlb",
      size: 168,
      rounded: 176,
    });
  });

  it("gives hugetlb folios their hugetlb fields in the memdesc era: 160 bytes, whatever the order", () => {
    const r = createRegistry({ plugins: [folio()] });
    expect(r.descriptorSize("folio", 9, "hugetlb")).toEqual({ variant: "hugetlb", size: 160, rounded: 160 });
    expect(r.descriptorSize("folio", 18, "hugetlb")).toEqual({ variant: "hugetlb", size: 160, rounded: 160 });
    // A THP of the same order is a large folio: 128.
    expect(r.descriptorSize("folio", 9, "file")).toEqual({ variant: "large", size: 128, rounded: 128 });
    expect(r.provenanceOf("folio").memdesc).toMatchObject({
      small: { basis: "plan", page: "kernelnewbies.org/MatthewWilcox/Memdescs/Path" },
      large: { basis: "inferred" },
      hugetlb: { basis: "inferred", from: expect.stringMatching(/_hugetlb_subpool/) },
    });
    // The bill prices a GiB of 2 MiB hugetlb folios with it: 512 × 160 after the entries.
    const GiB = 262_144;
    const b = bill(r, { uses: { hugetlb: { pages: GiB, descriptors: 512, orders: { 9: 512 } } } });
    expect(b.designs.find((d) => d.design === "memdesc-8")!.uses[0]!.arithmetic).toBe(
      "262,144 × 8 + 512 × 160 = 2,179,072",
    );
  });

  it("derives struct anon_folio field by field: every planned folio field is used by anonymous memory", () => {
    const r = createRegistry({ plugins: [folio(), anonFolio()] });
    const fields = (kind: "folio" | "anon", v: string) =>
      r
        .memdescLayouts(kind)
        [v]!.fields.filter((f) => f.depth === 0 && !f.anonymous)
        .map((f) => f.path);
    expect(Object.keys(r.memdescLayouts("anon"))).toEqual(["small", "large"]);
    for (const v of ["small", "large"]) {
      expect(fields("anon", v)).toEqual(fields("folio", v));
      for (const f of fields("anon", v)) expect(anonFolioFieldUses[f], f).toBeDefined();
    }
    expect(r.memdescLayouts("anon").small!.name).toBe("anon_folio");
    expect([r.descriptorSize("anon", 0)?.size, r.descriptorSize("anon", 9)?.size]).toEqual([80, 128]);
    expect(r.provenanceOf("anon").memdesc.small).toMatchObject({
      basis: "inferred",
      reasoning: expect.stringMatching(/anon_folio is named by the plan .* its fields are not published/),
    });
  });

  it("rejects bad options with one error naming the factory, each key and the problem", () => {
    const err = (f: () => unknown) => {
      try {
        f();
      } catch (e) {
        expect(e).toBeInstanceOf(PluginOptionsError);
        expect(e).toBeInstanceOf(MemdescError);
        const { code, subject, issues } = e as PluginOptionsError;
        return { code, subject, issues: issues.map(({ path, message }) => ({ path, message })) };
      }
      throw new Error("no error");
    };
    const folioOptions = (path: (string | number)[], message: string) => ({
      code: "BAD_PLUGIN_OPTIONS",
      subject: "folio() options",
      issues: [{ path, message }],
    });
    expect(err(() => folio({ extraFeilds: [] } as never))).toEqual(
      folioOptions([], 'Unrecognized key: "extraFeilds"'),
    );
    expect(err(() => folio({ extraFields: [["2nd", c.int]] }))).toEqual(
      folioOptions(["extraFields", 0], 'member name "2nd" is not a C identifier'),
    );
    expect(err(() => anonFolio({ extraFields: [["x"] as never] }))).toEqual({
      ...folioOptions(["extraFields", 0], "a member is [name, type] or [name, type, attrs]"),
      subject: "anonFolio() options",
    });
    expect(err(() => folio({ extraFields: "_grow" as never }))).toEqual(
      folioOptions(["extraFields"], "Invalid input: expected array, received string"),
    );
    expect(err(() => folio({ hugetlbFields: true } as never))).toEqual(
      folioOptions([], 'Unrecognized key: "hugetlbFields"'),
    );
    // Every layout the option breaks is an issue of its own.
    expect(err(() => folio({ extraFields: [["_mapcount", c.int]] })).issues).toEqual(
      [
        ["small", "folio"],
        ["large", "folio_large"],
        ["hugetlb", "folio_hugetlb"],
      ].map(([v, s]) => ({
        path: [],
        message: `the ${v} memdesc-era folio does not lay out (lp64): struct ${s}, field _mapcount: duplicate field name "_mapcount"`,
      })),
    );
    expect(err(() => folio({ extraLargeFields: [["_pool", "struct folio_pool"]] })).issues).toEqual(
      [
        ["large", "folio_large"],
        ["hugetlb", "folio_hugetlb"],
      ].map(([v, s]) => ({
        path: [],
        message: `the ${v} memdesc-era folio does not lay out (lp64): struct ${s}, field _pool: unknown C type "struct folio_pool"`,
      })),
    );
  });

  it("is a plain plugin object that composes with others", () => {
    const plugins: AnyDescriptor[] = [folio(), anonFolio()];
    expect(Object.isFrozen(plugins[0])).toBe(true);
  });
});
