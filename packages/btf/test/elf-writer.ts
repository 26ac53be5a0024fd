/**
 * A minimal ELF writer for tests: a header, the sections' bytes, a section-name table and the section header
 * table, in either class and byte order, laid out as the gABI says (binutils lays out the same way). It is
 * the input the ELF reader's property tests generate; real files from the kernel build are in the fixtures.
 */
export interface ElfSpec {
  readonly elfClass: 32 | 64;
  readonly littleEndian: boolean;
  readonly machine?: number;
  /** e_type: 1 relocatable, 2 executable. */
  readonly type?: number;
  readonly sections: readonly { name: string; data: Uint8Array; type?: number; flags?: number }[];
}

export interface WrittenElf {
  readonly bytes: Uint8Array;
  /** File offset of each section's data, in `sections` order. */
  readonly offsets: readonly number[];
  readonly shoff: number;
  readonly shentsize: number;
}

export function writeElf(spec: ElfSpec): WrittenElf {
  const is64 = spec.elfClass === 64;
  const le = spec.littleEndian;
  const ehsize = is64 ? 64 : 52;
  const shentsize = is64 ? 64 : 40;
  const enc = new TextEncoder();
  // Section-name table: "\0" then each name, then ".shstrtab".
  const names = [...spec.sections.map((s) => s.name), ".shstrtab"];
  const nameOffsets: number[] = [];
  const parts: number[] = [0];
  for (const n of names) {
    nameOffsets.push(parts.length);
    parts.push(...enc.encode(n), 0);
  }
  const shstrtab = new Uint8Array(parts);
  const datas = [...spec.sections.map((s) => s.data), shstrtab];
  let pos = ehsize;
  const offsets: number[] = [];
  for (const d of datas) {
    pos = (pos + 7) & ~7;
    offsets.push(pos);
    pos += d.length;
  }
  const shoff = (pos + 7) & ~7;
  const shnum = datas.length + 1;
  const bytes = new Uint8Array(shoff + shnum * shentsize);
  const v = new DataView(bytes.buffer);
  bytes.set([0x7f, 0x45, 0x4c, 0x46, is64 ? 2 : 1, le ? 1 : 2, 1], 0);
  v.setUint16(16, spec.type ?? 1, le);
  v.setUint16(18, spec.machine ?? 62, le);
  v.setUint32(20, 1, le);
  const word = (at: number, value: number) => {
    if (is64) v.setBigUint64(at, BigInt(value), le);
    else v.setUint32(at, value, le);
  };
  word(is64 ? 40 : 32, shoff);
  v.setUint16(is64 ? 52 : 40, ehsize, le);
  v.setUint16(is64 ? 58 : 46, shentsize, le);
  v.setUint16(is64 ? 60 : 48, shnum, le);
  v.setUint16(is64 ? 62 : 50, shnum - 1, le);
  datas.forEach((d, i) => {
    bytes.set(d, offsets[i]!);
    const at = shoff + (i + 1) * shentsize;
    const s = spec.sections[i];
    v.setUint32(at, nameOffsets[i]!, le);
    v.setUint32(at + 4, s?.type ?? (i === datas.length - 1 ? 3 : 1), le);
    if (is64) {
      v.setBigUint64(at + 8, BigInt(s?.flags ?? 0), le);
      v.setBigUint64(at + 24, BigInt(offsets[i]!), le);
      v.setBigUint64(at + 32, BigInt(d.length), le);
      v.setBigUint64(at + 48, 1n, le);
    } else {
      v.setUint32(at + 8, s?.flags ?? 0, le);
      v.setUint32(at + 16, offsets[i]!, le);
      v.setUint32(at + 20, d.length, le);
      v.setUint32(at + 32, 1, le);
    }
  });
  return { bytes, offsets, shoff, shentsize };
}
