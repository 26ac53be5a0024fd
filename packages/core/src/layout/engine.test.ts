import { describe, expect, it } from "vitest";
import { c } from "../ctype/dsl.js";
import { LayoutError } from "../errors.js";
import { layoutOf } from "./engine.js";

const offsets = (t: Parameters<typeof layoutOf>[0], abi: "lp64" | "ilp32" | "ilp32-arm" = "lp64") => {
  const l = layoutOf(t, { abi });
  return {
    size: l.size,
    align: l.align,
    at: Object.fromEntries(l.fields.filter((f) => !f.anonymous).map((f) => [f.path, f.offset])),
  };
};

describe("layout engine: C ABI rules", () => {
  it("aligns members naturally and pads the tail", () => {
    const s = c.struct("s", [
      ["a", c.char],
      ["b", c.u64],
      ["c", c.u16],
    ]);
    expect(offsets(s)).toMatchObject({ size: 24, align: 8, at: { a: 0, b: 8, c: 16 } });
  });

  it("aligns 64-bit integers to 4 inside structs on i386 and to 8 on arm32", () => {
    const s = c.struct("s", [
      ["a", c.u32],
      ["b", c.u64],
    ]);
    expect(offsets(s, "ilp32")).toMatchObject({ size: 12, align: 4, at: { b: 4 } });
    expect(offsets(s, "ilp32-arm")).toMatchObject({ size: 16, align: 8, at: { b: 8 } });
  });

  it("sizes long and pointers by the ABI", () => {
    const s = c.struct("s", [
      ["p", c.ptr()],
      ["l", c.ulong],
      ["i", c.int],
    ]);
    expect(offsets(s)).toMatchObject({ size: 24, at: { l: 8, i: 16 } });
    expect(offsets(s, "ilp32")).toMatchObject({ size: 12, at: { l: 4, i: 8 } });
  });

  it("packs bitfields into their type's storage unit and starts a new unit when one would straddle", () => {
    const s = c.struct("s", [
      ["a", c.uint, { bits: 30 }],
      ["b", c.uint, { bits: 4 }],
      ["c", c.uchar],
    ]);
    const l = layoutOf(s);
    const b = l.fields.find((f) => f.path === "b")!;
    expect([b.offset, b.bitOffset, b.bitSize]).toEqual([4, 0, 4]);
    expect(l.fields.find((f) => f.path === "c")!.offset).toBe(5);
    expect(l.size).toBe(8);
  });

  it("places the slab counters bitfields like pahole does", () => {
    const s = c.struct("s", [
      ["inuse", c.uint, { bits: 16 }],
      ["objects", c.uint, { bits: 15 }],
      ["frozen", c.uint, { bits: 1 }],
    ]);
    const l = layoutOf(s);
    expect(l.fields.map((f) => [f.path, f.offset, f.bitOffset, f.bitSize])).toEqual([
      ["inuse", 0, 0, 16],
      ["objects", 0, 16, 15],
      ["frozen", 0, 31, 1],
    ]);
    expect(l.size).toBe(4);
  });

  it("lets an unnamed zero-width bitfield align the next member without aligning the struct", () => {
    const s = c.struct("s", [
      ["a", c.char, { bits: 3 }],
      ["", c.llong, { bits: 0 }],
      ["b", c.char, { bits: 3 }],
    ]);
    expect(offsets(s)).toMatchObject({ size: 9, align: 1, at: { b: 8 } });
    expect(offsets(s, "ilp32")).toMatchObject({ size: 5, align: 1, at: { b: 4 } });
    const t = c.struct("t", [
      ["a", c.char],
      ["", c.int, { bits: 4 }],
      ["b", c.char],
    ]);
    expect(offsets(t)).toMatchObject({ size: 3, align: 1, at: { b: 2 } });
  });

  it("honours packed structs and aligned members", () => {
    const packed = c.struct(
      "p",
      [
        ["a", c.char],
        ["b", c.u32],
        ["c", c.u16, { aligned: 8 }],
      ],
      { packed: true },
    );
    expect(offsets(packed)).toMatchObject({ size: 16, align: 8, at: { a: 0, b: 1, c: 8 } });
    const aligned = c.struct("a", [["x", c.u8]], { aligned: 64 });
    expect(offsets(aligned)).toMatchObject({ size: 64, align: 64 });
  });

  it("sizes unions by their largest member and flattens anonymous members into the parent", () => {
    const s = c.struct("s", [
      ["flags", c.ulong],
      c.union([
        ["lru", c.listHead],
        c.struct([
          ["x", c.u32],
          ["y", c.u64],
        ]),
      ]),
    ]);
    const l = layoutOf(s);
    expect(l.size).toBe(24);
    expect(l.fields.find((f) => f.path === "y")!.offset).toBe(16);
    expect(l.fields.find((f) => f.path === "lru.next")!.offset).toBe(8);
    expect(l.unions).toHaveLength(1);
    const lru = l.fields.find((f) => f.path === "lru")!;
    const y = l.fields.find((f) => f.path === "y")!;
    expect(lru.unions[0]!.union).toBe(y.unions[0]!.union);
    expect(lru.unions[0]!.arm).not.toBe(y.unions[0]!.arm);
  });

  it("reports holes and trailing padding", () => {
    const s = c.struct("s", [
      ["a", c.u32],
      ["b", c.u64],
      ["c", c.u8],
    ]);
    const l = layoutOf(s);
    expect(l.holes).toEqual([{ in: "", after: "a", offset: 4, size: 4 }]);
    expect(l.padding).toBe(7);
  });

  it("gives flexible array members no size", () => {
    const s = c.struct("s", [
      ["n", c.u32],
      ["data", c.flex(c.u64)],
    ]);
    expect(offsets(s)).toMatchObject({ size: 8, at: { data: 8 } });
  });

  it("includes #ifdef members only when the option is set", () => {
    const s = c.struct("s", [
      ["a", c.u64],
      c.ifdef("CONFIG_X", [["b", c.u64]]),
      ["c", c.u64, { ifdef: "!CONFIG_X" }],
    ]);
    expect(layoutOf(s, { config: { CONFIG_X: true } }).size).toBe(16);
    expect(layoutOf(s, { config: {} }).fields.map((f) => f.path)).toEqual(["a", "c"]);
  });

  it("takes spinlock_t's size from the configuration", () => {
    const s = c.struct("s", [["ptl", c.spinlock]]);
    expect(layoutOf(s).size).toBe(4);
    expect(layoutOf(s, { config: { SPINLOCK_SIZE: 64 } }).size).toBe(64);
  });
});

