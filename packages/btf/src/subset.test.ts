import { beforeEach, describe, expect, it } from "vitest";
import { fixtureBtf } from "../test/fixture.js";
import { BtfError } from "./errors.js";
import { type Btf, readBtf } from "./reader.js";
import { extractTypes } from "./subset.js";
import { writeBtf } from "./writer.js";

// Read in each test, not when the file is collected, so StrykerJS attributes the reader to the tests (docs/mutation.md).
let btf: Btf;
beforeEach(() => {
  btf = readBtf(fixtureBtf());
});

describe("extractTypes", () => {
  it("keeps a root and what it holds by value; what it points to becomes a FWD", () => {
    const { types } = extractTypes(btf, ["slab"]);
    const sub = readBtf(writeBtf(types));
    expect(sub.layout("slab").fields).toEqual(btf.layout("slab").fields);
    // struct slab points to kmem_cache, which the fixture only knows by name anyway, and to other slabs.
    const kinds = new Map([...sub.types()].map((t) => [t.name, t.kind]));
    expect(kinds.get("slab")).toBe("struct");
    expect(kinds.get("kmem_cache")).toBe("fwd");
    expect(kinds.has("folio")).toBe(false);
    expect(sub.count).toBeLessThan(btf.count);
  });

  it("extracts the fixture from itself unchanged (the fixture is closed)", () => {
    const roots = [
      "page",
      "folio",
      "slab",
      "ptdesc",
      "ioptdesc",
      "zpdesc",
      "net_iov",
      "netmem_desc",
      "memdesc_flags_t",
      "iommu_pages_list",
      "pageflags",
      "pagetype",
      "net_iov_type",
    ];
    const again = writeBtf(extractTypes(btf, roots).types);
    expect(again).toEqual(fixtureBtf());
  });

  it("names a root that does not exist", () => {
    expect(() => extractTypes(btf, ["no_such_type"])).toThrow(BtfError);
  });
});
