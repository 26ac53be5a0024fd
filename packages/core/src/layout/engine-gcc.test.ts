import { describe, expect, it } from "vitest";
import { c } from "../ctype/dsl.js";
import type { AggregateType, CType } from "../ctype/types.js";
import { layoutOf } from "./engine.js";

/** `struct { char a; T :0; char b; } __attribute__((packed))`: the DSL names every member, so built here. */
const packedZeroWidth = (t: CType): AggregateType => ({
  kind: "struct",
  name: "s",
  packed: true,
  members: [
    { name: "a", type: c.char },
    { type: t, bits: 0 },
    { name: "b", type: c.char },
  ],
});

describe("layout engine: rules found by the gcc + pahole oracle", () => {
  it("aligns a zero-width bitfield to its type's unit even in a packed struct, as gcc does", () => {
    const at = (t: CType, abi: "lp64" | "ilp32") =>
      layoutOf(packedZeroWidth(t), { abi }).fields.find((f) => f.path === "b")!.offset;
    expect(at(c.short, "lp64")).toBe(2);
    expect(at(c.llong, "lp64")).toBe(8);
    // i386 aligns long long to 4 inside structs, and so the zero-width field's unit.
    expect(at(c.llong, "ilp32")).toBe(4);
  });

  it("still packs named bitfields and members of a packed struct to the byte", () => {
    const s = c.struct(
      "s",
      [
        ["a", c.char, { bits: 1 }],
        ["b", c.int],
      ],
      { packed: true },
    );
    expect(layoutOf(s).fields.find((f) => f.path === "b")!.offset).toBe(1);
  });
});
