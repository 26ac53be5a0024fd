import { needs } from "@memdesc/testkit";
import { describe, expect, it } from "vitest";
import {
  bpftoolDump,
  bpftoolMissing,
  expectAsBpftool,
  expectLookups,
  fixtureBpftool,
  withTempFile,
} from "../test/bpftool.js";
import { fixtureBtf } from "../test/fixture.js";
import { intSpec as int } from "../test/specs.js";
import { readBtf } from "./reader.js";
import type { BtfTypeSpec } from "./types.js";
import { writeBtf } from "./writer.js";

/*
 * The reader against bpftool, record by record: every type of the Linux 6.18 fixture (bpftool's dump of it is
 * stored beside it, so this runs everywhere), wherever the bytes lie in memory, and records of every kind in both
 * byte orders where bpftool is installed (bpftool-live.test.ts runs it on real kernels). Each BTF is read inside
 * its test, not when the file is collected, so that StrykerJS attributes the reader's code to the tests that run
 * it (docs/mutation.md).
 */

describe("the reader against bpftool's dump of the Linux 6.18 fixture (stored)", () => {
  it("decodes every record, at the offset the record sizes put it, as bpftool did", () => {
    const btf = readBtf(fixtureBtf(), { file: "linux-6.18-memdesc.btf" });
    const ref = fixtureBpftool();
    expectAsBpftool(btf, ref, "fixture");
    expect([...btf.types()].map((t) => t.id)).toEqual(ref.map((r) => r.id));
  });

  it("finds every name as the first record bpftool lists with it", () => {
    const btf = readBtf(fixtureBtf(), { file: "linux-6.18-memdesc.btf" });
    const ref = fixtureBpftool();
    const names = [...new Set(ref.map((r) => r.name).filter((n) => n !== "(anon)"))];
    expect(names.length).toBeGreaterThan(8);
    expectLookups(btf, ref, names);
    expect(btf.findStruct("no_such_struct")).toBeUndefined();
    expect(btf.find("")).toBeUndefined();
  });
});

const tool = needs({ bpftool: bpftoolMissing() });

/** One record of every kind, with the flags and values real kernels rarely hold: signed and 64-bit enums, a
 * variadic prototype, every linkage, tags on a member and a whole type, a bitfield struct with kind_flag. */
