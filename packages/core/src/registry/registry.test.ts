import { describe, expect, it } from "vitest";
import { z } from "zod";
import { c } from "../ctype/dsl.js";
import { defineDesign } from "../design/schema.js";
import { overlay } from "../overlay/rules.js";
import { defineDescriptor } from "../plugin/define.js";
import { KN_M } from "../provenance/sources.js";
import { refFolio, refPtdesc, refSlab } from "../testing/reference.js";
import { createRegistry } from "./registry.js";

const tiny = (kind: string, tag?: number | Record<string, number>) =>
  defineDescriptor({
    name: `memdesc-plugin-${kind}`,
    kind,
    title: `struct ${kind}`,
    ...(tag !== undefined ? { tag } : {}),
    today: c.struct(kind, [["x", c.ulong]]),
    memdesc: c.struct(`${kind}_md`, [["x", c.ulong]]),
    schema: z.object({}),
  });

describe("createRegistry", () => {
  it("assigns tags from the design's type table and built-in inline kinds", () => {
    const r = createRegistry({ design: "memdesc-8", plugins: [refFolio, refSlab, refPtdesc] });
    expect(r.kinds).toEqual(["buddy", "misc", "folio", "slab", "ptdesc"]);
    expect([r.tagOf("misc"), r.tagOf("buddy"), r.tagOf("folio"), r.tagOf("slab"), r.tagOf("ptdesc")]).toEqual(
      [0, 1, 2, 5, 8],
    );
    expect(r.kindOf(5)).toBe("slab");
    // The 2025 revision had PageTable at 7.
    expect(r.withDesign("memdesc-8-2025").tagOf("ptdesc")).toBe(7);
    const v1 = r.withDesign("memdesc-8-v1");
    expect([v1.tagOf("folio"), v1.tagOf("slab"), v1.tagOf("ptdesc"), v1.tagOf("buddy")]).toEqual([
      1, 4, 9, 5,
    ]);
  });

  it("gives unnamed kinds the lowest tags nobody has a claim on, as this project's proposal", () => {
    const r = createRegistry({ plugins: [refFolio, tiny("ioptdesc"), tiny("zpdesc")] });
    // The current table names ZPDesc (12) and gives 11 to acctmem: ioptdesc takes 14, the first unassigned tag.
    expect([r.tagOf("ioptdesc"), r.tagOf("zpdesc")]).toEqual([14, 12]);
    const rows = new Map(r.typeTable().map((row) => [row.kind, row]));
    expect(rows.get("zpdesc")!.provenance).toMatchObject({ basis: "plan", page: KN_M });
    expect(rows.get("ioptdesc")!.provenance).toEqual({
      basis: "proposal",
      by: "memdesc",
      reasoning:
        "the memdesc-8 table names no ioptdesc type; it takes tag 14, the lowest free one: the memdesc-8 table leaves tag 14 unassigned",
    });
    // A tag a plugin asks for off the table is the plugin's proposal.
    const asked = createRegistry({ plugins: [tiny("ioptdesc", 15)] });
    expect(asked.typeTable().find((row) => row.kind === "ioptdesc")!.provenance).toMatchObject({
      basis: "proposal",
      by: "memdesc-plugin-ioptdesc",
    });
  });

  it("never gives another kind a tag that reads as Buddy in the 32-byte design", () => {
    const kinds = ["a", "b", "c", "d", "e", "f", "g", "h"].map((k) => tiny(k));
    const r = createRegistry({ design: "path-32", plugins: kinds });
    const tags = kinds.map((p) => r.tagOf(p.kind as never)!);
    expect(tags.every((t) => (t & 3) !== 0)).toBe(true);
    expect(new Set(tags).size).toBe(tags.length);
    expect(() => createRegistry({ design: "path-32", plugins: [tiny("x", 8)] })).toThrow(
      'plugin "memdesc-plugin-x" (kind x) asks for tag 8, which reads as Buddy in design path-32 (low two bits 00)',
    );
  });

  it("names both plugins when two want one tag", () => {
    expect(() => createRegistry({ plugins: [tiny("alpha", 12), tiny("beta", { "memdesc-8": 12 })] })).toThrow(
      'plugin "memdesc-plugin-beta" (kind beta) and plugin "memdesc-plugin-alpha" (kind alpha) both want tag 12 in design memdesc-8',
    );
  });

  it("names the kinds that do not fit in the type bits", () => {
    const many = Array.from({ length: 15 }, (_, i) => tiny(`k${i}`));
    expect(() => createRegistry({ plugins: many })).toThrow(
      /design memdesc-8 has 4 type bits \(16 tags\) and no tag is left for k14 \(plugin "memdesc-plugin-k14"\)/,
    );
  });

  it("rejects a tag outside the type bits and a duplicate kind", () => {
    expect(() => createRegistry({ plugins: [tiny("x", 16)] })).toThrow(
      /asks for tag 16, but design memdesc-8 has 4 type bits/,
    );
    expect(() => createRegistry({ plugins: [tiny("x"), tiny("x")] })).toThrow(/both define kind "x"/);
    expect(() => createRegistry({ plugins: [{ kind: 3 } as never] })).toThrow(/is not a descriptor plugin/);
  });

  it("assigns no tags in today's design, which has no word", () => {
    const r = createRegistry({ design: "today", plugins: [refFolio] });
    expect(r.tagOf("folio")).toBeUndefined();
    expect(() => r.codec.encode({ kind: "folio", address: 16 })).toThrow(/has no memdesc word/);
  });

  it("lets the first primary claim own a use, and fallbacks fill the rest", () => {
    const anon = defineDescriptor({ ...tiny("anon"), uses: ["anon"] });
    const r = createRegistry({ plugins: [refFolio, anon] });
    expect([
      r.ownerOf("file"),
      r.ownerOf("anon"),
      r.ownerOf("ksm"),
      r.ownerOf("free"),
      r.ownerOf("zero"),
    ]).toEqual(["folio", "anon", "folio", "buddy", "misc"]);
    expect(r.ownerOf("iommu")).toBeUndefined();
  });

  it("rejects a plugin whose overlay rule names a field that does not exist", () => {
    const bad = defineDescriptor({
      ...tiny("bad"),
      overlay: [overlay.set("BAD_MATCH", "page", [overlay.match("lru", "nope")])],
    });
    expect(() => createRegistry({ plugins: [bad] })).toThrow(
      'plugin "memdesc-plugin-bad" (kind bad): overlay rule BAD_MATCH(lru, nope): struct bad has no field nope',
    );
  });

  it("validates values with the kind's schema and names plugin and field", () => {
    const r = createRegistry({ plugins: [refSlab] });
    expect(r.parse("slab", { inuse: 3, objects: 10 })).toEqual({ inuse: 3, objects: 10 });
    expect(() => r.parse("slab", { inuse: 3, objects: 40000 })).toThrow(
      'slab value (plugin "reference-slab"): objects: Too big: expected number to be <=32767',
    );
    expect(r.parse("buddy", { order: 3 })).toEqual({ order: 3 });
  });

  it("lists its type table", () => {
    const r = createRegistry({ plugins: [refFolio, tiny("ioptdesc")] });
    expect(r.typeTable().map((row) => [row.tag, row.kind, row.storage])).toEqual([
      [0, "misc", "inline"],
      [1, "buddy", "inline"],
      [2, "folio", "pointer"],
      [14, "ioptdesc", "pointer"],
    ]);
  });

  it("honours a user-defined design", () => {
    const wide = defineDesign({
      name: "wide-5",
      title: "5 type bits",
      entryBytes: 8,
      typeBits: 5,
      descriptorAlign: 32,
    });
    const many = Array.from({ length: 20 }, (_, i) => tiny(`k${i}`));
    const r = createRegistry({ design: wide, plugins: many });
    expect(r.tagOf("k19")).toBe(21);
    expect(r.descriptorSize("k0")!.rounded).toBe(32);
  });
});

