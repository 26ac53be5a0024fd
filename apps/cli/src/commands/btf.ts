import { readFileSync } from "node:fs";
import { basename, dirname, resolve } from "node:path";
import { type Btf, openBtf } from "@memdesc/btf";
import { displayPath } from "../config/load.js";
import { UserError } from "../errors.js";

/** The running kernel's BTF, where `check` and `layout` look by default. */
export const kernelBtf = "/sys/kernel/btf/vmlinux";

/** Where the running kernel publishes its modules' BTF, each split on `kernelBtf`. */
const sysBtf = dirname(kernelBtf);

export interface BtfOptions {
  /** `--btf-base FILE`: the BTF a split file (a module's) continues, as `bpftool -B` and `pahole --btf_base`. */
  readonly base?: string | undefined;
}

/** The `--btf-base` option of a command, resolved against the working directory. */
export function btfOptions(opts: Record<string, unknown>, cwd: string): BtfOptions {
  return { base: typeof opts.btfBase === "string" ? resolve(cwd, opts.btfBase) : undefined };
}

/**
 * Reads BTF wherever it lives (a raw file, or an ELF vmlinux, `.ko` or object's `.BTF`) and indexes it. A
 * module's split BTF reads on `--btf-base`; `/sys/kernel/btf/<module>` on `/sys/kernel/btf/vmlinux` without
 * being told, as bpftool does. An unreadable file is one user error naming it.
 */
export function loadBtf(path: string, cwd: string, options: BtfOptions = {}): Btf {
  const basePath = options.base ?? implicitBase(path);
  const base = basePath && basePath !== path ? readOne(basePath, cwd, "--btf-base") : undefined;
  return readOne(path, cwd, "--btf", base);
}

/** The base a file needs without `--btf-base`: `/sys/kernel/btf/vmlinux` for the running kernel's modules. */
export function implicitBase(path: string): string | undefined {
  return dirname(path) === sysBtf && basename(path) !== basename(kernelBtf) ? kernelBtf : undefined;
}

function readOne(path: string, cwd: string, flag: string, base?: Btf): Btf {
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
        ? "pass a kernel's BTF with --btf FILE (a vmlinux or .ko from the build, or a copy of /sys/kernel/btf/vmlinux)"
        : `check the path given to ${flag}`,
      { code: "BTF_UNREADABLE", cause: err },
    );
  }
  return openBtf(bytes, { file: shown, ...(base ? { base } : {}) });
}

/** `vmlinux (x86_64, lp64)`, `zsmalloc.ko (x86_64, lp64, on vmlinux)`: a kernel's BTF as the output names it. */
export function describeBtf(btf: Btf): string {
  const parts = [btf.source.arch, btf.abi].filter(Boolean);
  if (btf.base) parts.push(btf.source.base === "distilled" ? "on its own .BTF.base" : `on ${btf.base.file}`);
  return `${btf.file} (${parts.join(", ")})`;
}
