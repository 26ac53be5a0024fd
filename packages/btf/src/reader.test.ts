import { ctypes } from "@memdesc/core/layout";
import { describe, expect, it } from "vitest";
import { fixtureBtf, kernelFixtures, kernelVmlinux } from "../test/fixture.js";
import { btfError, intSpec as int } from "../test/specs.js";
import { writeCTypes } from "./from-ctype.js";
import { Kind } from "./kinds.js";
import { openBtf } from "./open.js";
import { readBtf } from "./reader.js";
import type { BtfTypeSpec } from "./types.js";
import { writeBtf } from "./writer.js";

const long: BtfTypeSpec = { ...int, name: "long int", size: 8, bits: 64 } as BtfTypeSpec;

describe("readBtf", () => {
  it("indexes the fixture: 120 types, names found by scanning and then by index", () => {
    const btf = readBtf(fixtureBtf());
    expect(btf.count).toBe(120);
    expect(btf.firstId).toBe(1);
    expect(btf.lastId).toBe(120);
    const folio = btf.findStruct("folio")!;
    expect(btf.kindName(folio)).toBe("STRUCT");
    expect(btf.name(folio)).toBe("folio");
    // Enough lookups to switch from byte scans to the name index give the same answers.
    const names = [
      "page",
      "slab",
      "ptdesc",
      "ioptdesc",
      "zpdesc",
      "net_iov",
      "netmem_desc",
      "list_head",
      "folio",
      "page",
    ];
    const ids = names.map((n) => btf.findStruct(n));
    expect(ids.every((id) => id !== undefined)).toBe(true);
    expect(names.map((n) => btf.findStruct(n))).toEqual(ids);
    expect(btf.findStruct("no_such_struct")).toBeUndefined();
    expect(btf.find("memdesc_flags_t", [Kind.typedef])).toBeDefined();
    expect(btf.find("pagetype", [Kind.enum])).toBeDefined();
  });

  it("takes the pointer size from BTF's long, and reports the ABI from it", () => {
    expect(readBtf(fixtureBtf()).pointerSize).toBe(8);
    expect(readBtf(fixtureBtf()).abi).toBe("lp64");
    const ilp32 = readBtf(writeBtf([{ ...long, size: 4, bits: 32 } as BtfTypeSpec]));
    expect(ilp32.pointerSize).toBe(4);
    expect(ilp32.abi).toBe("ilp32");
    expect(readBtf(writeBtf([int])).pointerSize).toBe(8);
    expect(readBtf(writeBtf([int]), { pointerSize: 4 }).pointerSize).toBe(4);
  });

  it("iterates every type in id order, decoded", () => {
    const btf = readBtf(fixtureBtf());
    const all = [...btf.types()];
    expect(all.map((t) => t.id)).toEqual(Array.from({ length: 120 }, (_, i) => i + 1));
    expect(all.filter((t) => t.kind === "fwd").length).toBeGreaterThan(0);
  });

  it("resolves typedefs, qualifiers and type tags to the type underneath", () => {
    const btf = readBtf(
      writeBtf([
        int,
        { kind: "type_tag", name: "address_space(1)", type: 1, attribute: true },
        { kind: "const", name: "", type: 2 },
        { kind: "typedef", name: "t", type: 3 },
        { kind: "ptr", name: "", type: 4 },
      ]),
    );
    expect(btf.resolve(4)).toBe(1);
    expect(btf.resolve(5)).toBe(5);
    expect(btf.ctype(5)).toEqual({
      kind: "pointer",
      to: {
        kind: "typedef",
        name: "t",
        type: { kind: "qualified", qualifiers: ["const"], type: btf.ctype(1) },
      },
    });
  });

  it("reads split BTF on top of a base: ids and string offsets continue after the base's", () => {
    const base = readBtf(fixtureBtf());
    const listHead = base.findStruct("list_head")!;
    const module = readBtf(
      writeBtf(
        [
          {
            kind: "struct",
            name: "my_module_desc",
            size: 24,
            kindFlag: false,
            members: [
              { name: "node", type: listHead, bitOffset: 0, bitSize: 0 },
              { name: "owner", type: base.lastId + 2, bitOffset: 128, bitSize: 0 },
            ],
          },
          { kind: "ptr", name: "", type: base.findStruct("page")! },
        ],
        { base },
      ),
      { base },
    );
    expect(module.firstId).toBe(base.lastId + 1);
    expect(module.lastId).toBe(base.lastId + 2);
    expect(module.strings.start).toBe(base.strings.end);
    expect(module.findStruct("my_module_desc")).toBe(base.lastId + 1);
    // Names in the base are found through the module.
    expect(module.findStruct("folio")).toBe(base.findStruct("folio"));
    const l = module.layout("my_module_desc");
    expect(l.fields.map((f) => `${f.path} ${f.offset} ${f.typeName}`)).toEqual([
      "node 0 struct list_head",
      "node.next 0 struct list_head *",
      "node.prev 8 struct list_head *",
      "owner 16 struct page *",
    ]);
    expect(module.layout("folio").size).toBe(256);
  });

  it("prefers a complete struct over an empty one of the same name", () => {
    const btf = readBtf(
      writeBtf([
        int,
        { kind: "struct", name: "dup", size: 0, kindFlag: false, members: [] },
        {
          kind: "struct",
          name: "dup",
          size: 4,
          kindFlag: false,
          members: [{ name: "x", type: 1, bitOffset: 0, bitSize: 0 }],
        },
      ]),
    );
    expect(btf.findStruct("dup")).toBe(3);
    expect(btf.findAll("dup")).toEqual([2, 3]);
  });

  it("converts pre-kind_flag bitfields, whose width is in the INT's encoding", () => {
    const btf = readBtf(
      writeBtf([
        int,
        {
          kind: "int",
          name: "unsigned int",
          size: 4,
          signed: false,
          char: false,
          bool: false,
          bits: 3,
          bitOffset: 0,
        },
        {
          kind: "int",
          name: "unsigned int",
          size: 4,
          signed: false,
          char: false,
          bool: false,
          bits: 5,
          bitOffset: 2,
        },
        {
          kind: "struct",
          name: "old",
          size: 8,
          kindFlag: false,
          members: [
            { name: "a", type: 2, bitOffset: 0, bitSize: 0 },
            { name: "b", type: 3, bitOffset: 3, bitSize: 0 },
            { name: "c", type: 1, bitOffset: 32, bitSize: 0 },
          ],
        },
      ]),
    );
    const l = btf.layout("old");
    expect(l.fields.map((f) => [f.path, f.offset, f.bitOffset, f.bitSize])).toEqual([
      ["a", 0, 0, 3],
      ["b", 0, 5, 5],
      ["c", 4, undefined, undefined],
    ]);
  });

  it("keeps char, bool and signedness from the INT encoding, and names as BTF spells them", () => {
    const btf = readBtf(writeCTypes([ctypes.char, ctypes._Bool, ctypes.llong]));
    expect(btf.ctype(1)).toEqual({ kind: "int", name: "char", size: 1, signed: true, char: true });
    expect(btf.ctype(2)).toEqual({ kind: "int", name: "_Bool", size: 1, signed: false, bool: true });
    expect(btf.ctype(3)).toEqual({ kind: "int", name: "long long int", size: 8, signed: true });
  });

  it("marks a zero-length array ending a struct as a flexible array member", () => {
    const btf = readBtf(
      writeBtf([
        int,
        { kind: "array", name: "", type: 1, indexType: 1, nelems: 0 },
        {
          kind: "struct",
          name: "flex",
          size: 4,
          kindFlag: false,
          members: [
            { name: "n", type: 1, bitOffset: 0, bitSize: 0 },
            { name: "data", type: 2, bitOffset: 32, bitSize: 0 },
          ],
        },
        {
          kind: "struct",
          name: "only",
          size: 0,
          kindFlag: false,
          members: [{ name: "x", type: 2, bitOffset: 0, bitSize: 0 }],
        },
      ]),
    );
    const data = btf.layout("flex").members[1]!.type;
    expect(data).toMatchObject({ kind: "array", length: 0, flexible: true });
    // A lone zero-length array is not a flexible array member (pahole prints it `[0]`).
    const only = btf.layout("only").members[0]!.type;
    expect(only).toMatchObject({ kind: "array", length: 0 });
    expect(only).not.toHaveProperty("flexible");
  });

  it("answers for type id 0, void, without a record (btf.rst: type id 0 is reserved for void)", () => {
    const btf = readBtf(writeBtf([int]));
    expect([
      btf.kind(0),
      btf.kindName(0),
      btf.name(0),
      btf.vlen(0),
      btf.kindFlag(0),
      btf.sizeOrType(0),
    ]).toEqual([0, "VOID", "void", 0, false, 0]);
    expect(btf.resolve(0)).toBe(0);
    expect(btfError(() => btf.type(0)).code).toBe("BTF_TYPE_ID");
    expect(btfError(() => btf.recordOffset(0)).message).toMatch(/type id 0 does not exist/);
  });

  it("rejects ids that are not whole numbers in range, and refers a split file's lower ids to its base", () => {
    const btf = readBtf(writeBtf([int, { kind: "ptr", name: "", type: 1 }]));
    for (const id of [-1, 1.5, 3, Number.NaN])
      expect([id, btfError(() => btf.type(id)).code]).toEqual([id, "BTF_TYPE_ID"]);
    expect(btfError(() => btf.checkId(3)).message).toBe(
      "BTF: type id 3 does not exist (the last type id is 2) (type id 3)",
    );
    expect(() => btf.checkId(0)).not.toThrow();
    expect(btfError(() => btf.checkId(0, undefined, undefined, false)).code).toBe("BTF_TYPE_ID");
    expect(() => btf.checkId(2)).not.toThrow();
    const base = readBtf(fixtureBtf());
    const module = readBtf(writeBtf([{ kind: "ptr", name: "", type: 1 }], { base }), { base });
    expect([module.kind(1), module.name(1), module.recordOffset(1)]).toEqual([
      base.kind(1),
      base.name(1),
      base.recordOffset(1),
    ]);
    expect(btfError(() => module.type(base.lastId + 2)).code).toBe("BTF_TYPE_ID");
  });

  it("keeps a type tag's and a decl tag's kind_flag (the attribute form) as the record holds it", () => {
    const tags: BtfTypeSpec[] = [
      int,
      { kind: "type_tag", name: "user", type: 1, attribute: false },
      { kind: "type_tag", name: "attr", type: 1, attribute: true },
      { kind: "decl_tag", name: "d", type: 1, componentIdx: -1, attribute: false },
      { kind: "decl_tag", name: "da", type: 1, componentIdx: -1, attribute: true },
    ];
    const bytes = writeBtf(tags);
    const btf = readBtf(bytes);
    const view = new DataView(bytes.buffer, bytes.byteOffset);
    for (let id = 2; id <= 5; id++) {
      // Bit 31 of the record's info word, read here from the bytes.
      const raw = view.getUint32(btf.recordOffset(id) + 4, true) >>> 31 === 1;
      const t = btf.type(id);
      expect([id, t.kind === "type_tag" || t.kind === "decl_tag" ? t.attribute : undefined]).toEqual([
        id,
        raw,
      ]);
      expect(btf.kindFlag(id)).toBe(raw);
    }
    expect([2, 3, 4, 5].map((id) => btf.kindFlag(id))).toEqual([false, true, false, true]);
  });

  it("finds long under every name libbpf's pointer-size guess knows (clang spells it `long`)", () => {
    const aliases = [
      "long",
      "long int",
      "int long",
      "unsigned long",
      "long unsigned",
      "unsigned long int",
      "unsigned int long",
      "long unsigned int",
      "long int unsigned",
      "int unsigned long",
      "int long unsigned",
    ];
    for (const name of aliases)
      expect([
        name,
        readBtf(writeBtf([{ ...long, name, size: 4, bits: 32 } as BtfTypeSpec])).pointerSize,
      ]).toEqual([name, 4]);
    // Not long: the default.
    for (const name of ["long long int", "int", "signed long"])
      expect([
        name,
        readBtf(writeBtf([{ ...long, name, size: 4, bits: 32 } as BtfTypeSpec])).pointerSize,
      ]).toEqual([name, 8]);
  });

  it("takes a module's pointer size from its kernel when the module has no long of its own", () => {
    const i386 = kernelFixtures().find((k) => k.arch === "i386" || k.name.includes("686"))!;
    const base = openBtf(kernelVmlinux(i386.name), { file: "vmlinux" });
    expect(base.pointerSize).toBe(4);
    const module = readBtf(writeBtf([{ kind: "ptr", name: "", type: 1 }], { base }), { base });
    expect([module.pointerSize, module.abi]).toEqual([4, "ilp32"]);
    // An INT named like long but of another size says nothing about pointers.
    const odd = readBtf(
      writeBtf([
        { ...long, size: 2, bits: 16 } as BtfTypeSpec,
        { ...long, size: 4, bits: 32 } as BtfTypeSpec,
      ]),
    );
    expect(odd.pointerSize).toBe(4);
  });

  it("says which struct, union or typedef of one a name is, as pahole -C finds it", () => {
    const btf = readBtf(
      writeBtf([
        int,
        { kind: "typedef", name: "int_t", type: 1 },
        {
          kind: "struct",
          name: "",
          size: 4,
          kindFlag: false,
          members: [{ name: "v", type: 1, bitOffset: 0, bitSize: 0 }],
        },
        { kind: "typedef", name: "anon_t", type: 3 },
        { kind: "const", name: "", type: 4 },
        { kind: "typedef", name: "const_anon_t", type: 5 },
      ]),
    );
    expect(btf.layout("anon_t").typedefName).toBe("anon_t");
    expect(btf.layout("const_anon_t").size).toBe(4);
    const e = btfError(() => btf.layout("int_t"));
    expect([e.code, e.message]).toEqual([
      "BTF_NOT_FOUND",
      'BTF: no struct, union or typedef of one is named "int_t"',
    ]);
    expect(btfError(() => btf.aggregate(1)).message).toMatch(/type id 1 is not a struct or union/);
    expect(btf.aggregate(3).kind).toBe("struct");
  });

  it("rejects a window that lies outside the bytes, naming where", () => {
    const bytes = fixtureBtf();
    const n = bytes.byteLength;
    const outside = (window: { offset: number; size: number }) => {
      const e = btfError(() => readBtf(bytes, { file: "f.btf", window }));
      return [e.code, e.offset, e.message];
    };
    expect(outside({ offset: -4, size: 100 })).toEqual([
      "BTF_TRUNCATED",
      -4,
      `f.btf: BTF at [-4, 96) lies outside the ${n}-byte file (byte offset -4)`,
    ]);
    expect(outside({ offset: 8, size: n })[0]).toBe("BTF_TRUNCATED");
    expect(outside({ offset: 0, size: -1 })[0]).toBe("BTF_TRUNCATED");
    expect(readBtf(bytes, { window: { offset: 0, size: n } }).count).toBe(120);
  });

  it("resolves a typedef chain of any length that does not loop", () => {
    const chain: BtfTypeSpec[] = [int];
    for (let i = 0; i < 40; i++) chain.push({ kind: "typedef", name: `t${i}_t`, type: i + 1 });
    const btf = readBtf(writeBtf(chain));
    expect(btf.resolve(41)).toBe(1);
    expect(btf.resolve(17)).toBe(1);
    // A loop entered after a long chain is still found, naming a type of the loop.
    const loop: BtfTypeSpec[] = [];
    for (let i = 0; i < 30; i++) loop.push({ kind: "const", name: "", type: i + 2 });
    loop.push({ kind: "typedef", name: "back_t", type: 20 });
    const e = btfError(() => readBtf(writeBtf(loop)).resolve(1));
    expect(e.code).toBe("BTF_CYCLE");
    expect(e.message).toMatch(
      /reference cycle: the typedef\/qualifier chain from type id 1 comes back to type id \d+/,
    );
  });

  it("takes the first long it finds, of 4 or 8 bytes, as libbpf does", () => {
    const longs = (...sizes: number[]) =>
      readBtf(writeBtf(sizes.map((size) => ({ ...long, size, bits: size * 8 }) as BtfTypeSpec))).pointerSize;
    expect(longs(4, 8)).toBe(4);
    expect(longs(8, 4)).toBe(8);
    expect(longs(2, 16, 4)).toBe(4);
    // Only an INT is long: not a struct that has its name (libbpf skips whatever is not BTF_KIND_INT).
    const notInt = readBtf(
      writeBtf([
        { kind: "struct", name: "long int", size: 4, kindFlag: false, members: [] },
        { ...long, size: 8, bits: 64 } as BtfTypeSpec,
      ]),
    );
    expect(notInt.pointerSize).toBe(8);
  });

  it("answers ids past the last, and void, from the file asked, not its base", () => {
    const base = readBtf(fixtureBtf(), { file: "vmlinux" });
    const module = readBtf(writeBtf([{ kind: "ptr", name: "", type: 1 }], { base }), {
      base,
      file: "mod.ko",
    });
    const past = module.lastId + 1;
    for (const fn of [() => module.kind(past), () => module.name(past), () => module.type(past)])
      expect(btfError(fn).message).toBe(
        `mod.ko: type id ${past} does not exist (the last type id is ${module.lastId}) (type id ${past})`,
      );
    expect(btfError(() => module.type(0)).message).toBe(
      `mod.ko: type id 0 does not exist (the last type id is ${module.lastId}) (type id 0)`,
    );
    expect(btfError(() => readBtf(fixtureBtf()).kind(121)).code).toBe("BTF_TYPE_ID");
  });

  it("says what the bytes came from: a raw file unless told", () => {
    expect(readBtf(writeBtf([int])).source).toEqual({ format: "raw" });
    const elf = { format: "elf", arch: "s390x", elfClass: 64, littleEndian: false } as const;
    expect(readBtf(writeBtf([int]), { source: elf }).source).toBe(elf);
  });

  it("an empty window is too short for a header, not outside the file", () => {
    const e = btfError(() => readBtf(writeBtf([int]), { file: "f.btf", window: { offset: 0, size: 0 } }));
    expect(e.message).toBe("f.btf: BTF section is 0 bytes, too short for the header's magic (byte offset 0)");
  });

  it("names past the string section are caught while indexing, from the section's end on", () => {
    const bytes = writeBtf([int]);
    const strLen = new DataView(bytes.buffer, bytes.byteOffset).getUint32(20, true);
    new DataView(bytes.buffer, bytes.byteOffset).setUint32(24, strLen, true);
    const e = btfError(() => readBtf(bytes));
    expect([e.code, e.typeId, e.offset]).toEqual(["BTF_STRING", 1, 24]);
  });

  it("a record that runs past the type section by one member is cut short", () => {
    const bytes = writeBtf([
      int,
      {
        kind: "struct",
        name: "s",
        size: 4,
        kindFlag: false,
        members: [{ name: "x", type: 1, bitOffset: 0, bitSize: 0 }],
      },
    ]);
    // vlen 2: the second member would be the string section's first 12 bytes.
    new DataView(bytes.buffer, bytes.byteOffset).setUint32(24 + 16 + 4, (4 << 24) | 2, true);
    const e = btfError(() => readBtf(bytes));
    expect([e.code, e.typeId, e.offset]).toEqual(["BTF_TRUNCATED", 2, 40]);
  });

  it("names the byte that holds a type id out of range, wherever it is", () => {
    // [1] int, [2] array, [3] struct with one member, [4] func_proto with one parameter, [5] typedef.
    const bytes = writeBtf([
      int,
      { kind: "array", name: "", type: 1, indexType: 1, nelems: 2 },
      {
        kind: "struct",
        name: "s",
        size: 4,
        kindFlag: false,
        members: [{ name: "x", type: 1, bitOffset: 0, bitSize: 0 }],
      },
      { kind: "func_proto", name: "", returns: 1, params: [{ name: "p", type: 1 }], variadic: false },
      { kind: "typedef", name: "t_t", type: 1 },
    ]);
    const view = new DataView(bytes.buffer, bytes.byteOffset);
    const offsets = readBtf(bytes);
    const array = offsets.recordOffset(2);
    const struct = offsets.recordOffset(3);
    const proto = offsets.recordOffset(4);
    const typedef = offsets.recordOffset(5);
    const bad = (where: number, read: (btf: ReturnType<typeof readBtf>) => unknown) => {
      const copy = bytes.slice();
      new DataView(copy.buffer).setUint32(where, 999, true);
      const e = btfError(() => read(readBtf(copy)));
      return [e.code, e.offset];
    };
    expect(bad(array + 12, (b) => b.type(2))).toEqual(["BTF_TYPE_ID", array + 12]);
    expect(bad(array + 16, (b) => b.type(2))).toEqual(["BTF_TYPE_ID", array + 16]);
    expect(bad(array + 12, (b) => b.arrayElement(2))).toEqual(["BTF_TYPE_ID", array + 12]);
    expect(bad(struct + 16, (b) => b.type(3))).toEqual(["BTF_TYPE_ID", struct + 16]);
    expect(bad(proto + 16, (b) => b.type(4))).toEqual(["BTF_TYPE_ID", proto + 16]);
    expect(bad(typedef + 8, (b) => b.target(5))).toEqual(["BTF_TYPE_ID", typedef + 8]);
    expect(view.getUint32(typedef + 8, true)).toBe(1);
  });

  it("measures types as the C ABI does: list_head is 16 bytes, 8-aligned; struct page 64", () => {
    const btf = readBtf(fixtureBtf());
    const listHead = btf.findStruct("list_head")!;
    expect([btf.sizeOf(listHead), btf.alignOf(listHead)]).toEqual([16, 8]);
    expect(btf.sizeOf(btf.findStruct("page")!)).toBe(64);
  });

  it("finds no type by the empty name, from the first lookup on", () => {
    const btf = readBtf(
      writeBtf([
        int,
        {
          kind: "struct",
          name: "",
          size: 4,
          kindFlag: false,
          members: [{ name: "x", type: 1, bitOffset: 0, bitSize: 0 }],
        },
      ]),
    );
    expect(btf.findAll("")).toEqual([]);
    expect(btf.find("")).toBeUndefined();
    expect(btf.findStruct("")).toBeUndefined();
  });

  it("never reads past the last record when it scans for a name", () => {
    // A name at string offset 0x1eb9f, the value of the file's first word (magic 0xeb9f, version 1): a scan that
    // ran one record too far would read that word and report a type after the last.
    const filler = "x".repeat(0x1eb9f - 5 - 1);
    const btf = readBtf(
      writeBtf([
        int,
        { kind: "typedef", name: filler, type: 1 },
        { kind: "typedef", name: "target", type: 1 },
      ]),
    );
    expect(btf.strings.get(0x1eb9f, 0, 3)).toBe("target");
    expect(btf.findAll("target")).toEqual([3]);
  });

  it("errors for an aggregate that is not one carry their code", () => {
    const btf = readBtf(writeBtf([int]));
    const e = btfError(() => btf.aggregate(1));
    expect([e.code, e.typeId]).toEqual(["BTF_NOT_A_TYPE", 1]);
    expect(btfError(() => btf.checkId(-1)).code).toBe("BTF_TYPE_ID");
  });
});
