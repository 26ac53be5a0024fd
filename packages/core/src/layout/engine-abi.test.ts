import { describe, expect, it } from "vitest";
import { c } from "../ctype/dsl.js";
import type { AggregateType, CType, Member } from "../ctype/types.js";
import { LayoutError } from "../errors.js";
import { LayoutEngine, layoutOf } from "./engine.js";
import type { Layout } from "./types.js";

/*
 * Layouts whose answers were taken from gcc 12 (`gcc -g -c`, and `gcc -m32 -g -c` for i386) read back by pahole
 * 1.24: each test quotes its C. The random structs of the gcc + pahole oracle rarely draw these cases (long
 * double, unions of bitfields, aligned bitfields and typedefs, 8-byte bitfields on i386), so they are pinned here.
 */

/** [offset, size, bitOffset, bitSize] of the field at `path`. */
const at = (l: Layout, path: string) => {
  const f = l.fields.find((x) => x.path === path);
  if (!f) throw new Error(`no field ${path} in ${l.fields.map((x) => x.path).join(", ")}`);
  return [f.offset, f.size, f.bitOffset, f.bitSize];
};
const struct = (name: string, members: Member[], attrs: Partial<AggregateType> = {}): AggregateType => ({
  kind: "struct",
  name,
  members,
  ...attrs,
});
const union = (name: string, members: Member[]): AggregateType => ({ kind: "union", name, members });
const longDouble = (size: 10 | 12 | 16): CType => ({ kind: "float", name: "long double", size });

describe("layout engine: scalars gcc sizes by the ABI", () => {
  it("long double is 16 bytes, 16-aligned on x86-64 and 12 bytes, 4-aligned on i386, whatever size it is given", () => {
    // struct ld { char c; long double d; };  x86-64: d at 16, size 32; i386: d at 4 (12 bytes), size 16.
    for (const size of [10, 12, 16] as const) {
      const s = struct("ld", [
        { name: "c", type: c.char },
        { name: "d", type: longDouble(size) },
      ]);
      const lp64 = layoutOf(s);
      expect([lp64.size, lp64.align, at(lp64, "d")], `long double of ${size}`).toEqual([
        32,
        16,
        [16, 16, undefined, undefined],
      ]);
      const i386 = layoutOf(s, { abi: "ilp32" });
      expect([i386.size, i386.align, at(i386, "d")], `long double of ${size}`).toEqual([
        16,
        4,
        [4, 12, undefined, undefined],
      ]);
    }
  });

  it("double and float align as integers of their size (double to 4 in i386 structs)", () => {
    // struct fd { char c; double d; float f; };  x86-64: d at 8, f at 16, size 24; i386: d at 4, f at 12, size 16.
    const s = struct("fd", [
      { name: "c", type: c.char },
      { name: "d", type: { kind: "float", name: "double", size: 8 } },
      { name: "f", type: { kind: "float", name: "float", size: 4 } },
    ]);
    expect([layoutOf(s).size, at(layoutOf(s), "d")[0], at(layoutOf(s), "f")[0]]).toEqual([24, 8, 16]);
    const i386 = layoutOf(s, { abi: "ilp32" });
    expect([i386.size, i386.align, at(i386, "d")[0], at(i386, "f")[0]]).toEqual([16, 4, 4, 12]);
  });

  it("__int128 is 16-aligned on x86-64", () => {
    // struct i128 { char c; __int128 x; };  x at 16, size 32, align 16.
    const s = struct("i128", [
      { name: "c", type: c.char },
      { name: "x", type: c.type("__int128") },
    ]);
    const l = layoutOf(s);
    expect([l.size, l.align, at(l, "x")]).toEqual([32, 16, [16, 16, undefined, undefined]]);
  });

  it("an integer as wide as a pointer (uintptr_t) follows the ABI's pointer size", () => {
    const uintptr: CType = { kind: "int", name: "uintptr_t", size: "pointer", signed: false };
    const s = struct("up", [
      { name: "c", type: c.char },
      { name: "p", type: uintptr },
    ]);
    expect([layoutOf(s).size, at(layoutOf(s), "p")]).toEqual([16, [8, 8, undefined, undefined]]);
    expect([layoutOf(s, { abi: "ilp32" }).size, at(layoutOf(s, { abi: "ilp32" }), "p")]).toEqual([
      8,
      [4, 4, undefined, undefined],
    ]);
  });

  it("an enum as wide as long follows long's size", () => {
    // struct en { char c; long l; }: l at 8 (x86-64) or 4 (i386); an enum of `long` size sits where l does.
    const e: CType = { kind: "enum", name: "wide", size: "long" };
    const s = struct("en", [
      { name: "c", type: c.char },
      { name: "e", type: e },
    ]);
    expect([layoutOf(s).size, at(layoutOf(s), "e")]).toEqual([16, [8, 8, undefined, undefined]]);
    const i386 = layoutOf(s, { abi: "ilp32" });
    expect([i386.size, at(i386, "e")]).toEqual([8, [4, 4, undefined, undefined]]);
  });

  it("arrays of zero elements take no room but keep their element's alignment", () => {
    // struct za { char c; int z[0]; char d; };  z at 4 (size 0), d at 4, size 8.
    const s = struct("za", [
      { name: "c", type: c.char },
      { name: "z", type: c.array(c.int, 0) },
      { name: "d", type: c.char },
    ]);
    const l = layoutOf(s);
    expect([l.size, at(l, "z"), at(l, "d")[0]]).toEqual([8, [4, 0, undefined, undefined], 4]);
  });
});

