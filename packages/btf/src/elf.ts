import { BtfError } from "./errors.js";

/*
 * Just enough ELF to find a section by name: the file header, the section header table and the section-name
 * string table, in either class (ELF32, ELF64) and either byte order, as the System V gABI ("Object Files",
 * https://www.sco.com/developers/gabi/latest/ch4.intro.html) and Linux's include/uapi/linux/elf.h define
 * them. Every offset and size is checked against the file before it is used, so a hostile file costs at
 * most one pass over its section headers, whose count the file's size bounds.
 */

/** `\x7fELF` */
export const ELF_MAGIC = [0x7f, 0x45, 0x4c, 0x46] as const;

const SHT_NOBITS = 8;
const SHF_COMPRESSED = 0x800;
/** `e_shstrndx` escape: the real index is in section 0's `sh_link`. */
const SHN_XINDEX = 0xffff;

/** `e_machine` values (include/uapi/linux/elf-em.h) of architectures Linux builds BTF for. */
const machines: Record<number, readonly [name32: string, name64: string]> = {
  2: ["sparc", "sparc"],
  3: ["i386", "i386"],
  8: ["mips", "mips64"],
  15: ["parisc", "parisc64"],
  20: ["powerpc", "powerpc"],
  21: ["ppc64", "ppc64"],
  22: ["s390", "s390x"],
  40: ["arm", "arm"],
  43: ["sparc64", "sparc64"],
  62: ["x86_64", "x86_64"],
  183: ["aarch64", "aarch64"],
  243: ["riscv32", "riscv64"],
  258: ["loongarch32", "loongarch64"],
};

export interface ElfSection {
  readonly index: number;
  readonly name: string;
  /** `sh_type` */
  readonly type: number;
  /** `sh_flags` (the low 32 bits, which hold every flag the gABI defines). */
  readonly flags: number;
  /** File offset and size of the section's bytes. */
  readonly offset: number;
  readonly size: number;
  /** File offset of this section's header, for messages. */
  readonly headerOffset: number;
}

export interface ElfFile {
  readonly elfClass: 32 | 64;
  readonly littleEndian: boolean;
  /** `e_type`: 1 relocatable (`.o`, `.ko`), 2 executable (vmlinux), 3 shared object. */
  readonly type: number;
  readonly machine: number;
  /** The architecture as `uname -m` names it (`x86_64`, `aarch64`, `i386`, `s390x`), or `machine N`. */
  readonly arch: string;
  readonly sections: readonly ElfSection[];
}

/** Whether the bytes start with the ELF magic. */
export function isElf(bytes: Uint8Array): boolean {
  return (
    bytes.length >= 4 &&
    bytes[0] === ELF_MAGIC[0] &&
    bytes[1] === ELF_MAGIC[1] &&
    bytes[2] === ELF_MAGIC[2] &&
    bytes[3] === ELF_MAGIC[3]
  );
}

/**
 * Brings a byte range of a file that is read lazily into `bytes` before it is read (`bytes` is the file's
 * size, zero-filled; the range is inside it). A 1 GB vmlinux with DWARF then costs the few MB of its headers
 * and `.BTF`, not a read of the whole file.
 */
export type LoadRange = (offset: number, length: number) => void;

/**
 * Parses the ELF header and section header table. A malformed file is one `BtfError` (`BTF_ELF`) naming the
 * file and the byte offset of the field at fault. With `load`, only the ranges parsed are read.
 */
