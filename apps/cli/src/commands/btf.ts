import { type Btf, readBtf } from "@memdesc/btf";
import { displayPath } from "../config/load.js";
import { inputCaps, readInput } from "../io/input.js";

/** The running kernel's BTF, where `check` and `layout` look by default. */
export const kernelBtf = "/sys/kernel/btf/vmlinux";

/**
 * Reads and indexes a BTF file through the CLI's input reader (a regular file, at most 1 GiB); an unreadable
 * file is one user error naming it.
 */
export function loadBtf(path: string, cwd: string): Btf {
  const shown = displayPath(path, cwd);
  const live = path === kernelBtf;
  const bytes = readInput(path, {
    shown,
    what: "BTF file",
    maxBytes: inputCaps.btf,
    code: "BTF_UNREADABLE",
    hint: live
      ? "pass a kernel's BTF with --btf FILE (copy /sys/kernel/btf/vmlinux from the machine, or extract vmlinux's .BTF)"
      : "check the path given to --btf",
    missing: `cannot read ${shown}: ${live ? "it does not exist (a kernel built without CONFIG_DEBUG_INFO_BTF, or not Linux)" : "it does not exist"}`,
  });
  return readBtf(bytes, { file: shown });
}
