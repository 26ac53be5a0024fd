import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { parsePahole } from "./pahole-parse.js";

const fixture = (name: string) =>
  readFileSync(new URL(`../../test/fixtures/pahole/${name}.txt`, import.meta.url), "utf8");

describe("parsePahole on what pahole prints around attributes and bitfields", () => {
  it("skips forced-alignment padding lines and reads flexible arrays", () => {
    const [s] = parsePahole(fixture("kitchen_sink"));
    expect(s).toMatchObject({ kind: "struct", name: "kitchen_sink", size: 112, members: 17 });
    expect(s!.fields.find((f) => f.path === "bf3")).toMatchObject({ offset: 62, bitOffset: 0, bitSize: 2 });
    expect(s!.fields.find((f) => f.path === "anon.y")).toMatchObject({ offset: 50, size: 1 });
    expect(s!.fields.find((f) => f.path === "flex")).toMatchObject({ offset: 104, size: 0 });
  });

  it('skips the `char [1]:8;` lines pahole prints under "Force padding:" for an unnamed bitfield (gcc -m32, DWARF)', () => {
    const [s] = parsePahole(fixture("force_padding"));
    expect(s).toMatchObject({ kind: "struct", name: "force_padding", size: 7, members: 2 });
    expect(s!.fields.map((f) => [f.path, f.offset, f.size])).toEqual([
      ["a", 0, 1],
      ["b", 6, 1],
    ]);
  });

  it("reads a typedef whose closing line carries attributes, and attributes after a member's name", () => {
    const [s] = parsePahole(fixture("aligned_t"));
    expect(s).toMatchObject({ name: undefined, typedefName: "aligned_t", size: 128, members: 3 });
    expect(s!.fields.map((f) => [f.path, f.offset])).toEqual([
      ["a", 0],
      ["b", 32],
      ["big", 64],
      ["big.x", 64],
    ]);
  });

  it("reads a union, which has no summary, from its members", () => {
    const [u] = parsePahole(fixture("mixed"));
    expect(u).toMatchObject({ kind: "union", name: "mixed", size: 12, members: 3 });
    expect(u!.fields.find((f) => f.path === "p.i")).toMatchObject({ offset: 1, size: 4 });
  });

  it("reads anonymous enums and pointers to anonymous structs as single members", () => {
    const text = [
      "struct t {",
      "\tenum {",
      "\t\tA = 0,",
      "\t} e:3;                                            /*     0: 0  4 */",
      "\tstruct {",
      "\t\tint        a;                    /*     0     4 */",
      "\t} * p; /*     8     8 */",
      "",
      "\t/* size: 16, cachelines: 1, members: 2 */",
      "};",
    ].join("\n");
    const [s] = parsePahole(text);
    expect(s!.fields).toEqual([
      { path: "e", typeName: "enum {...}", offset: 0, size: 4, bitOffset: 0, bitSize: 3 },
      { path: "p", typeName: "", offset: 8, size: 8 },
    ]);
  });
});
