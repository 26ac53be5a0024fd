import { execFileSync } from "node:child_process";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { type CType, ctypes, type Layout, layoutOf } from "@memdesc/core/layout";
import { needs } from "@memdesc/testkit";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { buildShape, shapeArb } from "../test/arbitrary.js";
import { BtfError } from "./errors.js";
import { ctypesToBtf, writeCTypes } from "./from-ctype.js";
import { readBtf } from "./reader.js";
import type { BtfTypeSpec } from "./types.js";
import { writeBtf } from "./writer.js";

/** Everything a layout says about its fields, minus unnamed bitfields, which BTF (like DWARF) never holds. */
const fieldsOf = (l: Layout) =>
  l.fields
    .filter((f) => !(f.anonymous && f.bitSize !== undefined))
    .map((f) => ({
      path: f.path,
      fullPath: f.fullPath,
      offset: f.offset,
      size: f.size,
      bitOffset: f.bitOffset,
      bitSize: f.bitSize,
      typeName: f.typeName,
    }));

function roundTrip(root: CType & { kind: "struct" | "union" }) {
  const expected = layoutOf(root, { abi: "lp64" });
  const { types, ids } = ctypesToBtf([root]);
  const btf = readBtf(writeBtf(types));
  return { expected, actual: btf.layout(ids.get(root)!) };
}

