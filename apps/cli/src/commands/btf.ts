import { closeSync, readSync } from "node:fs";
import { basename, dirname, resolve } from "node:path";
import { type Btf, openBtf } from "@memdesc/btf";
import { UserError } from "../errors.js";
import { describeErrno } from "../io/errno.js";
import { type InputFile, inputCaps, openInput, readOpened } from "../io/input.js";
import { displayPath } from "../io/path.js";

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

/** Files up to this size are read whole; larger ones (a vmlinux with its DWARF) only where openBtf looks. */
const READ_WHOLE = 64 << 20;

/**
 * Opens the file once, through the CLI's input reader (non-blocking, a regular file only, at most
 * `inputCaps.btf`), and reads it as openBtf takes it: small files whole; large ones as a zero-filled buffer of the
 * file's size (untouched pages cost no memory) with only the ranges openBtf asks for read into it, so a 1 GB
 * vmlinux from a build tree costs its headers and its few MB of `.BTF`.
 */
function withBtfFile<T>(
  path: string,
  file: InputFile,
  use: (bytes: Uint8Array, load?: (offset: number, length: number) => void) => T,
): T {
  const { fd, stat } = openInput(path, file);
  try {
    const size = stat.size;
    // /sys and /proc files may report a size that is not their length: those, and small files, are read whole.
    if (size <= READ_WHOLE) return use(readOpened(fd, stat, file));
    const bytes = new Uint8Array(size);
    const done: [number, number][] = [];
    return use(bytes, (offset, length) => {
      if (done.some(([o, l]) => offset >= o && offset + length <= o + l)) return;
      for (let at = offset; at < offset + length; ) {
        const n = readSync(fd, bytes, at, offset + length - at, at);
        if (n === 0) break;
        at += n;
      }
      done.push([offset, length]);
    });
  } finally {
    closeSync(fd);
  }
}

function readOne(path: string, cwd: string, flag: string, base?: Btf): Btf {
  const shown = displayPath(path, cwd);
  const options = { file: shown, ...(base ? { base } : {}) };
  const live = path === kernelBtf;
  const file: InputFile = {
    shown,
    what: "BTF file",
    maxBytes: inputCaps.btf,
    code: "BTF_UNREADABLE",
    hint: live
      ? "pass a kernel's BTF with --btf FILE (a vmlinux or .ko from the build, or a copy of /sys/kernel/btf/vmlinux)"
      : `check the path given to ${flag}`,
    missing: `cannot read ${shown}: ${live ? "it does not exist (a kernel built without CONFIG_DEBUG_INFO_BTF, or not Linux)" : "it does not exist"}`,
  };
  try {
    return withBtfFile(path, file, (bytes, load) =>
      openBtf(bytes, { ...options, ...(load ? { load } : {}) }),
    );
  } catch (err) {
    // A read of a large file's section that fails after the open.
    if (!isSystemError(err)) throw err;
    throw new UserError(`cannot read ${shown}: ${describeErrno(err)}`, file.hint, {
      code: "BTF_UNREADABLE",
      cause: err,
    });
  }
}

/** An error from the file system (ENOENT, EACCES, EISDIR, …), not a BtfError about the bytes. */
const isSystemError = (e: unknown): e is NodeJS.ErrnoException =>
  e instanceof Error && typeof (e as NodeJS.ErrnoException).syscall === "string";

/** `vmlinux (x86_64, lp64)`, `zsmalloc.ko (x86_64, lp64, on vmlinux)`: a kernel's BTF as the output names it. */
export function describeBtf(btf: Btf): string {
  const parts = [btf.source.arch, btf.abi].filter(Boolean);
  if (btf.base) parts.push(btf.source.base === "distilled" ? "on its own .BTF.base" : `on ${btf.base.file}`);
  return `${btf.file} (${parts.join(", ")})`;
}