describe("layout engine: bad descriptions are typed errors naming struct and field", () => {
  const code = (f: () => unknown) => {
    try {
      f();
    } catch (e) {
      expect(e).toBeInstanceOf(LayoutError);
      return [(e as LayoutError).code, (e as LayoutError).message];
    }
    throw new Error("expected a LayoutError");
  };

  it("unknown C type", () => {
    const s = c.struct("foo", [["bar", "struct nowhere"]]);
    expect(code(() => layoutOf(s))).toEqual([
      "UNKNOWN_TYPE",
      'struct foo, field bar: unknown C type "struct nowhere"',
    ]);
  });

  it("a type name that cannot be parsed", () => {
    expect(code(() => c.struct("foo", [["bar", "unsigned float"]]))).toEqual([
      "BAD_TYPE",
      'struct foo, field bar: cannot combine "unsigned float" in type name "unsigned float"',
    ]);
  });

  it("duplicate field name, also through anonymous members", () => {
    const s = c.struct("foo", [["a", c.u8], c.union([["a", c.u32]])]);
    expect(code(() => layoutOf(s))).toEqual([
      "DUPLICATE_FIELD",
      'struct foo, field a: duplicate field name "a"',
    ]);
  });

  it("negative array length", () => {
    expect(code(() => c.array(c.u8, -1))[0]).toBe("ARRAY_LENGTH");
    const s = c.struct("foo", [["buf", { kind: "array", element: c.u8, length: -2 }]]);
    expect(code(() => layoutOf(s))).toEqual([
      "ARRAY_LENGTH",
      "struct foo, field buf: array length must be a whole number ≥ 0, got -2",
    ]);
  });

  it("bitfield wider than its type", () => {
    const s = c.struct("foo", [["x", c.u8, { bits: 9 }]]);
    expect(code(() => layoutOf(s))).toEqual([
      "BITFIELD_WIDTH",
      "struct foo, field x: bitfield is 9 bits wide but its type has only 8",
    ]);
  });

  it("a flexible array that is not last", () => {
    const s = c.struct("foo", [
      ["d", c.flex(c.u8)],
      ["n", c.u32],
    ]);
    expect(code(() => layoutOf(s))[0]).toBe("FLEXIBLE_ARRAY");
  });

  it("an alignment that is not a power of two", () => {
    const s = c.struct("foo", [["x", c.u8, { aligned: 3 }]]);
    expect(code(() => layoutOf(s))[0]).toBe("BAD_ALIGNMENT");
  });
});

describe("layout paths", () => {
  it("gives every field a distinct full path, numbering anonymous siblings that would collide", () => {
    const s = c.struct("s", [c.union([c.struct([["a", c.u32]]), c.struct([["b", c.u64]]), ["c", c.u16]])]);
    const l = layoutOf(s);
    const full = l.fields.map((f) => f.fullPath);
    expect(new Set(full).size).toBe(full.length);
    expect(l.fields.find((f) => f.path === "b")!.fullPath).toBe("{union@0}.{struct@0#1}.b");
    expect(l.unions[0]!.arms).toEqual(["{struct@0#0}", "{struct@0#1}", "c"]);
  });
});