describe("writer", () => {
  it("round-trips random layouts without attributes: write → read → same layout, alignment included", () => {
    fc.assert(
      fc.property(shapeArb(false), (shape) => {
        const { expected, actual } = roundTrip(buildShape(shape));
        expect(actual.size).toBe(expected.size);
        expect(actual.align).toBe(expected.align);
        expect(actual.kind).toBe(expected.kind);
        expect(actual.name).toBe(expected.name);
        expect(fieldsOf(actual)).toEqual(fieldsOf(expected));
      }),
      { numRuns: 300 },
    );
  });

  it("round-trips random layouts with packed and aligned attributes: the offsets carry them", () => {
    fc.assert(
      fc.property(shapeArb(true), (shape) => {
        const { expected, actual } = roundTrip(buildShape(shape));
        expect(actual.size).toBe(expected.size);
        expect(fieldsOf(actual)).toEqual(fieldsOf(expected));
      }),
      { numRuns: 300 },
    );
  });

  it("writes both byte orders and longer headers, which read back the same", () => {
    const root = buildShape({
      kind: "struct",
      packed: false,
      aligned: undefined,
      members: [
        { t: "scalar", type: 0, aligned: undefined, q: false },
        { t: "bitfield", type: 3, bits: 5, named: true },
        { t: "pointer", to: 2 },
      ],
    });
    const little = readBtf(writeCTypes([root])).layout(root.name!);
    for (const options of [{ littleEndian: false }, { hdrLen: 32 }, { littleEndian: false, hdrLen: 40 }]) {
      const bytes = writeCTypes([root], options);
      const btf = readBtf(bytes);
      expect(btf.header.littleEndian).toBe(options.littleEndian ?? true);
      expect(btf.header.hdrLen).toBe(options.hdrLen ?? 24);
      expect(fieldsOf(btf.layout(root.name!))).toEqual(fieldsOf(little));
    }
    expect([...readBtf(writeCTypes([root], { littleEndian: false })).bytes.subarray(0, 2)]).toEqual([
      0xeb, 0x9f,
    ]);
  });

  it("writes every kind 1–19 and reads each record back as written", () => {
    const types: BtfTypeSpec[] = [
      { kind: "int", name: "int", size: 4, signed: true, char: false, bool: false, bits: 32, bitOffset: 0 }, // 1
      { kind: "ptr", name: "", type: 1 }, // 2
      { kind: "array", name: "", type: 1, indexType: 1, nelems: 7 }, // 3
      {
        kind: "struct",
        name: "s",
        size: 8,
        kindFlag: true,
        members: [
          { name: "a", type: 1, bitOffset: 0, bitSize: 3 },
          { name: "b", type: 1, bitOffset: 32, bitSize: 0 },
        ],
      }, // 4
      {
        kind: "union",
        name: "u",
        size: 4,
        kindFlag: false,
        members: [{ name: "x", type: 1, bitOffset: 0, bitSize: 0 }],
      }, // 5
      { kind: "enum", name: "e", size: 4, signed: true, values: [{ name: "NEG", value: -5n }] }, // 6
      { kind: "fwd", name: "f", union: true }, // 7
      { kind: "typedef", name: "t", type: 1 }, // 8
      { kind: "volatile", name: "", type: 1 }, // 9
      { kind: "const", name: "", type: 9 }, // 10
      { kind: "restrict", name: "", type: 2 }, // 11
      { kind: "func", name: "fn", type: 13, linkage: 1 }, // 12
      { kind: "func_proto", name: "", returns: 1, params: [{ name: "p", type: 2 }], variadic: true }, // 13
      { kind: "var", name: "v", type: 1, linkage: 1 }, // 14
      { kind: "datasec", name: ".data", size: 4, vars: [{ type: 14, offset: 0, size: 4 }] }, // 15
      { kind: "float", name: "double", size: 8 }, // 16
      { kind: "decl_tag", name: "bpf_kfunc", type: 12, componentIdx: -1, attribute: false }, // 17
      { kind: "type_tag", name: "address_space(1)", type: 1, attribute: true }, // 18
      {
        kind: "enum64",
        name: "big",
        size: 8,
        signed: false,
        values: [{ name: "MAX", value: 2n ** 64n - 1n }],
      }, // 19
    ];
    for (const littleEndian of [true, false]) {
      const btf = readBtf(writeBtf(types, { littleEndian }));
      expect(btf.count).toBe(types.length);
      types.forEach((spec, i) => {
        const { id, offset, ...decoded } = btf.type(i + 1);
        expect(id).toBe(i + 1);
        expect(btf.kind(i + 1)).toBe(i + 1);
        expect(offset).toBe(btf.recordOffset(i + 1));
        expect(decoded).toEqual(spec);
      });
    }
  });

  it("rejects what BTF cannot hold with a BtfError", () => {
    const tooWide = writeBtf.bind(undefined, [{ kind: "ptr", name: "", type: 5 }]);
    expect(tooWide).toThrow(BtfError);
    expect(tooWide).toThrow(/type id 1.*refers to type id 5|refers to type id 5/);
    expect(() =>
      writeCTypes([
        { kind: "struct", name: "x", members: [{ name: "r", type: { kind: "ref", name: "nope_t" } }] },
      ]),
    ).toThrow(BtfError);
  });

  needs("pahole", paholeMissing()).it(
    "writes files pahole reads and prints as the layout engine does",
    () => {
      const dir = mkdtempSync(join(tmpdir(), "btf-writer-"));
      const root: CType = {
        kind: "struct",
        name: "sample",
        members: [
          { name: "flags", type: ctypes.memdesc_flags_t },
          { name: "lru", type: ctypes.list_head },
          { name: "order", type: ctypes.uint, bits: 8 },
          { name: "mapped", type: ctypes.uint, bits: 1 },
          { name: "refs", type: ctypes.atomic_t },
        ],
      };
      const file = join(dir, "sample.btf");
      writeFileSync(file, writeCTypes([root]));
      const text = execFileSync("pahole", ["-F", "btf", "-C", "sample", file], { encoding: "utf8" });
      expect(text).toContain("memdesc_flags_t            flags;                /*     0     8 */");
      expect(text).toContain("unsigned int               order:8;              /*    24: 0  4 */");
      expect(text).toContain("/* size: 32, cachelines: 1, members: 5 */");
    },
  );
});

function paholeMissing(): string | undefined {
  try {
    execFileSync("pahole", ["--version"], { stdio: "ignore" });
    return undefined;
  } catch {
    return "pahole is not installed (Debian: dwarves)";
  }
}
