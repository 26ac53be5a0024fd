import { describe, expect, it } from "vitest";
import { KN_B, KN_M } from "../provenance/sources.js";
import { createRegistry } from "../registry/registry.js";
import { refFolio, refPtdesc, refSlab } from "../testing/reference.js";
import { buddy16, designs, memdesc8, memdesc8r2025, memdesc8v1 } from "./builtin.js";
import { defineDesign, designSchema } from "./schema.js";

const rows = (d: typeof memdesc8) => d.typeTable.map((e) => [e.tag, e.kind, e.storage]);

describe("the built-in designs", () => {
  // They are not parsed at load (builtin.ts): the schema must accept each and give it back unchanged, defaults
  // and all, or what ships differs from what defineDesign would make of the same rows.
  it.each(Object.entries(designs))("%s is what designSchema makes of it", (_, d) => {
    expect(designSchema.parse(d)).toStrictEqual(d);
  });

  it("memdesc-8 is the Memdescs page as it reads now: u64 word, Bump at 6, ptdesc at 8, ZPDesc at 12", () => {
    expect(memdesc8).toMatchObject({ entryBytes: 8, wordBits: 64, typeBits: 4 });
    expect(rows(memdesc8)).toEqual([
      [0, "misc", "inline"],
      [1, "buddy", "inline"],
      [2, "folio", "pointer"],
      [3, "anon", "pointer"],
      [4, "ksm", "pointer"],
      [5, "slab", "pointer"],
      [6, "netmem", "pointer"],
      [7, "movable", "pointer"],
      [8, "ptdesc", "pointer"],
      [9, "hwpoison", "pointer"],
      [10, "pcpudesc", "pointer"],
      [11, "acctmem", "pointer"],
      [12, "zpdesc", "pointer"],
      [13, "managed", "pointer"],
    ]);
    for (const e of memdesc8.typeTable)
      expect(e.provenance).toMatchObject({
        basis: "plan",
        page: KN_M,
        revision: "current revision, read 2026-11",
      });
    expect(memdesc8.typeTable[6]!.meaning).toMatch(/^Bump/);
    expect(memdesc8.typeTable[6]!.provenance).toMatchObject({ note: expect.stringMatching(/renamed bump/) });
  });

  it("keeps the earlier revisions as designs of their own, each with its page and revision", () => {
    expect(rows(memdesc8r2025).map(([t, k]) => `${t}:${k}`)).toEqual([
      "0:misc",
      "1:buddy",
      "2:folio",
      "3:anon",
      "4:ksm",
      "5:slab",
      "6:movable",
      "7:ptdesc",
      "8:netmem",
      "9:hwpoison",
      "10:pcpudesc",
    ]);
    expect(memdesc8r2025.provenance).toMatchObject({ page: KN_M, revision: "wiki-source revision of 2025" });
    expect(memdesc8v1.provenance).toMatchObject({ page: KN_M, revision: "older plain page, undated" });
    expect(memdesc8v1.typeTable.find((e) => e.kind === "folio")!.tag).toBe(1);
    for (const d of Object.values(designs)) {
      expect(d.provenance).toBeDefined();
      for (const e of d.typeTable) expect(e.provenance).toBeDefined();
    }
  });

  it("labels the 8-byte buddy encoding this project's proposal, and bills its free-list arrays", () => {
    const buddy = memdesc8.typeTable[1]!;
    expect(buddy.provenance).toMatchObject({ basis: "plan" });
    expect(buddy.payload!.map((f) => [f.name, f.provenance?.basis])).toEqual([
      ["order", "proposal"],
      ["tail", "proposal"],
      ["pcp", "proposal"],
      ["slot", "proposal"],
    ]);
    expect(memdesc8.outsideMemmap).toEqual([
      expect.objectContaining({
        bytesPerPage: 4,
        provenance: expect.objectContaining({ basis: "proposal" }),
      }),
    ]);
  });

  it("models buddy-16 as BuddyAllocator Option 1: next in word 0, order and prev in word 1, no arrays", () => {
    expect(buddy16.provenance).toMatchObject({ basis: "plan", page: KN_B });
    const buddy = buddy16.typeTable.find((e) => e.kind === "buddy")!;
    expect(buddy.payload!.map((f) => [f.name, f.word ?? 0, f.bit, f.width])).toEqual([
      ["next", 0, 4, 60],
      ["order", 1, 0, 4],
      ["prev", 1, 4, 60],
    ]);
    expect(buddy16.outsideMemmap).toEqual([]);
    expect(buddy16.typeTable.find((e) => e.kind === "ptdesc")!.tag).toBe(8);
  });

  it("keeps the word a u64 on 32-bit ABIs: the memdesc-8 bill pays 8 bytes a page for ilp32 too", () => {
    const r = createRegistry({ design: "memdesc-8", abi: "ilp32", plugins: [refFolio, refSlab, refPtdesc] });
    expect(r.design.wordBits).toBe(64);
    expect(r.design.entryBytes).toBe(8);
  });

  it("asks a 32-bit word for its reason, and places payload fields only in the entry's words", () => {
    const base = { name: "d", title: "d", typeBits: 4 };
    expect(() => defineDesign({ ...base, entryBytes: 4, wordBits: 32 })).toThrow(
      /wordBitsReason: the plan's memdesc word is a u64 on every ABI/,
    );
    expect(() =>
      defineDesign({
        ...base,
        entryBytes: 8,
        typeTable: [
          {
            tag: 1,
            kind: "buddy",
            meaning: "b",
            storage: "inline",
            payload: [{ name: "prev", bit: 0, width: 8, word: 1 }],
          },
        ],
      }),
    ).toThrow(/payload field prev is in word 1, but a 8-byte entry has 1 64-bit word/);
  });
});