describe("layout engine: unions as gcc lays them out", () => {
  it("a union of bitfields is as wide as its widest bitfield's bytes, aligned by its named ones", () => {
    // union ub { int a:3; char b:1; };  size 4, align 4.
    const ub = layoutOf(
      union("ub", [
        { name: "a", type: c.int, bits: 3 },
        { name: "b", type: c.char, bits: 1 },
      ]),
    );
    expect([ub.size, ub.align, at(ub, "a"), at(ub, "b")]).toEqual([4, 4, [0, 4, 0, 3], [0, 1, 0, 1]]);
    // union uc { char a:7; int :20; };  size 3, align 1: the unnamed bitfield takes room but does not align.
    const uc = layoutOf(
      union("uc", [
        { name: "a", type: c.char, bits: 7 },
        { type: c.int, bits: 20 },
      ]),
    );
    expect([uc.size, uc.align]).toEqual([3, 1]);
    // union ue { char a; int :0; };  size 1, align 1: a zero-width bitfield is nothing in a union.
    const ue = layoutOf(
      union("ue", [
        { name: "a", type: c.char },
        { type: c.int, bits: 0 },
      ]),
    );
    expect([ue.size, ue.align, ue.members.length]).toEqual([1, 1, 1]);
  });

  it("a packed union is 1-aligned: union __packed pu { char c; int i; long long q; }", () => {
    // gcc + pahole: size 8; in struct holder { char a; union pu u; } u sits at 1, and holder is 9 bytes.
    const pu: AggregateType = {
      kind: "union",
      name: "pu",
      packed: true,
      members: [
        { name: "c", type: c.char },
        { name: "i", type: c.int },
        { name: "q", type: c.llong },
      ],
    };
    expect([layoutOf(pu).size, layoutOf(pu).align]).toEqual([8, 1]);
    const holder = layoutOf(
      struct("holder", [
        { name: "a", type: c.char },
        { name: "u", type: pu },
      ]),
    );
    expect([holder.size, at(holder, "u")[0]]).toEqual([9, 1]);
  });

  it("a union is its largest member rounded up to its strictest alignment", () => {
    // union ud { char a[5]; int b; };  size 8, align 4.  union uq { long long q; char c; }: i386 size 8, align 4.
    const ud = layoutOf(
      union("ud", [
        { name: "a", type: c.array(c.char, 5) },
        { name: "b", type: c.int },
      ]),
    );
    expect([ud.size, ud.align]).toEqual([8, 4]);
    const uq = union("uq", [
      { name: "q", type: c.llong },
      { name: "c", type: c.char },
    ]);
    expect([layoutOf(uq, { abi: "ilp32" }).size, layoutOf(uq, { abi: "ilp32" }).align]).toEqual([8, 4]);
    expect([layoutOf(uq, { abi: "ilp32-arm" }).size, layoutOf(uq, { abi: "ilp32-arm" }).align]).toEqual([
      8, 8,
    ]);
  });

  it("leaves out members whose #ifdef is off, in unions too", () => {
    const u = union("u", [
      { name: "small", type: c.u8 },
      { name: "big", type: c.u64, ifdef: "CONFIG_BIG" },
    ]);
    expect(layoutOf(u, { config: { CONFIG_BIG: true } }).size).toBe(8);
    const off = layoutOf(u, { config: {} });
    expect([off.size, off.fields.map((f) => f.path)]).toEqual([1, ["small"]]);
  });
});

