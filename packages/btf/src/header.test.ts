import { describe, expect, it } from "vitest";
import { btfError, intSpec as int } from "../test/specs.js";
import { parseHeader } from "./header.js";
import { readBtf } from "./reader.js";
import { writeBtf } from "./writer.js";

describe("parseHeader", () => {
  it("reads the byte order from the magic", () => {
    expect(parseHeader(writeBtf([int])).littleEndian).toBe(true);
    expect(parseHeader(writeBtf([int], { littleEndian: false })).littleEndian).toBe(false);
  });

  it("honours a longer hdr_len from a newer kernel: the sections start after it", () => {
    const bytes = writeBtf([int], { hdrLen: 40 });
    // A newer kernel fills its extra header fields; they must not matter.
    new DataView(bytes.buffer).setUint32(24, 0xdeadbeef, true);
    const h = parseHeader(bytes);
    expect(h.hdrLen).toBe(40);
    expect(h.typeStart).toBe(40);
    expect(readBtf(bytes).type(1)).toMatchObject({ kind: "int", name: "int", size: 4 });
  });

  const fails = (bytes: Uint8Array, code: string, message: RegExp) => {
    const e = btfError(() => readBtf(bytes, { file: "test.btf" }));
    expect(e.code).toBe(code);
    expect(e.message).toMatch(message);
    expect(e.message).toMatch(/^test\.btf: /);
    return e;
  };

  it("rejects a file too short for the header", () => {
    fails(new Uint8Array([0x9f]), "BTF_TRUNCATED", /too short for the header's magic/);
    fails(new Uint8Array([0x9f, 0xeb, 1, 0]), "BTF_TRUNCATED", /too short for the header's hdr_len/);
  });

  it("rejects a wrong magic, naming byte offset 0", () => {
    const e = fails(new Uint8Array([0x7f, 0x45, 0x4c, 0x46, 0, 0, 0, 0]), "BTF_MAGIC", /bad magic 0x457f/);
    expect(e.offset).toBe(0);
    expect(e.message).toMatch(/byte offset 0/);
  });

  it("rejects an hdr_len past the end of the file", () => {
    const bytes = writeBtf([int]);
    new DataView(bytes.buffer).setUint32(4, bytes.length + 1, true);
    const e = fails(bytes, "BTF_HEADER", /hdr_len \d+ runs past the end/);
    expect(e.offset).toBe(4);
  });

  it("rejects sections that run past the end", () => {
    const bytes = writeBtf([int]);
    new DataView(bytes.buffer).setUint32(20, 1000, true);
    fails(bytes, "BTF_TRUNCATED", /string section .* runs past/);
    const types = writeBtf([int]);
    new DataView(types.buffer).setUint32(12, 0x7ffffff0, true);
    fails(types, "BTF_TRUNCATED", /type section .* runs past/);
  });

  it("rejects an unsupported version", () => {
    const bytes = writeBtf([int]);
    bytes[2] = 2;
    fails(bytes, "BTF_HEADER", /unsupported BTF version 2/);
  });
});