const everyKind: BtfTypeSpec[] = [
  int, // 1
  { kind: "int", name: "char", size: 1, signed: false, char: true, bool: false, bits: 8, bitOffset: 0 }, // 2
  { kind: "int", name: "_Bool", size: 1, signed: false, char: false, bool: true, bits: 8, bitOffset: 0 }, // 3
  { kind: "int", name: "long int", size: 8, signed: true, char: false, bool: false, bits: 64, bitOffset: 0 }, // 4
  {
    kind: "int",
    name: "unsigned int",
    size: 4,
    signed: false,
    char: false,
    bool: false,
    bits: 5,
    bitOffset: 3,
  }, // 5
  { kind: "ptr", name: "", type: 7 }, // 6
  {
    kind: "struct",
    name: "s",
    size: 16,
    kindFlag: true,
    members: [
      { name: "a", type: 1, bitOffset: 0, bitSize: 3 },
      { name: "", type: 5, bitOffset: 3, bitSize: 5 },
      { name: "l", type: 4, bitOffset: 64, bitSize: 0 },
    ],
  }, // 7
  {
    kind: "union",
    name: "",
    size: 8,
    kindFlag: false,
    members: [
      { name: "x", type: 4, bitOffset: 0, bitSize: 0 },
      { name: "y", type: 5, bitOffset: 0, bitSize: 0 },
    ],
  }, // 8
  { kind: "array", name: "", type: 2, indexType: 1, nelems: 7 }, // 9
  {
    kind: "enum",
    name: "signed_e",
    size: 4,
    signed: true,
    values: [
      { name: "NEG", value: -2n },
      { name: "POS", value: 5n },
    ],
  }, // 10
  { kind: "enum", name: "unsigned_e", size: 4, signed: false, values: [{ name: "BIG", value: 0xfffffff0n }] }, // 11
  {
    kind: "enum64",
    name: "signed_e64",
    size: 8,
    signed: true,
    values: [
      { name: "M", value: -3n },
      { name: "H", value: 0x7fffffffffffffffn },
    ],
  }, // 12
  {
    kind: "enum64",
    name: "unsigned_e64",
    size: 8,
    signed: false,
    values: [{ name: "X", value: 0xfedcba9876543210n }],
  }, // 13
  { kind: "fwd", name: "fu", union: true }, // 14
  { kind: "fwd", name: "fs", union: false }, // 15
  { kind: "typedef", name: "t_t", type: 1 }, // 16
  { kind: "volatile", name: "", type: 16 }, // 17
  { kind: "const", name: "", type: 17 }, // 18
  { kind: "restrict", name: "", type: 6 }, // 19
  {
    kind: "func_proto",
    name: "",
    returns: 1,
    params: [
      { name: "x", type: 1 },
      { name: "", type: 6 },
    ],
    variadic: true,
  }, // 20
  { kind: "func_proto", name: "", returns: 0, params: [], variadic: false }, // 21
  { kind: "func", name: "f_static", type: 20, linkage: 0 }, // 22
  { kind: "func", name: "f_global", type: 21, linkage: 1 }, // 23
  { kind: "func", name: "f_extern", type: 21, linkage: 2 }, // 24
  { kind: "var", name: "v_static", type: 1, linkage: 0 }, // 25
  { kind: "var", name: "v_global", type: 4, linkage: 1 }, // 26
  {
    kind: "datasec",
    name: ".data",
    size: 16,
    vars: [
      { type: 25, offset: 0, size: 4 },
      { type: 26, offset: 8, size: 8 },
    ],
  }, // 27
  { kind: "float", name: "double", size: 8 }, // 28
  { kind: "decl_tag", name: "whole", type: 7, componentIdx: -1, attribute: false }, // 29
  { kind: "decl_tag", name: "member", type: 7, componentIdx: 2, attribute: false }, // 30
  { kind: "type_tag", name: "user", type: 1, attribute: false }, // 31
  { kind: "ptr", name: "", type: 31 }, // 32
  // A named parameter of type 0 is not the variadic marker either.
  { kind: "func_proto", name: "", returns: 0, params: [{ name: "v", type: 0 }], variadic: false }, // 33
  // Names shared: a typedef before a struct of its name, an empty union before a complete one.
  { kind: "typedef", name: "pair", type: 36 }, // 34
  { kind: "union", name: "uu", size: 0, kindFlag: false, members: [] }, // 35
  {
    kind: "struct",
    name: "pair",
    size: 8,
    kindFlag: false,
    members: [
      { name: "a", type: 1, bitOffset: 0, bitSize: 0 },
      { name: "b", type: 1, bitOffset: 32, bitSize: 0 },
    ],
  }, // 36
  {
    kind: "union",
    name: "uu",
    size: 4,
    kindFlag: false,
    members: [{ name: "x", type: 1, bitOffset: 0, bitSize: 0 }],
  }, // 37
  { kind: "typedef", name: "uu_t", type: 39 }, // 38
  {
    kind: "union",
    name: "",
    size: 4,
    kindFlag: false,
    members: [{ name: "y", type: 1, bitOffset: 0, bitSize: 0 }],
  }, // 39
  // A nameless void parameter that is not last is not the variadic marker.
  {
    kind: "func_proto",
    name: "",
    returns: 1,
    params: [
      { name: "", type: 0 },
      { name: "y", type: 1 },
    ],
    variadic: false,
  }, // 33
];