describe("layout engine: bitfields as gcc places them", () => {
  it("aligned(4) on a bitfield moves it to the next 4-byte boundary and aligns the struct", () => {
    // struct bfa { char a:3; int b:4 __attribute__((aligned(4))); char c; };  b at 4:0, c at 5, size 8, align 4.
    const l = layoutOf(
      struct("bfa", [
        { name: "a", type: c.char, bits: 3 },
        { name: "b", type: c.int, bits: 4, aligned: 4 },
        { name: "c", type: c.char },
      ]),
    );
    expect([l.size, l.align, at(l, "b"), at(l, "c")[0]]).toEqual([8, 4, [4, 4, 0, 4], 5]);
    // The attribute stays on the member, as pahole prints it (`int b:4 __attribute__((__aligned__(4)))`).
    expect(l.members.map((m) => [m.name, Object.hasOwn(m, "alignedAttr"), m.alignedAttr])).toEqual([
      ["a", false, undefined],
      ["b", true, 4],
      ["c", false, undefined],
    ]);
  });

  it("a bitfield that would straddle its own type's unit starts the next unit", () => {
    // struct bf8 { char a; unsigned char b:7; unsigned char c:6; unsigned char d:5; };  b 1:0, c 2:0, d 3:0, size 4.
    const bf8 = struct("bf8", [
      { name: "a", type: c.char },
      { name: "b", type: c.uchar, bits: 7 },
      { name: "c", type: c.uchar, bits: 6 },
      { name: "d", type: c.uchar, bits: 5 },
    ]);
    for (const abi of ["lp64", "ilp32"] as const) {
      const l = layoutOf(bf8, { abi });
      expect([l.size, at(l, "b"), at(l, "c"), at(l, "d")]).toEqual([
        4,
        [1, 1, 0, 7],
        [2, 1, 0, 6],
        [3, 1, 0, 5],
      ]);
    }
    // struct shb { char a; short b:9; short c:9; };  b 2:0, c 4:0, size 6, align 2.
    const shb = layoutOf(
      struct("shb", [
        { name: "a", type: c.char },
        { name: "b", type: c.short, bits: 9 },
        { name: "c", type: c.short, bits: 9 },
      ]),
    );
    expect([shb.size, shb.align, at(shb, "b"), at(shb, "c")]).toEqual([6, 2, [2, 2, 0, 9], [4, 2, 0, 9]]);
  });

  it("long long bitfields: 8-byte units on x86-64, 4-byte alignment units on i386", () => {
    // struct llb { char a; long long b:40; long long c:30; };
    // x86-64: b 0:8, c 8:0, size 16, align 8.  i386: b 0:8, c 0:48 (bit 48 spans two 4-byte units, as a
    // long long may), size 12, align 4.
    const llb = struct("llb", [
      { name: "a", type: c.char },
      { name: "b", type: c.llong, bits: 40 },
      { name: "c", type: c.llong, bits: 30 },
    ]);
    const lp64 = layoutOf(llb);
    expect([lp64.size, lp64.align, at(lp64, "b"), at(lp64, "c")]).toEqual([
      16,
      8,
      [0, 8, 8, 40],
      [8, 8, 0, 30],
    ]);
    const i386 = layoutOf(llb, { abi: "ilp32" });
    expect([i386.size, i386.align, at(i386, "b"), at(i386, "c")]).toEqual([
      12,
      4,
      [0, 8, 8, 40],
      [0, 8, 48, 30],
    ]);
  });

  it("in a packed struct, bitfields run on across their type's units", () => {
    // struct __packed pk { char a:7; short b:9; char c; };  b 0:7, c at 2, size 3.
    const pk = layoutOf(
      struct(
        "pk",
        [
          { name: "a", type: c.char, bits: 7 },
          { name: "b", type: c.short, bits: 9 },
          { name: "c", type: c.char },
        ],
        { packed: true },
      ),
    );
    expect([pk.size, pk.align, at(pk, "b"), at(pk, "c")[0]]).toEqual([3, 1, [0, 2, 7, 9], 2]);
    // struct __packed pk2 { char x; int a:20; int b:20; };  a 0:8, b 0:28 (pahole's unit), size 6.
    const pk2 = layoutOf(
      struct(
        "pk2",
        [
          { name: "x", type: c.char },
          { name: "a", type: c.int, bits: 20 },
          { name: "b", type: c.int, bits: 20 },
        ],
        { packed: true },
      ),
    );
    expect([pk2.size, at(pk2, "a"), at(pk2, "b")]).toEqual([6, [0, 4, 8, 20], [0, 4, 28, 20]]);
  });

  it("a bitfield exactly as wide as its type fills its unit", () => {
    // struct full { unsigned int a:32; unsigned int b:1; };  a 0:0, b 4:0, size 8.
    const l = layoutOf(
      struct("full", [
        { name: "a", type: c.uint, bits: 32 },
        { name: "b", type: c.uint, bits: 1 },
      ]),
    );
    expect([l.size, at(l, "a"), at(l, "b")]).toEqual([8, [0, 4, 0, 32], [4, 4, 0, 1]]);
  });
});

