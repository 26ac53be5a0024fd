import { describe, expect, it } from "vitest";
import { z } from "zod";
import { refFolio, refPtdesc, refSlab } from "../../test/reference-plugins.js";
import { c, type MemberSpec } from "../ctype/dsl.js";
import { createMemmap } from "../memmap/memmap.js";
import { defineDescriptor } from "../plugin/define.js";
import { inferred, kernel, plan, proposal } from "../provenance/provenance.js";
import { createRegistry } from "./registry.js";

const desc = (extra: Record<string, unknown>, members: readonly MemberSpec[] = [["x", c.ulong]]) =>
  defineDescriptor({
    name: "memdesc-plugin-thing",
    kind: "thing",
    title: "struct thing",
    uses: ["kernel"],
    today: c.struct("thing", [["x", c.ulong]]),
    memdesc: c.struct("thing_md", members),
    schema: z.object({}),
    ...extra,
  });

describe("plugins declare where their layouts come from", () => {
  it("per layout, per memdesc-era variant, and per field", () => {
    const r = createRegistry({ plugins: [refFolio, refSlab] });
    expect(r.provenanceOf("folio")).toEqual({
      today: kernel("include/linux/mm_types.h", "6.18"),
      memdesc: {
        small: plan("kernelnewbies.org/MatthewWilcox/Memdescs/Path", "print revision"),
        large: plan("kernelnewbies.org/MatthewWilcox/Memdescs/Path", "print revision"),
      },
      fields: {},
    });
    expect(r.provenanceOf("slab").fields.pfn).toMatchObject({ basis: "inferred" });
    // Undeclared is undeclared, never guessed.
    expect(r.provenanceOf("buddy")).toEqual({ today: undefined, memdesc: {}, fields: {} });
  });

  it("validates them with zod, naming the key", () => {
    expect(() => desc({ provenance: { today: { basis: "kernel", file: "mm/x.c" } } })).toThrow(
      /provenance\.today\.release: Invalid input/,
    );
    expect(() => desc({ provenance: { memdesc: { basis: "rumour", reasoning: "x" } } })).toThrow(
      /provenance\.memdesc/,
    );
    expect(() => desc({ provenance: { memdesc: { large: proposal("x") } } })).toThrow(
      /provenance\.memdesc\.large: no memdesc-era variant "large" \(variants: default\)/,
    );
    expect(() => desc({ provenance: { fields: { x: inferred("") } } })).toThrow(
      /provenance\.fields\.x\.reasoning/,
    );
    expect(
      desc({ provenance: { fields: { x: proposal("mine", "memdesc-plugin-thing") } } }).provenance,
    ).toEqual({
      fields: { x: { basis: "proposal", reasoning: "mine", by: "memdesc-plugin-thing" } },
    });
  });
});

describe("a separately allocated descriptor's way back to its memory", () => {
  it("is its pfn field by default, a declared field, or a stated other way", () => {
    const r = createRegistry({
      plugins: [
        refFolio,
        refSlab,
        refPtdesc,
        desc({ kind: "nopfn", name: "nopfn" }),
        desc({ kind: "viafield", name: "viafield", wayBack: { field: "where" } }, [
          ["x", c.ulong],
          ["where", c.ulong],
        ]),
        desc({
          kind: "other",
          name: "other",
          wayBack: { how: "its memory is the descriptor's own page", provenance: inferred("it is embedded") },
        }),
      ],
    });
    expect(r.wayBackOf("ptdesc")).toEqual({ field: "pfn" });
    expect(r.wayBackOf("nopfn" as never)).toBeUndefined();
    expect(r.wayBackOf("viafield" as never)).toEqual({ field: "where" });
    expect(r.wayBackOf("other" as never)).toMatchObject({ how: expect.any(String) });
    expect(r.wayBackOf("buddy")).toBeUndefined();
  });

  it("must name a field the layout has, wide enough for a PFN", () => {
    expect(() => createRegistry({ plugins: [desc({ wayBack: { field: "nowhere" } })] })).toThrow(
      /wayBack names field nowhere, which the memdesc-era layout does not have/,
    );
    expect(() =>
      createRegistry({
        plugins: [
          desc({ wayBack: { field: "b" } }, [
            ["x", c.ulong],
            ["b", c.u8],
          ]),
        ],
      }),
    ).toThrow(/has too narrow for a PFN/);
    expect(() =>
      defineDescriptor({
        name: "inline-thing",
        kind: "inl",
        title: "inline",
        storage: "inline",
        wayBack: { field: "pfn" },
        schema: z.object({}),
      }),
    ).toThrow(/wayBack: an inline kind has no descriptor/);
  });

  it("is what the simulator keeps the PFN in: a kind without one cannot be simulated", () => {
    const none = createRegistry({ plugins: [refFolio, refSlab, desc({})] });
    expect(() => createMemmap(none, { pages: 4096 })).toThrow(
      expect.objectContaining({
        code: "NO_WAY_BACK",
        message: expect.stringMatching(/kind thing: .*no pfn field/),
      }),
    );
    const other = createRegistry({
      plugins: [
        refFolio,
        refSlab,
        desc({ wayBack: { how: "from its owner's table", provenance: proposal("a test") } }),
      ],
    });
    expect(() => createMemmap(other, { pages: 4096 })).toThrow(
      /finds its memory without a PFN field \(from its owner's table\)/,
    );
    // With a pfn, the descriptor keeps it: what descriptorPfn() and the free path read.
    const m = createMemmap(createRegistry({ plugins: [refFolio, refSlab, refPtdesc] }), { pages: 4096 });
    const p = m.memdescAllocNode("ptdesc");
    expect(m.readField(p, "pfn")).toBe(BigInt(m.descriptorPfn(p)));
    expect(m.lookup(m.descriptorPfn(p))).toMatchObject({ descriptor: p, kind: "ptdesc" });
  });
});
