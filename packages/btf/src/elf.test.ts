import { formatPahole } from "@memdesc/core/layout";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { writeElf } from "../test/elf-writer.js";
import { fixtureBtf, fixturePahole } from "../test/fixture.js";
import { btfError, intSpec } from "../test/specs.js";
import { findSection, parseElf, sectionBytes } from "./elf.js";
import { BtfError } from "./errors.js";
import { openBtf } from "./open.js";
import { readBtf } from "./reader.js";
import { writeBtf } from "./writer.js";

const raw = fixtureBtf();
const sectionName = fc.stringMatching(/^\.?[A-Za-z_][A-Za-z0-9_.]{0,15}$/);
const section = fc.record({ name: sectionName, data: fc.uint8Array({ maxLength: 64 }) });

describe("parseElf", () => {
  it("finds every section, by name, with its bytes: ELF32 and ELF64, either byte order", () => {
    fc.assert(
      fc.property(
        fc.constantFrom(32 as const, 64 as const),
        fc.boolean(),
        fc.array(section, { maxLength: 12 }),
        (elfClass, littleEndian, sections) => {
          const { bytes, offsets } = writeElf({ elfClass, littleEndian, sections });
          const elf = parseElf(bytes, "t.o");
          expect(elf.elfClass).toBe(elfClass);
          expect(elf.littleEndian).toBe(littleEndian);
          expect(elf.sections.map((s) => s.name)).toEqual(["", ...sections.map((s) => s.name), ".shstrtab"]);
          sections.forEach((s, i) => {
            const found = elf.sections[i + 1]!;
            expect(found.offset).toBe(offsets[i]);
            expect(sectionBytes(bytes, found)).toEqual(s.data);
          });
        },
      ),
    );
  });

  it("names the architecture as uname -m does", () => {
    const arch = (elfClass: 32 | 64, machine: number, littleEndian = true) =>
      parseElf(writeElf({ elfClass, littleEndian, machine, sections: [] }).bytes).arch;
    expect(arch(64, 62)).toBe("x86_64");
    expect(arch(32, 3)).toBe("i386");
    expect(arch(64, 183)).toBe("aarch64");
    expect(arch(64, 22, false)).toBe("s390x");
    expect(arch(64, 9999)).toBe("machine 9999");
  });

  it("reads extended section numbering (e_shnum 0: the count is in section 0's sh_size)", () => {
    const { bytes, shoff } = writeElf({
      elfClass: 64,
      littleEndian: true,
      sections: [{ name: ".BTF", data: new Uint8Array([1, 2, 3]) }],
    });
    const v = new DataView(bytes.buffer);
    v.setUint16(60, 0, true);
    v.setBigUint64(shoff + 32, 3n, true);
    const elf = parseElf(bytes);
    expect(findSection(elf, ".BTF")?.size).toBe(3);
  });
});

