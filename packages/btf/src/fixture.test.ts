import { type EnumType, formatPahole, layoutOf, parsePahole } from "@memdesc/core/layout";
import { beforeEach, describe, expect, it } from "vitest";
import { fixtureBtf, fixtureManifest, fixturePahole } from "../test/fixture.js";
import { type Btf, readBtf } from "./reader.js";

// Read in each test, not when the file is collected, so StrykerJS attributes the reader to the tests (docs/mutation.md).
let btf: Btf;
beforeEach(() => {
  btf = readBtf(fixtureBtf(), { file: "linux-6.18-memdesc.btf" });
});
const { structs } = fixtureManifest();

describe("the Linux 6.18 fixture", () => {
  it.each(structs)("%s has the layout pahole printed from the same kernel", (name) => {
    const [ref] = parsePahole(fixturePahole(name));
    const layout = btf.layout(name);
    expect(ref).toBeDefined();
    expect(layout.size).toBe(ref!.size);
    expect(layout.kind).toBe(ref!.kind);
    expect(layout.typedefName).toBe(ref!.typedefName);
    expect(layout.members.length).toBe(ref!.members);
    const byPath = new Map(layout.fields.map((f) => [f.path, f]));
    for (const f of ref!.fields) {
      const ours = byPath.get(f.path);
      expect(ours, `${name}.${f.path}`).toBeDefined();
      expect([f.path, ours!.offset, ours!.size, ours!.bitOffset ?? 0, ours!.bitSize ?? 0]).toEqual([
        f.path,
        f.offset,
        f.size,
        f.bitOffset ?? 0,
        f.bitSize ?? 0,
      ]);
      // pahole's type column; array and function-pointer declarators print part of the type after the name.
      if (f.typeName && !f.typeName.endsWith("]") && !f.typeName.includes("(*)"))
        expect([f.path, ours!.typeName.replace(/\s+/g, " ")]).toEqual([
          f.path,
          f.typeName.replace(/\s+/g, " "),
        ]);
    }
  });

  it("has 6.18's memdesc_flags_t in struct page and the vendor's page.buddy_since", () => {
    const page = btf.layout("page");
    expect(page.fields.find((f) => f.path === "flags")!.typeName).toBe("memdesc_flags_t");
    expect(page.fields.find((f) => f.path === "buddy_since")).toMatchObject({ offset: 32, size: 8 });
    expect(page.fields.find((f) => f.path === "compound_head")).toMatchObject({ offset: 8, size: 8 });
  });

  it("gives the layout engine C types that lay out exactly as the compiler did", () => {
    for (const name of structs) {
      const fromBtf = btf.layout(name);
      const fromEngine = layoutOf(btf.ctype(btf.resolve(btf.findStruct(name) ?? btf.find(name)!)), {
        abi: btf.abi,
      });
      expect(fromEngine.size).toBe(fromBtf.size);
      expect(fromEngine.fields.map((f) => [f.path, f.offset, f.size, f.bitOffset])).toEqual(
        fromBtf.fields.map((f) => [f.path, f.offset, f.size, f.bitOffset]),
      );
    }
  });

  it("keeps pointers to structs the fixture does not define as incomplete, by name", () => {
    const mapping = btf.layout("folio").fields.find((f) => f.path === "mapping")!;
    expect(mapping.typeName).toBe("struct address_space *");
    expect(btf.ctype(btf.find("address_space")!)).toEqual({ kind: "struct", name: "address_space" });
  });

  it("has the enums with their values", () => {
    const pagetype = btf.ctype(btf.find("pagetype")!);
    expect(pagetype).toMatchObject({ kind: "enum", name: "pagetype", size: 4 });
    const values = new Map((pagetype as EnumType).values!.map((v) => [v.name, v.value]));
    expect(values.get("PGTY_buddy")).toBe(0xf0n);
    expect(values.get("PGTY_slab")).toBe(0xf5n);
  });

  it.each(structs)("%s prints byte for byte as pahole printed it", (name) => {
    expect(formatPahole(btf.layout(name))).toBe(fixturePahole(name));
  });
});