tool.describe("the reader against bpftool on records of every kind", () => {
  it.each([
    ["little-endian", true],
    ["big-endian", false],
  ])("decodes each, %s, as bpftool does", (_, littleEndian) => {
    const bytes = writeBtf(everyKind, { littleEndian });
    const ref = withTempFile(bytes, (f) => bpftoolDump(f));
    expect(ref.map((r) => r.kind)).toContain("ENUM64");
    const btf = readBtf(bytes, { file: "every-kind.btf" });
    expectAsBpftool(btf, ref, "every kind");
    expectLookups(btf, ref, [
      "pair",
      "uu",
      "uu_t",
      "s",
      "signed_e",
      "unsigned_e64",
      "fu",
      "fs",
      "t_t",
      "f_global",
      "v_static",
      ".data",
      "double",
      "user",
      "whole",
    ]);
    // pahole -C finds a typedef of an anonymous union, and a union is an aggregate.
    expect([btf.layout("uu_t").kind, btf.layout("uu_t").typedefName, btf.aggregate(37).kind]).toEqual([
      "union",
      "uu_t",
      "union",
    ]);
  });
});

describe("the reader wherever the BTF lies in memory", () => {
  it("decodes the fixture as bpftool did at every byte offset of its buffer and of its window", () => {
    const raw = fixtureBtf();
    const ref = fixtureBpftool();
    for (const shift of [1, 2, 3, 4]) {
      // The bytes at an odd offset of their ArrayBuffer (no 4-byte view of them is possible)…
      const buffer = new Uint8Array(raw.length + shift);
      buffer.set(raw, shift);
      expectAsBpftool(readBtf(buffer.subarray(shift), { file: "shifted.btf" }), ref, `array at +${shift}`);
      // …and at an odd offset of a larger file, as an ELF section is.
      const btf = readBtf(buffer, { file: "in-file.btf", window: { offset: shift, size: raw.length } });
      expect(btf.header.typeStart % 4).toBe((24 + shift) % 4);
      expectAsBpftool(btf, ref, `window at +${shift}`);
    }
  });
});

tool.describe("the reader against bpftool on names the string section holds more than once", () => {
  it("finds every record of a name written twice in one file", () => {
    const s = (name: string): BtfTypeSpec => ({
      kind: "struct",
      name,
      size: 4,
      kindFlag: false,
      members: [{ name: "x", type: 1, bitOffset: 0, bitSize: 0 }],
    });
    const bytes = writeBtf([int, s("aa"), s("bb"), { kind: "ptr", name: "", type: 3 }]);
    // The writer keeps one copy of each string: make "bb" a second copy of "aa".
    const at = Buffer.from(bytes).indexOf(Buffer.from("\0bb\0")) + 1;
    bytes.set(Buffer.from("aa"), at);
    const ref = withTempFile(bytes, (f) => bpftoolDump(f));
    expect(ref.filter((r) => r.name === "aa").map((r) => r.id)).toEqual([2, 3]);
    const btf = readBtf(bytes);
    expectAsBpftool(btf, ref, "twice");
    // Enough lookups for the reader to switch from scanning to its name index.
    for (let i = 0; i < 4; i++) expectLookups(btf, ref, ["aa", "bb", "int"]);
  });

  it("finds a module's own record of a name before its kernel's", () => {
    const base = readBtf(fixtureBtf(), { file: "vmlinux" });
    const baseRef = fixtureBpftool();
    const own: BtfTypeSpec[] = [
      {
        kind: "struct",
        name: "list_head",
        size: 8,
        kindFlag: false,
        members: [{ name: "only", type: base.lastId + 2, bitOffset: 0, bitSize: 0 }],
      },
      { kind: "ptr", name: "", type: base.lastId + 1 },
    ];
    const ko = writeBtf(own, { base });
    const ref = withTempFile(fixtureBtf(), (b) => withTempFile(ko, (f) => bpftoolDump(f, b)));
    const module = readBtf(ko, { base, file: "mod.ko" });
    expectAsBpftool(module, ref, "module");
    expect([...module.types()].map((t) => t.id)).toEqual([...baseRef, ...ref].map((r) => r.id));
    const expected = [...ref, ...baseRef].filter((r) => r.name === "list_head").map((r) => r.id);
    expect(expected.length).toBe(2);
    for (let i = 0; i < 10; i++) {
      // Before and after the reader switches from scanning to its name index.
      expect(module.findAll("list_head")).toEqual(expected);
      expect(module.findStruct("list_head")).toBe(expected[0]);
      expect(module.findAll("page")).toEqual(baseRef.filter((r) => r.name === "page").map((r) => r.id));
    }
  });
});