describe("layout engine: attributes and configuration", () => {
  it("a typedef's aligned attribute aligns its members: typedef u64 __aligned(16)", () => {
    // typedef unsigned long long __attribute__((aligned(16))) a16; struct ta { char c; a16 x; };  x at 16, size 32.
    const a16 = c.typedef("a16", c.ullong, 16);
    const l = layoutOf(
      struct("ta", [
        { name: "c", type: c.char },
        { name: "x", type: a16 },
      ]),
    );
    expect([l.size, l.align, at(l, "x")]).toEqual([32, 16, [16, 8, undefined, undefined]]);
  });

  it("keeps an aligned attribute on a member as written: struct { char c; int x __aligned(8); }", () => {
    const l = layoutOf(
      struct("am", [
        { name: "c", type: c.char },
        { name: "x", type: c.int, aligned: 8 },
      ]),
    );
    expect([l.size, l.align, at(l, "x")[0]]).toEqual([16, 8, 8]);
    expect(l.members.map((m) => [Object.hasOwn(m, "alignedAttr"), m.alignedAttr])).toEqual([
      [false, undefined],
      [true, 8],
    ]);
  });

  it("__aligned(2 * sizeof(long)) on a struct follows the ABI, and only when its option is set", () => {
    // struct page's CONFIG_HAVE_ALIGNED_STRUCT_PAGE: 16 on x86-64, 8 on i386; off, the struct keeps its own.
    const s = struct("p", [{ name: "a", type: c.u32 }], {
      aligned: { longs: 2, ifdef: "CONFIG_HAVE_ALIGNED_STRUCT_PAGE" },
    });
    const on = { CONFIG_HAVE_ALIGNED_STRUCT_PAGE: true };
    expect([layoutOf(s, { config: on }).size, layoutOf(s, { config: on }).align]).toEqual([16, 16]);
    const i386 = layoutOf(s, { abi: "ilp32", config: on });
    expect([i386.size, i386.align]).toEqual([8, 8]);
    expect([layoutOf(s, { config: {} }).size, layoutOf(s, { config: {} }).align]).toEqual([4, 4]);
  });

  it("sets CONFIG_64BIT from the ABI unless the configuration says otherwise", () => {
    const s = c.struct("s", [["a", c.u32], c.ifdef("CONFIG_64BIT", [["b", c.u32]])]);
    expect(layoutOf(s, { abi: "lp64" }).size).toBe(8);
    expect(layoutOf(s, { abi: "ilp32" }).size).toBe(4);
    expect(layoutOf(s, { abi: "lp64", config: { CONFIG_64BIT: false } }).size).toBe(4);
    expect(new LayoutEngine({ abi: "ilp32" }).config).toEqual({ CONFIG_64BIT: false });
  });

  it("sizes an opaque type from the configuration, aligned as a scalar of its size when it says so", () => {
    const opaque = c.opaque("struct lock", { config: "LOCK_SIZE", default: 8 }, "size");
    const s = struct("s", [
      { name: "c", type: c.char },
      { name: "l", type: opaque },
    ]);
    expect(at(layoutOf(s), "l")).toEqual([8, 8, undefined, undefined]);
    // An 8-byte scalar aligns to 4 in an i386 struct.
    expect(at(layoutOf(s, { abi: "ilp32" }), "l")).toEqual([4, 8, undefined, undefined]);
    expect(at(layoutOf(s, { config: { LOCK_SIZE: 2 } }), "l")).toEqual([2, 2, undefined, undefined]);
    const fixed = c.opaque("struct fixed", 6, 2);
    expect(
      at(
        layoutOf(
          struct("f", [
            { name: "c", type: c.char },
            { name: "x", type: fixed },
          ]),
        ),
        "x",
      ),
    ).toEqual([2, 6, undefined, undefined]);
  });

  it("resolves type names through the types it is given, as a map or a record", () => {
    const foo = c.struct("foo", [
      ["a", c.u16],
      ["b", c.u64],
    ]);
    const holder = struct("holder", [
      { name: "x", type: c.char },
      { name: "f", type: { kind: "ref", name: "struct foo" } },
    ]);
    for (const types of [{ "struct foo": foo }, new Map([["struct foo", foo as CType]])]) {
      const l = layoutOf(holder, { types });
      expect([l.size, at(l, "f"), at(l, "f.b")]).toEqual([
        24,
        [8, 16, undefined, undefined],
        [16, 8, undefined, undefined],
      ]);
      // A name laid out directly.
      const direct = layoutOf({ kind: "ref", name: "struct foo" }, { types });
      expect([direct.size, direct.name, direct.typedefName]).toEqual([16, "foo", undefined]);
      // An array of a name, sized through it.
      const arr = layoutOf(
        struct("a", [{ name: "two", type: c.array({ kind: "ref", name: "struct foo" }, 2) }]),
        {
          types,
        },
      );
      expect(arr.size).toBe(32);
    }
    // A typedef of a name: its members are reached through the typedef, as C reaches f.b.
    const viaTypedef = struct("h", [
      { name: "x", type: c.char },
      { name: "f", type: c.typedef("foo_t", { kind: "ref", name: "struct foo" }) },
    ]);
    expect(
      layoutOf(viaTypedef, { types: { "struct foo": foo } }).fields.map((f) => `${f.path}@${f.offset}`),
    ).toEqual(["x@0", "f@8", "f.a@8", "f.b@16"]);
    // The built-in names still resolve beside them.
    expect(layoutOf(c.struct("l", [["h", "struct list_head"]]), { types: { "struct foo": foo } }).size).toBe(
      16,
    );
  });

  it("names a layout after the outermost typedef it was reached through", () => {
    const anon: AggregateType = { kind: "struct", members: [{ name: "v", type: c.u32 }] };
    const inner = c.typedef("inner_t", anon);
    const outer = c.typedef("outer_t", { kind: "qualified", qualifiers: ["const"], type: inner });
    const l = layoutOf(outer);
    expect([l.typedefName, l.name, l.size]).toEqual(["outer_t", undefined, 4]);
  });
});