describe("openBtf", () => {
  it("reads the .BTF section of an ELF file as it reads the raw file: every layout prints as pahole's", () => {
    for (const littleEndian of [true, false]) {
      const { bytes, offsets } = writeElf({
        elfClass: 64,
        littleEndian,
        sections: [
          { name: ".text", data: new Uint8Array(100) },
          { name: ".BTF", data: raw },
        ],
      });
      const btf = openBtf(bytes, { file: "vmlinux" });
      expect(btf.source).toMatchObject({
        format: "elf",
        arch: "x86_64",
        elfClass: 64,
        littleEndian,
        section: { name: ".BTF", offset: offsets[1], size: raw.length },
      });
      for (const name of ["page", "folio", "slab"])
        expect(formatPahole(btf.layout(name))).toBe(fixturePahole(name));
    }
  });

  it("reads a raw file as before", () => {
    const btf = openBtf(raw, { file: "vmlinux.btf" });
    expect(btf.source.format).toBe("raw");
    expect(formatPahole(btf.layout("folio"))).toBe(fixturePahole("folio"));
  });

  it("takes the pointer size from the ELF class", () => {
    const ptr = writeBtf([intSpec, { kind: "ptr", name: "", type: 1 }]);
    const at = (elfClass: 32 | 64) =>
      openBtf(writeElf({ elfClass, littleEndian: true, sections: [{ name: ".BTF", data: ptr }] }).bytes);
    expect([at(32).pointerSize, at(32).abi]).toEqual([4, "ilp32"]);
    expect([at(64).pointerSize, at(64).abi]).toEqual([8, "lp64"]);
  });

  it("reports offsets in the ELF file for errors inside .BTF", () => {
    const bad = raw.slice();
    new DataView(bad.buffer).setUint32(24 + 16, 0xffffff, true);
    const { bytes, offsets } = writeElf({
      elfClass: 64,
      littleEndian: true,
      sections: [{ name: ".BTF", data: bad }],
    });
    const e = btfError(() => openBtf(bytes, { file: "vmlinux" }));
    expect(e.code).toBe("BTF_STRING");
    expect(e.offset).toBe(offsets[0]! + 24 + 16);
    expect(e.message).toMatch(/^vmlinux: name offset 16777215 is beyond the string section/);
  });

  it("says a file without .BTF has none, and names the tool that adds it", () => {
    const { bytes } = writeElf({ elfClass: 32, littleEndian: true, machine: 3, sections: [] });
    const e = btfError(() => openBtf(bytes, { file: "drv.ko" }));
    expect(e.code).toBe("BTF_NO_BTF");
    expect(e.message).toMatch(
      /^drv\.ko: this ELF32 i386 relocatable file has no \.BTF section: add one with pahole -J/,
    );
  });

  it("tells split BTF without a base from a broken file, and reads it with its base", () => {
    const base = writeBtf([intSpec]);
    const split = writeBtf(
      [
        { kind: "ptr", name: "", type: 1 },
        { kind: "typedef", name: "iptr", type: 2 },
      ],
      {
        base: readBtf(base),
      },
    );
    const ko = writeElf({
      elfClass: 64,
      littleEndian: true,
      sections: [{ name: ".BTF", data: split }],
    }).bytes;
    expect(btfError(() => openBtf(ko, { file: "m.ko" })).code).toBe("BTF_SPLIT");
    const btf = openBtf(ko, { file: "m.ko", base: readBtf(base) });
    expect(btf.source.base).toBe("given");
    expect(btf.name(btf.find("iptr")!)).toBe("iptr");
    expect(btf.sizeOf(btf.find("iptr")!)).toBe(8);
    // A module built with pahole's distilled_base carries its base in .BTF.base.
    const own = writeElf({
      elfClass: 64,
      littleEndian: true,
      sections: [
        { name: ".BTF", data: split },
        { name: ".BTF.base", data: base },
      ],
    }).bytes;
    const distilled = openBtf(own, { file: "m.ko" });
    expect(distilled.source.base).toBe("distilled");
    expect(distilled.resolve(distilled.find("iptr")!)).toBe(2);
  });

  it("refuses compressed files and boot images in one line saying what to do", () => {
    const cases: [number[], RegExp][] = [
      [[0xfd, 0x37, 0x7a, 0x58, 0x5a, 0x00], /xz-compressed .*xz -dk/],
      [[0x28, 0xb5, 0x2f, 0xfd], /zstd-compressed/],
      [[0x1f, 0x8b, 8], /gzip-compressed/],
    ];
    for (const [magic, message] of cases) {
      const bytes = new Uint8Array(64);
      bytes.set(magic);
      const e = btfError(() => openBtf(bytes, { file: "m.ko.x" }));
      expect([e.code, e.offset]).toEqual(["BTF_FORMAT", 0]);
      expect(e.message).toMatch(message);
    }
    const bz = new Uint8Array(0x300);
    bz.set([0x4d, 0x5a]);
    bz.set([0x48, 0x64, 0x72, 0x53], 0x202);
    expect(btfError(() => openBtf(bz, { file: "vmlinuz" })).message).toMatch(/bzImage.*extract-vmlinux/);
  });
});

