import { describe, expect, it } from "vitest";
import { btfError, intSpec as int } from "../test/specs.js";
import { readBtf } from "./reader.js";
import { writeBtf } from "./writer.js";

const HDR = 24;

const patch32 = (bytes: Uint8Array, at: number, value: number) => {
  new DataView(bytes.buffer, bytes.byteOffset).setUint32(at, value, true);
  return bytes;
};

describe("bad input gives one BtfError naming the byte offset and the type id", () => {
  it("a name offset past the string section (caught while indexing)", () => {
    const bytes = patch32(writeBtf([int, int]), HDR + 16, 99999);
    const e = btfError(() => readBtf(bytes, { file: "bad.btf" }));
    expect(e.code).toBe("BTF_STRING");
    expect(e.typeId).toBe(2);
    expect(e.offset).toBe(HDR + 16);
    expect(e.message).toBe(
      "bad.btf: name offset 99999 is beyond the string section (which ends at 5) (type id 2, byte offset 40)",
    );
  });

  it("a member name offset past the string section (caught when decoded)", () => {
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
    const member = HDR + 16 + 12;
    patch32(bytes, member, 7777);
    const btf = readBtf(bytes);
    const e = btfError(() => btf.type(2));
    expect([e.code, e.typeId, e.offset]).toEqual(["BTF_STRING", 2, member]);
    expect(btfError(() => btf.layout("s")).code).toBe("BTF_STRING");
  });

  it("a type id out of range", () => {
    const bytes = patch32(writeBtf([int, { kind: "ptr", name: "", type: 1 }]), HDR + 16 + 8, 5000);
    const btf = readBtf(bytes);
    const e = btfError(() => btf.type(2));
    expect([e.code, e.typeId, e.offset]).toEqual(["BTF_TYPE_ID", 2, HDR + 16 + 8]);
    expect(e.message).toMatch(/refers to type id 5000, but the last type id is 2/);
    expect(btfError(() => btf.ctype(2)).code).toBe("BTF_TYPE_ID");
    expect(btfError(() => btf.type(3)).message).toMatch(/type id 3 does not exist/);
    expect(btfError(() => btf.layout(0)).code).toBe("BTF_NOT_A_TYPE");
  });

  it("a typedef chain that loops", () => {
    const btf = readBtf(
      writeBtf([
        { kind: "typedef", name: "a_t", type: 2 },
        { kind: "typedef", name: "b_t", type: 1 },
        { kind: "ptr", name: "", type: 1 },
      ]),
    );
    for (const fn of [
      () => btf.resolve(1),
      () => btf.ctype(1),
      () => btf.ctype(3),
      () => btf.layout("a_t"),
      () => btf.sizeOf(1),
    ]) {
      const e = btfError(fn);
      expect(e.code).toBe("BTF_CYCLE");
      expect(e.typeId === 1 || e.typeId === 2 || e.typeId === 3).toBe(true);
      expect(e.offset).toBe(btf.recordOffset(e.typeId!));
    }
  });

  it("a struct that contains itself by value", () => {
    const btf = readBtf(
      writeBtf([
        {
          kind: "struct",
          name: "ouro",
          size: 8,
          kindFlag: false,
          members: [{ name: "me", type: 1, bitOffset: 0, bitSize: 0 }],
        },
      ]),
    );
    const e = btfError(() => btf.layout("ouro"));
    expect([e.code, e.typeId, e.offset]).toEqual(["BTF_CYCLE", 1, HDR]);
  });

  it("absurd sizes: a 64 GiB array, a member past its struct's end, a 3-byte INT", () => {
    const btf = readBtf(
      writeBtf([
        int,
        { kind: "array", name: "", type: 1, indexType: 1, nelems: 0xffffffff },
        {
          kind: "struct",
          name: "huge",
          size: 8,
          kindFlag: false,
          members: [{ name: "a", type: 2, bitOffset: 0, bitSize: 0 }],
        },
        {
          kind: "struct",
          name: "over",
          size: 4,
          kindFlag: false,
          members: [{ name: "b", type: 1, bitOffset: 32, bitSize: 0 }],
        },
        {
          kind: "int",
          name: "int24",
          size: 3,
          signed: true,
          char: false,
          bool: false,
          bits: 24,
          bitOffset: 0,
        },
        {
          kind: "struct",
          name: "wide",
          size: 4,
          kindFlag: true,
          members: [{ name: "c", type: 1, bitOffset: 0, bitSize: 40 }],
        },
      ]),
    );
    const big = btfError(() => btf.sizeOf(2));
    expect([big.code, big.typeId, big.offset]).toEqual(["BTF_SIZE", 2, btf.recordOffset(2)]);
    expect(btfError(() => btf.layout("huge")).code).toBe("BTF_SIZE");
    const over = btfError(() => btf.layout("over"));
    expect([over.code, over.typeId]).toEqual(["BTF_SIZE", 4]);
    expect(over.message).toMatch(/member "b" \(4 bytes at 4\) ends past the 4-byte struct/);
    expect(btfError(() => btf.ctype(5)).code).toBe("BTF_SIZE");
    expect(btfError(() => btf.layout("wide")).message).toMatch(/40 bits wide but its type has 32/);
  });

  it("a record cut short, and a vlen that claims more members than the section holds", () => {
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
    // Make the struct claim 1000 members.
    patch32(bytes, HDR + 16 + 4, (4 << 24) | 1000);
    const e = btfError(() => readBtf(bytes));
    expect([e.code, e.typeId, e.offset]).toEqual(["BTF_TRUNCATED", 2, HDR + 16]);
    expect(e.message).toBe(
      "BTF: STRUCT record with vlen 1000 needs 12012 bytes, but the type section has 24 left (type id 2, byte offset 40)",
    );

    const short = writeBtf([int, int]);
    patch32(short, 12, 20); // type_len: one record and 4 bytes of the next
    const cut = btfError(() => readBtf(short));
    expect([cut.code, cut.typeId, cut.offset]).toEqual(["BTF_TRUNCATED", 2, HDR + 16]);
    expect(cut.message).toBe("BTF: type section ends inside a record header (type id 2, byte offset 40)");
  });

  it("a kind this reader does not know is fatal: no record length lets it be skipped", () => {
    const bytes = patch32(writeBtf([int, int]), HDR + 16 + 4, 20 << 24);
    const e = btfError(() => readBtf(bytes));
    expect([e.code, e.typeId, e.offset]).toEqual(["BTF_KIND", 2, HDR + 16 + 4]);
    expect(e.message).toBe(
      "BTF: unknown kind 20: without its size the records after it cannot be found (type id 2, byte offset 44)",
    );
  });

  it("a string section without its terminating NUL", () => {
    const bytes = writeBtf([int]);
    bytes[bytes.length - 1] = 0x41;
    const e = btfError(() => readBtf(bytes));
    expect([e.code, e.offset]).toEqual(["BTF_STRING", bytes.length - 1]);
  });

  it("asking for what is not there", () => {
    const btf = readBtf(writeBtf([int]));
    expect(btfError(() => btf.layout("page")).code).toBe("BTF_NOT_FOUND");
    expect(btfError(() => btf.layout(1)).code).toBe("BTF_NOT_A_TYPE");
  });
});