describe("defineDescriptor and defineDesign", () => {
  it("rejects a plugin without a name or kind, naming what it can", () => {
    expect(() => defineDescriptor({ kind: "x", title: "t", schema: z.object({}) } as never)).toThrow(
      'plugin of kind "x" (no name): name: every plugin needs a name: its npm package name',
    );
    expect(() => defineDescriptor({ name: "p", title: "t", schema: z.object({}) } as never)).toThrow(
      'plugin "p": kind: every plugin needs a kind',
    );
    expect(() =>
      defineDescriptor({ name: "p", kind: "Bad Kind", title: "t", storage: "inline", schema: z.object({}) }),
    ).toThrow('plugin "p": kind: must be lower-case letters, digits and dashes');
  });

  it("requires a zod schema, and both layouts of a pointer kind", () => {
    expect(() =>
      defineDescriptor({ name: "p", kind: "p", title: "t", storage: "inline", schema: {} as never }),
    ).toThrow('plugin "p": schema: must be a zod schema');
    expect(() => defineDescriptor({ name: "p", kind: "p", title: "t", schema: z.object({}) })).toThrow(
      /plugin "p":\n {2}today: a pointer kind needs today's layout\n {2}memdesc: a pointer kind needs its memdesc-era layout/,
    );
  });

  it("validates designs", () => {
    expect(() =>
      defineDesign({
        name: "x",
        title: "x",
        entryBytes: 8,
        typeBits: 4,
        typeTable: [{ tag: 16, meaning: "?", storage: "pointer" }],
      }),
    ).toThrow('design "x": typeTable[0].tag: tag 16 does not fit in 4 type bits');
    expect(() =>
      defineDesign({ name: "x", title: "x", entryBytes: 8, typeBits: 5, descriptorAlign: 16 }),
    ).toThrow(/descriptorAlign: descriptors aligned to 16 leave fewer than 5 low bits free/);
  });
});
