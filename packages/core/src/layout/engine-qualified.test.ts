import { describe, expect, it } from "vitest";
import { sint, uint, ulong } from "../ctype/builtins.js";
import type { AggregateType } from "../ctype/types.js";
import { layoutOf } from "./engine.js";

// Found by @memdesc/btf's cross-check against the kernel's BTF: `struct vm_fault` starts with an anonymous
// `const struct { struct vm_area_struct *vma; gfp_t gfp_mask; ... };` and `struct file` has
// `const struct path f_path`, whose members the engine used to leave out of the layout.
describe("qualified struct and union members", () => {
  const inner: AggregateType = {
    kind: "struct",
    members: [
      { name: "vma", type: ulong },
      { name: "gfp_mask", type: uint },
    ],
  };

  it("expands an anonymous const struct member in place, like an unqualified one", () => {
    const layout = layoutOf({
      kind: "struct",
      name: "vm_fault",
      members: [
        { type: { kind: "qualified", qualifiers: ["const"], type: inner } },
        { name: "flags", type: uint },
      ],
    });
    expect(layout.fields.map((f) => [f.path, f.offset])).toEqual([
      ["{struct@0}", 0],
      ["vma", 0],
      ["gfp_mask", 8],
      ["flags", 16],
    ]);
  });

  it("expands a named volatile union member under its name", () => {
    const layout = layoutOf({
      kind: "struct",
      name: "holder",
      members: [
        { name: "n", type: sint },
        {
          name: "u",
          type: {
            kind: "qualified",
            qualifiers: ["volatile"],
            type: {
              kind: "union",
              name: "either",
              members: [
                { name: "a", type: ulong },
                { name: "b", type: uint },
              ],
            },
          },
        },
      ],
    });
    expect(layout.fields.map((f) => [f.path, f.offset, f.size])).toEqual([
      ["n", 0, 4],
      ["u", 8, 8],
      ["u.a", 8, 8],
      ["u.b", 8, 4],
    ]);
    expect(layout.unions.map((u) => u.fullPath)).toEqual(["u"]);
  });
});
