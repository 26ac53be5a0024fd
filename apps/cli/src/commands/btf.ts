import { readFileSync } from "node:fs";
import { type Btf, readBtf } from "@memdesc/btf";
import { displayPath } from "../config/load.js";
import { UserError } from "../errors.js";

/** The running kernel's BTF, where `check` and `layout` look by default. */
export const kernelBtf = "/sys/kernel/btf/vmlinux";

/** Reads and indexes a BTF file; an unreadable file is one user error naming it. */
export function loadBtf(path: string, cwd: string): Btf {
  const shown = displayPath(path, cwd);
  let bytes: Uint8Array;
  try {
    bytes = readFileSync(path);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    const live = path === kernelBtf;
    const why =
      code === "ENOENT"
        ? live
          ? "it does not exist (a kernel built without CONFIG_DEBUG_INFO_BTF, or not Linux)"
          : "it does not exist"
        : code === "EACCES" || code === "EPERM"
          ? "permission denied"
          : code === "EISDIR"
            ? "it is a directory"
            : (err as Error).message;
    throw new UserError(
      `cannot read ${shown}: ${why}`,
      live
        ? "pass a kernel's BTF with --btf FILE (copy /sys/kernel/btf/vmlinux from the machine, or extract vmlinux's .BTF)"
        : "check the path given to --btf",
      { code: "BTF_UNREADABLE", cause: err },
    );
  }
  return readBtf(bytes, { file: shown });
}
