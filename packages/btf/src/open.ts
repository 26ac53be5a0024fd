import { findSection, isElf, type LoadRange, parseElf, sectionBytes } from "./elf.js";
import { BtfError } from "./errors.js";
import { Btf, type ReadBtfOptions } from "./reader.js";

export interface OpenBtfOptions extends Omit<ReadBtfOptions, "window" | "source"> {
  /**
   * For a file read lazily: `bytes` is the file's size, zero-filled, and `load` fills each range before it is
   * read (for an ELF file, its headers and the BTF sections; anything else whole).
   */
  readonly load?: LoadRange;
}

/** ELF `e_type` names, for messages. */
const elfTypes: Record<number, string> = { 1: "relocatable", 2: "executable", 3: "shared object" };

/**
 * Reads BTF wherever it lives, as pahole and bpftool do: a raw BTF file (`/sys/kernel/btf/vmlinux`, or
 * `pahole --btf_encode_detached` output) or an ELF file's `.BTF` section (a vmlinux, a `.ko`, an object run
 * through `pahole -J`), ELF32 or ELF64, either byte order. A module is split BTF: pass its kernel's BTF as
 * `base`; a module that carries its own distilled base (`.BTF.base`, pahole 1.28's `distilled_base`) reads
 * without one. Files that hold BTF only inside a compressed container are refused with what to do.
 */
export function openBtf(bytes: Uint8Array, options: OpenBtfOptions = {}): Btf {
  const { file, load, ...read } = options;
  load?.(0, Math.min(bytes.length, 0x400));
  if (!isElf(bytes)) {
    refuseContainer(bytes, file);
    load?.(0, bytes.length);
    return new Btf(bytes, { ...read, ...(file !== undefined ? { file } : {}) });
  }
  const elf = parseElf(bytes, file, load);
  const btf = findSection(elf, ".BTF");
  const what = `ELF${elf.elfClass} ${elf.arch} ${elfTypes[elf.type] ?? `type ${elf.type}`} file`;
  if (!btf)
    throw new BtfError(
      "BTF_NO_BTF",
      `this ${what} has no .BTF section: add one with pahole -J (dwarves), from its DWARF; a kernel build adds it with CONFIG_DEBUG_INFO_BTF=y, and to modules with CONFIG_DEBUG_INFO_BTF_MODULES=y`,
      { offset: 0, file },
    );
  sectionBytes(bytes, btf, file);
  load?.(btf.offset, btf.size);
  const common = {
    format: "elf" as const,
    arch: elf.arch,
    elfClass: elf.elfClass,
    littleEndian: elf.littleEndian,
  };
  let base = options.base;
  let baseHow: "given" | "distilled" | undefined = base ? "given" : undefined;
  const distilled = findSection(elf, ".BTF.base");
  if (!base && distilled) {
    sectionBytes(bytes, distilled, file);
    load?.(distilled.offset, distilled.size);
    base = new Btf(bytes, {
      file,
      ...(options.pointerSize ? { pointerSize: options.pointerSize } : {}),
      window: { offset: distilled.offset, size: distilled.size },
      source: {
        ...common,
        section: { name: distilled.name, offset: distilled.offset, size: distilled.size },
      },
    });
    baseHow = "distilled";
  }
  return new Btf(bytes, {
    file,
    ...(base ? { base } : {}),
    // The ELF class says the pointer size outright; BTF alone only lets it be guessed from `long`.
    pointerSize: options.pointerSize ?? (elf.elfClass === 32 ? 4 : 8),
    window: { offset: btf.offset, size: btf.size },
    source: {
      ...common,
      section: { name: btf.name, offset: btf.offset, size: btf.size },
      ...(baseHow ? { base: baseHow } : {}),
    },
  });
}

/** Compressed files and boot images that hold BTF only inside them: one line saying how to get it out. */
function refuseContainer(bytes: Uint8Array, file: string | undefined): void {
  const starts = (...magic: number[]) => magic.every((b, i) => bytes[i] === b);
  const refuse = (detail: string) => {
    throw new BtfError("BTF_FORMAT", detail, { offset: 0, file });
  };
  if (starts(0xfd, 0x37, 0x7a, 0x58, 0x5a, 0x00))
    refuse("this file is xz-compressed (a compressed module is .ko.xz): decompress it first (xz -dk FILE)");
  if (starts(0x28, 0xb5, 0x2f, 0xfd))
    refuse(
      "this file is zstd-compressed (a compressed module is .ko.zst): decompress it first (zstd -d FILE)",
    );
  if (starts(0x1f, 0x8b))
    refuse(
      "this file is gzip-compressed (a compressed module is .ko.gz): decompress it first (gunzip -k FILE)",
    );
  // x86's bzImage: "HdrS" at 0x202 (Documentation/arch/x86/boot.rst); arm64's Image: "ARM\x64" at 0x38.
  if (bytes.length > 0x206 && starts(0x4d, 0x5a) && bytes[0x202] === 0x48 && bytes[0x203] === 0x64)
    refuse(
      "this is a compressed kernel image (bzImage, /boot/vmlinuz): its BTF is in the vmlinux inside; extract it with the kernel's scripts/extract-vmlinux, or read /sys/kernel/btf/vmlinux on that kernel",
    );
  if (
    bytes.length > 0x3c &&
    bytes[0x38] === 0x41 &&
    bytes[0x39] === 0x52 &&
    bytes[0x3a] === 0x4d &&
    bytes[0x3b] === 0x64
  )
    refuse(
      "this is an arm64 kernel Image, not ELF: use the vmlinux from the build tree, or /sys/kernel/btf/vmlinux on that kernel",
    );
}