describe("hostile ELF files end in one BtfError naming the file and the offset", () => {
  const good = writeElf({
    elfClass: 64,
    littleEndian: true,
    sections: [
      { name: ".text", data: new Uint8Array(16) },
      { name: ".BTF", data: writeBtf([intSpec]) },
    ],
  });

  const onlyBtfErrors = (bytes: Uint8Array) => {
    try {
      const btf = openBtf(bytes, { file: "hostile.ko" });
      for (let id = 1; id <= btf.lastId; id++) btf.type(id);
    } catch (e) {
      if (!(e instanceof BtfError)) throw e;
      expect(e.message).toMatch(/^hostile\.ko: /);
      expect(e.offset).toBeGreaterThanOrEqual(0);
      expect(e.offset).toBeLessThanOrEqual(bytes.length);
    }
  };

  it("every truncation", () => {
    for (let n = 0; n < good.bytes.length; n++) onlyBtfErrors(good.bytes.subarray(0, n));
  });

  it("bit flips and extreme words anywhere (fast-check)", () => {
    fc.assert(
      fc.property(
        fc.array(fc.record({ at: fc.nat(good.bytes.length - 1), bit: fc.nat(7) }), {
          minLength: 1,
          maxLength: 6,
        }),
        fc.option(
          fc.record({
            word: fc.nat(Math.floor(good.bytes.length / 4) - 1),
            value: fc.constantFrom(0, 1, 0x7fffffff, 0xffffffff, 0x10000),
          }),
        ),
        (flips, word) => {
          const b = good.bytes.slice();
          for (const f of flips) b[f.at]! ^= 1 << f.bit;
          if (word) new DataView(b.buffer).setUint32(word.word * 4, word.value, true);
          onlyBtfErrors(b);
        },
      ),
      { numRuns: 2000 },
    );
  });

  const patched = (edit: (v: DataView) => void) => {
    const b = good.bytes.slice();
    edit(new DataView(b.buffer));
    return b;
  };
  const elfError = (bytes: Uint8Array) => btfError(() => openBtf(bytes, { file: "hostile.ko" }));
  const sh = (i: number) => good.shoff + i * good.shentsize;

  it("names the field at fault", () => {
    const cases: [Uint8Array, number, RegExp][] = [
      [
        patched((v) => v.setBigUint64(40, 1n << 40n, true)),
        40,
        /section header table at \d+ lies past the end/,
      ],
      [patched((v) => v.setBigUint64(40, 1n << 60n, true)), 40, /e_shoff 0x10000000\w+ is out of range/],
      [patched((v) => v.setUint16(58, 12, true)), 58, /e_shentsize 12 is smaller than a section header/],
      [
        patched((v) => v.setUint16(60, 0xff00, true)),
        40,
        /65280 section headers of 64 bytes at \d+ run past the end/,
      ],
      [patched((v) => v.setUint16(62, 9, true)), 62, /e_shstrndx 9 is not a section \(there are 4\)/],
      [
        patched((v) => v.setBigUint64(sh(2) + 24, 1n << 32n, true)),
        sh(2) + 24,
        /section 2 \[\d+, \d+\) runs past the end/,
      ],
      [
        patched((v) => v.setBigUint64(sh(2) + 32, 1n << 20n, true)),
        sh(2) + 24,
        /section 2 \[\d+, \d+\) runs past the end/,
      ],
      [
        patched((v) => v.setUint32(sh(2), 5000, true)),
        sh(2),
        /section 2's name offset 5000 is outside the section name table/,
      ],
      [patched((v) => v.setUint8(4, 3)), 4, /EI_CLASS 3/],
      [patched((v) => v.setUint8(5, 0)), 5, /EI_DATA 0/],
      [
        patched((v) => v.setUint32(sh(2) + 4, 8, true)),
        sh(2),
        /section \.BTF has no data in the file \(SHT_NOBITS\)/,
      ],
      [patched((v) => v.setUint32(sh(2) + 8, 0x800, true)), sh(2), /section \.BTF is compressed/],
    ];
    for (const [bytes, offset, message] of cases) {
      const e = elfError(bytes);
      expect(e.message, String(message)).toMatch(message);
      expect(e.message).toMatch(/^hostile\.ko: /);
      expect(e.offset, String(message)).toBe(offset);
    }
  });
});

describe("openBtf on a file read lazily", () => {
  it("reads only the ELF headers, the section names and .BTF, and gives the same layouts", () => {
    const text = new Uint8Array(4 << 20).fill(0xcc);
    const { bytes } = writeElf({
      elfClass: 64,
      littleEndian: true,
      sections: [
        { name: ".text", data: text },
        { name: ".BTF", data: raw },
      ],
    });
    const lazy = new Uint8Array(bytes.length);
    let loaded = 0;
    const btf = openBtf(lazy, {
      file: "vmlinux",
      load: (offset, length) => {
        expect(offset + length).toBeLessThanOrEqual(bytes.length);
        lazy.set(bytes.subarray(offset, offset + length), offset);
        loaded += length;
      },
    });
    expect(formatPahole(btf.layout("folio"))).toBe(fixturePahole("folio"));
    expect(loaded).toBeLessThan(raw.length + 4096);
    expect(lazy.subarray(5000, 6000).every((b) => b === 0)).toBe(true);
  });

  it("reads a raw BTF file whole", () => {
    const lazy = new Uint8Array(raw.length);
    const btf = openBtf(lazy, { file: "vmlinux.btf", load: (o, l) => lazy.set(raw.subarray(o, o + l), o) });
    expect(btf.source.format).toBe("raw");
    expect(formatPahole(btf.layout("slab"))).toBe(fixturePahole("slab"));
  });
});
