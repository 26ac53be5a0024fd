import { type Btf, openBtf } from "@memdesc/btf";

/** A kernel's BTF the user dropped on the page: read here, never uploaded. */
export interface DroppedKernel {
  readonly name: string;
  readonly btf: Btf;
  /** `x86_64, lp64, ELF`, `lp64, raw BTF`, and the base a module read on. */
  readonly description: string;
}

/** Files larger than this are refused before they are read: a vmlinux with all its DWARF is a few hundred MB. */
export const MAX_KERNEL_FILE = 1 << 30;

/**
 * Reads a dropped file as a kernel's BTF: raw BTF, or an ELF vmlinux, `.ko` or object. A module's split BTF
 * reads on a kernel dropped before it (`base`). A bad file is an Error with the one-line message the CLI prints.
 */
export async function readKernelFile(file: File, base?: DroppedKernel): Promise<DroppedKernel> {
  if (file.size > MAX_KERNEL_FILE)
    throw new Error(
      `${file.name}: ${file.size} bytes is more than the ${MAX_KERNEL_FILE}-byte limit for a kernel file`,
    );
  const bytes = new Uint8Array(await file.arrayBuffer());
  return openKernel(file.name, bytes, base);
}

/** The bytes of a kernel file as a DroppedKernel (split BTF on `base` when it needs one). */
export function openKernel(name: string, bytes: Uint8Array, base?: DroppedKernel): DroppedKernel {
  let btf: Btf;
  try {
    btf = openBtf(bytes, { file: name });
  } catch (e) {
    if ((e as { code?: string }).code !== "BTF_SPLIT" || !base) throw e;
    btf = openBtf(bytes, { file: name, base: base.btf });
  }
  const parts = [btf.source.arch, btf.abi, btf.source.format === "elf" ? "ELF" : "raw BTF"].filter(Boolean);
  if (btf.base) parts.push(btf.source.base === "distilled" ? "on its own .BTF.base" : `on ${btf.base.file}`);
  return { name, btf, description: parts.join(", ") };
}
