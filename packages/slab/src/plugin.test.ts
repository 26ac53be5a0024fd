import {
  bill,
  c,
  createRegistry,
  designs,
  findField,
  layoutOf,
  linux618,
  PluginOptionsError,
} from "@memdesc/core";
import { describe, expect, it } from "vitest";
import { memdescSlab } from "./memdesc.js";
import { slab } from "./plugin.js";

const designNames = Object.keys(designs) as (keyof typeof designs)[];

describe("the memdesc-era struct slab", () => {
  it("drops __page_type and __page_refcount and keeps its memory's pfn: 56 bytes of fields and the pfn, 64", () => {
    const l = layoutOf(memdescSlab(), { config: linux618 });
    expect(
      l.fields.filter((f) => f.depth === 0 && !f.anonymous).map((f) => [f.path, f.offset, f.size]),
    ).toEqual([
      ["flags", 0, 8],
      ["slab_cache", 8, 8],
      ["obj_exts", 48, 8],
      ["pfn", 56, 8],
    ]);
    expect(findField(l, "freelist")?.offset).toBe(32);
    expect(findField(l, "__page_refcount")).toBeUndefined();
    // The pfn fills what freelist_aba_t's 16-byte alignment padded.
    expect([l.size, l.align, l.padding]).toEqual([64, 16, 0]);
  });

  it("is 32 bytes on i386 (28 of fields, a 4-byte pfn), a multiple of 16 already", () => {
    const l = layoutOf(memdescSlab(), { abi: "ilp32", config: linux618 });
    expect([l.size, l.align]).toEqual([32, 4]);
    const r = createRegistry({ abi: "ilp32", plugins: [slab()] });
    expect(r.descriptorSize("slab", 0)).toEqual({ variant: "default", size: 32, rounded: 32 });
  });
});

describe("slab()", () => {
  it("defines the slab kind for slab pages", () => {
    const s = slab();
    expect([s.name, s.kind, s.title, s.storage, s.uses, s.fallbackUses]).toEqual([
      "@memdesc/slab",
      "slab",
      "struct slab",
      "pointer",
      ["slab"],
      [],
    ]);
    expect(s.tag).toBeUndefined();
  });

  it.each(designNames)("in design %s: the table's tag, 64-byte descriptors, rules passing", (design) => {
    const r = createRegistry({ design, plugins: [slab()] });
    const tags: Record<string, number | undefined> = {
      today: undefined,
      // The 32-byte path table names no slab type; 5 is the lowest tag that neither reads as Buddy nor is reserved.
      "path-32": 5,
      "buddy-16": 5,
      "memdesc-8": 5,
      "memdesc-8-2025": 5,
      "memdesc-8-v1": 4,
    };
    expect(r.tagOf("slab")).toBe(tags[design]);
    expect(r.descriptorSize("slab", 0)).toEqual({ variant: "default", size: 64, rounded: 64 });
    expect(r.todayLayout("slab").size).toBe(64);
    expect(
      r.checkOverlays()[0]!.results.filter((x) => x.status === "fail" || x.status === "missing"),
    ).toEqual([]);
  });

  it("reproduces worked example 3: order-1 slabs cost 16, 16 and 10 MiB per GiB, and memdesc-8's free-list arrays 1 MiB more", () => {
    const r = createRegistry({ plugins: [slab()] });
    const GiB = 262_144;
    const b = bill(r, { uses: { slab: { pages: GiB, descriptors: GiB / 2, orders: { 1: GiB / 2 } } } });
    const total = (d: string) => b.designs.find((x) => x.design === d)!.total;
    expect([total("today"), total("path-32"), total("memdesc-8")]).toEqual([
      16_777_216,
      16_777_216,
      10_485_760 + 4 * GiB,
    ]);
  });

  it("grows the memdesc-era struct slab by extra fields", () => {
    const r = createRegistry({ plugins: [slab({ extraFields: [["sheaf", "struct slab_sheaf *"]] })] });
    expect(r.descriptorSize("slab", 0)).toEqual({ variant: "default", size: 80, rounded: 80 });
    const r2 = createRegistry({
      plugins: [
        slab({
          extraFields: [
            ["a", c.ulong],
            ["b", c.ulong],
          ],
        }),
      ],
    });
    expect(r2.descriptorSize("slab", 0)).toEqual({ variant: "default", size: 80, rounded: 80 });
    expect(r.provenanceOf("slab").fields.pfn).toMatchObject({ basis: "inferred" });
  });

  it("rejects bad options with one error naming the factory and the option", () => {
    const issuesOf = (f: () => unknown) => {
      try {
        f();
      } catch (e) {
        expect(e).toBeInstanceOf(PluginOptionsError);
        expect(e).toMatchObject({ code: "BAD_PLUGIN_OPTIONS", subject: "slab() options" });
        return (e as PluginOptionsError).issues.map(({ path, message }) => ({ path, message }));
      }
      throw new Error("no error");
    };
    expect(issuesOf(() => slab({ extra: [] } as never))).toEqual([
      { path: [], message: 'Unrecognized key: "extra"' },
    ]);
    expect(issuesOf(() => slab({ extraFields: [[42, c.int]] as never }))).toEqual([
      { path: ["extraFields", 0], message: "member name 42 is not a C identifier" },
    ]);
    expect(issuesOf(() => slab({ extraFields: [["inuse", c.int]] }))).toEqual([
      {
        path: [],
        message:
          'the memdesc-era struct slab does not lay out (lp64): struct slab, field inuse: duplicate field name "inuse"',
      },
    ]);
  });
});