export function parseElf(bytes: Uint8Array, file?: string, load?: LoadRange): ElfFile {
  const fail = (detail: string, offset: number) => new BtfError("BTF_ELF", detail, { offset, file });
  if (!isElf(bytes)) throw fail("not an ELF file (no \\x7fELF magic)", 0);
  if (bytes.length < 16) throw fail(`ELF file is ${bytes.length} bytes, too short for e_ident`, bytes.length);
  const cls = bytes[4];
  const data = bytes[5];
  if (cls !== 1 && cls !== 2) throw fail(`EI_CLASS ${cls} is neither ELFCLASS32 (1) nor ELFCLASS64 (2)`, 4);
  if (data !== 1 && data !== 2)
    throw fail(`EI_DATA ${data} is neither ELFDATA2LSB (1) nor ELFDATA2MSB (2)`, 5);
  const is64 = cls === 2;
  const le = data === 1;
  const ehsize = is64 ? 64 : 52;
  load?.(0, Math.min(ehsize, bytes.length));
  if (bytes.length < ehsize)
    throw fail(
      `ELF${is64 ? 64 : 32} file is ${bytes.length} bytes, too short for its ${ehsize}-byte header`,
      0,
    );
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const u16 = (at: number) => view.getUint16(at, le);
  const u32 = (at: number) => view.getUint32(at, le);
  /** A 64-bit file offset or size; anything at or past 2^53 is past any file this can read. */
  const word = (at: number, what: string) => {
    if (!is64) return u32(at);
    const lo = view.getUint32(at + (le ? 0 : 4), le);
    const hi = view.getUint32(at + (le ? 4 : 0), le);
    if (hi >= 0x200000)
      throw fail(`${what} 0x${hi.toString(16)}${lo.toString(16).padStart(8, "0")} is out of range`, at);
    return hi * 0x1_0000_0000 + lo;
  };
  const type = u16(16);
  const machine = u16(18);
  const shoffAt = is64 ? 40 : 32;
  const shoff = word(shoffAt, "e_shoff");
  const shentsize = u16(is64 ? 58 : 46);
  let shnum = u16(is64 ? 60 : 48);
  let shstrndx = u16(is64 ? 62 : 50);
  const arch = machines[machine]?.[is64 ? 1 : 0] ?? `machine ${machine}`;
  const base = { elfClass: is64 ? (64 as const) : (32 as const), littleEndian: le, type, machine, arch };
  if (shoff === 0) return { ...base, sections: [] };
  const minEntry = is64 ? 64 : 40;
  if (shentsize < minEntry)
    throw fail(
      `e_shentsize ${shentsize} is smaller than a section header (${minEntry} bytes)`,
      is64 ? 58 : 46,
    );
  if (shoff > bytes.length - minEntry)
    throw fail(
      `section header table at ${shoff} lies past the end of the ${bytes.length}-byte file`,
      shoffAt,
    );
  const header = (i: number) => shoff + i * shentsize;
  load?.(shoff, minEntry);
  const sh = (i: number) => {
    const at = header(i);
    return is64
      ? {
          name: u32(at),
          type: u32(at + 4),
          flags: view.getUint32(at + (le ? 8 : 12), le),
          offset: word(at + 24, "sh_offset"),
          size: word(at + 32, "sh_size"),
          link: u32(at + 40),
        }
      : {
          name: u32(at),
          type: u32(at + 4),
          flags: u32(at + 8),
          offset: u32(at + 16),
          size: u32(at + 20),
          link: u32(at + 24),
        };
  };
  // Extended numbering (gABI "Sections"): more than 0xff00 sections keep their count and the name table's
  // index in section 0.
  if (shnum === 0) shnum = sh(0).size;
  if (shstrndx === SHN_XINDEX) shstrndx = sh(0).link;
  if (shnum > Math.floor((bytes.length - shoff) / shentsize))
    throw fail(
      `${shnum} section headers of ${shentsize} bytes at ${shoff} run past the end of the ${bytes.length}-byte file`,
      shoffAt,
    );
  load?.(shoff, shnum * shentsize);
  const raw = Array.from({ length: shnum }, (_, i) => sh(i));
  for (const [i, s] of raw.entries())
    if (s.type !== SHT_NOBITS && (s.offset > bytes.length || s.size > bytes.length - s.offset))
      throw fail(
        `section ${i} [${s.offset}, ${s.offset + s.size}) runs past the end of the ${bytes.length}-byte file`,
        header(i) + (is64 ? 24 : 16),
      );
  if (shstrndx >= shnum)
    throw fail(`e_shstrndx ${shstrndx} is not a section (there are ${shnum})`, is64 ? 62 : 50);
  const names = raw[shstrndx]!;
  if (names.type !== SHT_NOBITS) load?.(names.offset, names.size);
  const nameAt = (i: number, off: number) => {
    if (names.type === SHT_NOBITS || off >= names.size)
      throw fail(`section ${i}'s name offset ${off} is outside the section name table`, header(i));
    const from = names.offset + off;
    const to = bytes.subarray(from, names.offset + names.size).indexOf(0);
    if (to < 0) throw fail(`section ${i}'s name runs past the end of the section name table`, header(i));
    let s = "";
    for (let k = from; k < from + to; k++) s += String.fromCharCode(bytes[k]!);
    return s;
  };
  const sections = raw.map(
    (s, i): ElfSection => ({
      index: i,
      name: i === 0 ? "" : nameAt(i, s.name),
      type: s.type,
      flags: s.flags,
      offset: s.offset,
      size: s.type === SHT_NOBITS ? 0 : s.size,
      headerOffset: header(i),
    }),
  );
  return { ...base, sections };
}

/** The section named `name`, or undefined. */
export function findSection(elf: ElfFile, name: string): ElfSection | undefined {
  return elf.sections.find((s) => s.name === name);
}

/** A section's bytes (a view, not a copy); a section whose data is not in the file is a `BtfError`. */
export function sectionBytes(bytes: Uint8Array, section: ElfSection, file?: string): Uint8Array {
  if (section.type === SHT_NOBITS)
    throw new BtfError("BTF_ELF", `section ${section.name} has no data in the file (SHT_NOBITS)`, {
      offset: section.headerOffset,
      file,
    });
  if ((section.flags & SHF_COMPRESSED) !== 0)
    throw new BtfError(
      "BTF_ELF",
      `section ${section.name} is compressed (SHF_COMPRESSED); decompress it first: objcopy --decompress-debug-sections`,
      { offset: section.headerOffset, file },
    );
  return bytes.subarray(section.offset, section.offset + section.size);
}
