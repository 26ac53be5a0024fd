import { closeSync, constants, fstatSync, openSync, readSync, type Stats } from "node:fs";
import { maxSnapshotBytes, maxSurveyJsonBytes } from "@memdesc/kpageflags/limits";
import { UserError } from "../errors.js";
import { describeErrno, errnoOf } from "./errno.js";
import { fileType } from "./file-type.js";

/*
 * Every input file the CLI reads whole goes through here (snapshots, BTF, /proc/iomem copies, JSON pictures,
 * workloads and configs), because memdesc runs as root and any path it is given may be hostile:
 *
 * - the file is opened with O_NONBLOCK, so opening a FIFO with no writer, or a terminal, cannot hang;
 * - anything but a regular file (a FIFO, a device such as /dev/zero, a socket, a directory) is refused, since
 *   such a file may never end;
 * - no more than a cap per kind of input is read, checked against the size before reading and again while
 *   reading, because files in /proc and /sys report a size that is not what a read returns.
 */

/** The most each kind of input may be: well above any real file of its kind, far below what harms a machine. */
export const inputCaps = {
  /** A memdesc snapshot: a few MiB for a machine with terabytes (runs, not pages); the explorer's limit too. */
  snapshot: maxSnapshotBytes,
  /**
   * A BTF file: raw BTF is 5 to 10 MiB for a distribution kernel; an ELF vmlinux with its DWARF can pass 1 GiB,
   * but only its headers and .BTF section are read from a file that large.
   */
  btf: 4 * (1 << 30),
  /** A copy of /proc/iomem: a few KiB on a large server. */
  iomem: 4 << 20,
  /** A JSON memory picture, workload, config or survey: a few KiB (the explorer's limit for survey JSON). */
  json: maxSurveyJsonBytes,
} as const;

export interface InputFile {
  /** How the file is named in messages. */
  readonly shown: string;
  /** What it is, for messages: `snapshot`, `BTF file`, `memory picture`. */
  readonly what: string;
  /** The most that is read. */
  readonly maxBytes: number;
  /** The error code the JSON output carries. */
  readonly code: string;
  /** The hint for a file that cannot be read at all (missing, permissions). */
  readonly hint: string;
  /** The message for a file that does not exist (default: `FILE does not exist`). */
  readonly missing?: string | undefined;
}

function size(n: number): string {
  if (n >= 1 << 30) return `${(n / (1 << 30)).toFixed(n % (1 << 30) ? 1 : 0)} GiB`;
  if (n >= 1 << 20) return `${(n / (1 << 20)).toFixed(n % (1 << 20) ? 1 : 0)} MiB`;
  if (n >= 1 << 10) return `${(n / (1 << 10)).toFixed(n % (1 << 10) ? 1 : 0)} KiB`;
  return `${n} bytes`;
}

/**
 * Opens an input file for reading and checks it is a regular file no larger than the cap. Returns the open
 * descriptor (the caller closes it) and its status. Every refusal is one UserError naming the file.
 */
export function openInput(path: string, file: InputFile): { fd: number; stat: Stats } {
  let fd: number;
  try {
    fd = openSync(path, constants.O_RDONLY | constants.O_NONBLOCK | constants.O_NOCTTY);
  } catch (err) {
    const code = errnoOf(err);
    if (code === "ENOENT")
      throw new UserError(file.missing ?? `${file.shown} does not exist`, file.hint, {
        code: file.code,
        cause: err,
      });
    throw new UserError(`cannot read ${file.shown}: ${describeErrno(err)}`, file.hint, {
      code: file.code,
      cause: err,
    });
  }
  try {
    const stat = fstatSync(fd);
    if (!stat.isFile())
      throw new UserError(
        `${file.shown} is a ${fileType(stat)}: memdesc reads a ${file.what} only from a regular file`,
        stat.isDirectory()
          ? file.hint
          : "save it to a file first, e.g. `cat SOURCE > file`, and give that file",
        { code: file.code },
      );
    if (stat.size > file.maxBytes) throw tooBig(file, stat.size);
    return { fd, stat };
  } catch (err) {
    closeSync(fd);
    throw err;
  }
}

function tooBig(file: InputFile, bytes: number | undefined): UserError {
  return new UserError(
    `${file.shown} is ${bytes === undefined ? "larger than" : `${size(bytes)}, more than`} the ${size(file.maxBytes)} a ${file.what} can be`,
    `check that ${file.shown} is a ${file.what}`,
    { code: file.code },
  );
}

/** Reads a whole input file, by the rules above. */
export function readInput(path: string, file: InputFile): Buffer {
  const { fd, stat } = openInput(path, file);
  try {
    return readOpened(fd, stat, file);
  } finally {
    closeSync(fd);
  }
}

/** Reads an input opened with `openInput` to its end, never past the cap. */
export function readOpened(fd: number, stat: Stats, file: InputFile): Buffer {
  // /proc and /sys files report 0 or 4096 whatever they hold: read until EOF, never past the cap.
  let buf = Buffer.allocUnsafe(Math.min(file.maxBytes + 1, Math.max(stat.size + 1, 64 << 10)));
  let n = 0;
  for (;;) {
    if (n === buf.length) {
      if (n > file.maxBytes) throw tooBig(file, undefined);
      const next = Buffer.allocUnsafe(Math.min(file.maxBytes + 1, buf.length * 2));
      buf.copy(next, 0, 0, n);
      buf = next;
    }
    let got: number;
    try {
      got = readSync(fd, buf, n, buf.length - n, null);
    } catch (err) {
      throw new UserError(`cannot read ${file.shown} at offset ${n}: ${describeErrno(err)}`, file.hint, {
        code: file.code,
        cause: err,
      });
    }
    if (got === 0) break;
    n += got;
  }
  if (n > file.maxBytes) throw tooBig(file, undefined);
  return buf.subarray(0, n);
}

/**
 * Checks an input that a reader streams by path (a raw page-map dump): a regular file within the cap. Returns
 * its size.
 */
export function checkInput(path: string, file: InputFile): number {
  const { fd, stat } = openInput(path, file);
  closeSync(fd);
  return stat.size;
}
