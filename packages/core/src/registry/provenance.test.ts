import { describe, expect, it } from "vitest";
import { z } from "zod";
import { c, type MemberSpec } from "../ctype/dsl.js";
import { defineDescriptor } from "../plugin/define.js";
import { inferred, kernel, plan, proposal } from "../provenance/provenance.js";
import { refFolio, refPtdesc, refSlab } from "../testing/reference.js";
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
});