describe("layout engine: what C forbids is a typed error naming struct and field", () => {
  const error = (f: () => unknown): [string, string] => {
    try {
      f();
    } catch (e) {
      expect(e).toBeInstanceOf(LayoutError);
      return [(e as LayoutError).code, (e as LayoutError).message];
    }
    throw new Error("expected a LayoutError");
  };
  const one = (type: CType, extra: Partial<Member> = {}) =>
    struct("s", [
      { name: "a", type: c.u32 },
      { name: "x", type, ...extra },
    ]);

  it("laying out something that is not a struct or union", () => {
    expect(error(() => layoutOf(c.u32))).toEqual([
      "BAD_TYPE",
      "only a struct or union can be laid out, not int",
    ]);
    expect(error(() => layoutOf(c.typedef("n_t", c.u32)))[0]).toBe("BAD_TYPE");
  });

  it("members without a size: void, a function, an incomplete struct", () => {
    expect(error(() => layoutOf(one(c.void)))).toEqual([
      "INCOMPLETE_TYPE",
      "struct s, field x: void has no size; use a pointer to it",
    ]);
    const fn: CType = { kind: "function", returns: c.void, params: [] };
    expect(error(() => layoutOf(one(fn)))).toEqual([
      "INCOMPLETE_TYPE",
      "struct s, field x: function has no size; use a pointer to it",
    ]);
    expect(error(() => layoutOf(one({ kind: "struct", name: "fwd" })))).toEqual([
      "INCOMPLETE_TYPE",
      "struct fwd, field x: struct fwd is incomplete",
    ]);
  });

  it("a flexible array member that is not last", () => {
    expect(
      error(() =>
        layoutOf(
          struct("s", [
            { name: "d", type: c.flex(c.u8) },
            { name: "n", type: c.u32 },
          ]),
        ),
      ),
    ).toEqual(["FLEXIBLE_ARRAY", "struct s, field d: a flexible array member must be the last member"]);
  });

  it("names the innermost named struct, and the outer one for an anonymous struct", () => {
    const inner = struct("inner", [{ name: "x", type: c.u8, bits: 9 }]);
    expect(error(() => layoutOf(struct("outer", [{ name: "i", type: inner }])))[1]).toBe(
      "struct inner, field x: bitfield is 9 bits wide but its type has only 8",
    );
    const anon: AggregateType = { kind: "struct", members: [{ name: "y", type: c.u8, bits: 9 }] };
    expect(error(() => layoutOf(struct("outer", [{ type: anon }])))[1]).toBe(
      "struct outer, field y: bitfield is 9 bits wide but its type has only 8",
    );
  });

  it("an engine gives the same error each time it is asked", () => {
    const engine = new LayoutEngine();
    const bad = struct("bad", [{ name: "x", type: c.u8, bits: 9 }]);
    const holder = struct("holder", [{ name: "b", type: bad }]);
    expect(error(() => engine.layout(bad))[0]).toBe("BITFIELD_WIDTH");
    expect(error(() => engine.layout(holder))[0]).toBe("BITFIELD_WIDTH");
    expect(error(() => engine.layout(bad))[0]).toBe("BITFIELD_WIDTH");
  });

  it("a struct that contains itself", () => {
    const members: Member[] = [{ name: "a", type: c.u32 }];
    const loop: AggregateType = { kind: "struct", name: "loop", members };
    members.push({ name: "self", type: loop });
    expect(error(() => layoutOf(loop))).toEqual([
      "BAD_TYPE",
      "struct loop, field self: struct loop contains itself",
    ]);
    const anonMembers: Member[] = [{ name: "a", type: c.u32 }];
    const anonLoop: AggregateType = { kind: "union", members: anonMembers };
    anonMembers.push({ name: "self", type: anonLoop });
    expect(error(() => layoutOf(struct("top", [{ name: "u", type: anonLoop }])))[1]).toBe(
      "struct top, field self: an anonymous aggregate contains itself",
    );
  });

  it("bitfields of a non-integer type, of a width that is not a whole number, or named and zero wide", () => {
    expect(error(() => layoutOf(one(c.ptr(), { bits: 3 })))).toEqual([
      "BAD_TYPE",
      "struct s, field x: a bitfield must have an integer or enum type",
    ]);
    expect(error(() => layoutOf(one(c.u32, { bits: -1 })))).toEqual([
      "BITFIELD_WIDTH",
      "struct s, field x: bitfield width must be a whole number ≥ 0, got -1",
    ]);
    expect(error(() => layoutOf(one(c.u32, { bits: 1.5 })))[0]).toBe("BITFIELD_WIDTH");
    expect(error(() => layoutOf(one(c.u32, { bits: 0 })))).toEqual([
      "BITFIELD_WIDTH",
      "struct s, field x: a zero-width bitfield must be unnamed",
    ]);
    // The full width is allowed, in unions too; one more bit is not.
    expect(layoutOf(one(c.u32, { bits: 32 })).size).toBe(8);
    expect(error(() => layoutOf(union("u", [{ name: "x", type: c.u8, bits: 9 }])))[0]).toBe("BITFIELD_WIDTH");
    // A typedef or qualifier of an integer is an integer.
    expect(
      layoutOf(one(c.typedef("t_t", { kind: "qualified", qualifiers: ["const"], type: c.u8 }), { bits: 3 }))
        .size,
    ).toBe(8);
  });

  it("array lengths that are not whole numbers", () => {
    expect(error(() => layoutOf(one({ kind: "array", element: c.u8, length: 1.5 })))).toEqual([
      "ARRAY_LENGTH",
      "struct s, field x: array length must be a whole number ≥ 0, got 1.5",
    ]);
  });

  it("alignments that are not powers of two: on a member, a typedef, a struct, or zero", () => {
    expect(error(() => layoutOf(one(c.u8, { aligned: 0 })))).toEqual([
      "BAD_ALIGNMENT",
      "struct s, field x: aligned(0) is not a power of two",
    ]);
    expect(error(() => layoutOf(one(c.u8, { aligned: 1.5 })))[0]).toBe("BAD_ALIGNMENT");
    expect(error(() => layoutOf(one(c.typedef("odd_t", c.u8, 12))))).toEqual([
      "BAD_ALIGNMENT",
      "struct s, field x: aligned(12) is not a power of two",
    ]);
    expect(error(() => layoutOf(struct("s", [{ name: "a", type: c.u8 }], { aligned: 48 })))).toEqual([
      "BAD_ALIGNMENT",
      "struct s: aligned(48) is not a power of two",
    ]);
    expect(
      error(() => layoutOf(struct("s", [{ name: "a", type: c.u8 }], { aligned: { longs: 3 } })))[1],
    ).toBe("struct s: aligned(24) is not a power of two");
  });

  it("names an unnamed member by its position", () => {
    expect(
      error(() =>
        layoutOf(
          struct("s", [
            { name: "a", type: c.u8 },
            { type: c.int, bits: 40 },
          ]),
        ),
      )[1],
    ).toBe("struct s, field #1: bitfield is 40 bits wide but its type has only 32");
    expect(
      error(() =>
        layoutOf(
          union("u", [
            { name: "a", type: c.u8 },
            { type: c.int, bits: 40 },
          ]),
        ),
      )[1],
    ).toBe("union u, field #1: bitfield is 40 bits wide but its type has only 32");
  });

  it("duplicate names through an anonymous struct, and what is not an anonymous member", () => {
    const anonStruct: AggregateType = { kind: "struct", members: [{ name: "a", type: c.u32 }] };
    expect(error(() => layoutOf(struct("s", [{ name: "a", type: c.u8 }, { type: anonStruct }])))).toEqual([
      "DUPLICATE_FIELD",
      'struct s, field a: duplicate field name "a"',
    ]);
    // …and through an anonymous const struct: gcc says "duplicate member 'a'" for
    // struct s { int a; const struct { int a; }; };
    const constAnon: CType = { kind: "qualified", qualifiers: ["const"], type: anonStruct };
    expect(error(() => layoutOf(struct("s", [{ name: "a", type: c.u8 }, { type: constAnon }])))).toEqual([
      "DUPLICATE_FIELD",
      'struct s, field a: duplicate field name "a"',
    ]);
    // An unnamed incomplete struct is incomplete, not a scope to search.
    expect(
      error(() =>
        layoutOf(struct("s", [{ name: "a", type: c.u8 }, { type: { kind: "struct", name: "fwd" } }])),
      )[0],
    ).toBe("INCOMPLETE_TYPE");
    // A bitfield of struct type is not an anonymous member: its type is what is wrong.
    expect(
      error(() =>
        layoutOf(
          struct("s", [
            { name: "a", type: c.u8 },
            { type: anonStruct, bits: 3 },
          ]),
        ),
      ),
    ).toEqual(["BAD_TYPE", "struct s, field #1: a bitfield must have an integer or enum type"]);
  });

  it("names clash only among members that exist in the configuration", () => {
    const s = struct("s", [
      { name: "a", type: c.u32, ifdef: "CONFIG_A" },
      { name: "a", type: c.u64, ifdef: "!CONFIG_A" },
    ]);
    expect(layoutOf(s, { config: { CONFIG_A: true } }).size).toBe(4);
    expect(layoutOf(s, { config: {} }).size).toBe(8);
    // A named member's own members are a scope of their own.
    const scoped = struct("t", [
      { name: "a", type: c.u32 },
      { name: "inner", type: struct("inner", [{ name: "a", type: c.u32 }]) },
    ]);
    expect(layoutOf(scoped).fields.map((f) => f.path)).toEqual(["a", "inner", "inner.a"]);
  });
});
