import { closeSync, constants, fstatSync, lstatSync, openSync, readdirSync, readSync } from "node:fs";
import { open } from "node:fs/promises";
import { resolve } from "node:path";
import { maxRootFileBytes, type RootErrorCode, type RootResult, type SystemRoot } from "./root.js";

function codeOf(err: unknown): RootErrorCode {
  const code = (err as NodeJS.ErrnoException | undefined)?.code;
  if (code === "ENOENT" || code === "ENOTDIR") return "ENOENT";
  if (code === "EACCES" || code === "EPERM") return "EACCES";
  return "EIO";
}

function concat(parts: readonly Uint8Array[], total: number): Uint8Array {
  const out = new Uint8Array(total);
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

function failed<T>(err: unknown, path: string): RootResult<T> {
  const code = codeOf(err);
  return { ok: false, code, message: `${path}: ${(err as Error).message}` };
}

/** A tree path with no `.` or `..` segment (a hostile mount table must not lead the reads out of the tree). */
function clean(path: string): boolean {
  return path.startsWith("/") && !path.split("/").some((s) => s === "." || s === "..");
}

/**
 * Reads a file whole: opened without blocking (a FIFO would block the open), refused unless it is a regular
 * file (a device or FIFO might never end), and refused past {@link maxRootFileBytes}. /proc files report size
 * 0, so the read goes to EOF rather than trusting the size.
 */
export function readRegularFile(real: string, shown = real): RootResult<Uint8Array> {
  let fd: number;
  try {
    fd = openSync(real, constants.O_RDONLY | constants.O_NONBLOCK);
  } catch (err) {
    return failed(err, shown);
  }
  try {
    if (!fstatSync(fd).isFile())
      return { ok: false, code: "NOT_REGULAR", message: `${shown}: not a regular file` };
    const parts: Uint8Array[] = [];
    let total = 0;
    for (;;) {
      const buf = new Uint8Array(total < 65536 ? 65536 : 1 << 20);
      const n = readSync(fd, buf, 0, buf.length, null);
      if (n === 0) break;
      total += n;
      if (total > maxRootFileBytes)
        return { ok: false, code: "TOO_BIG", message: `${shown}: more than ${maxRootFileBytes} bytes` };
      parts.push(buf.subarray(0, n));
    }
    return { ok: true, value: concat(parts, total) };
  } catch (err) {
    return failed(err, shown);
  } finally {
    closeSync(fd);
  }
}

/** {@link readRegularFile} on libuv's thread pool. */
async function readRegularFileLater(real: string): Promise<RootResult<Uint8Array>> {
  let fh: Awaited<ReturnType<typeof open>>;
  try {
    fh = await open(real, constants.O_RDONLY | constants.O_NONBLOCK);
  } catch (err) {
    return failed(err, real);
  }
  try {
    if (!(await fh.stat()).isFile())
      return { ok: false, code: "NOT_REGULAR", message: `${real}: not a regular file` };
    const parts: Uint8Array[] = [];
    let total = 0;
    for (;;) {
      const buf = new Uint8Array(1 << 20);
      const { bytesRead } = await fh.read(buf, 0, buf.length, null);
      if (bytesRead === 0) break;
      total += bytesRead;
      if (total > maxRootFileBytes)
        return { ok: false, code: "TOO_BIG", message: `${real}: more than ${maxRootFileBytes} bytes` };
      parts.push(buf.subarray(0, bytesRead));
    }
    return { ok: true, value: concat(parts, total) };
  } catch (err) {
    return failed(err, real);
  } finally {
    await fh.close();
  }
}

/**
 * A directory tree on this machine holding `proc/…` and `sys/…`: `/` for the live system, or a copy of another
 * machine's files (`memdesc survey --root DIR`, as `--root` means to package managers).
 */
export function dirRoot(dir: string): SystemRoot {
  const base = dir === "/" ? "" : resolve(dir);
  const real = (path: string) => base + path;
  const label = dir === "/" ? "/" : base;
  const guard = <T>(path: string, f: () => RootResult<T>): RootResult<T> =>
    clean(path) ? f() : { ok: false, code: "ENOENT", message: `${path}: not a plain path` };
  return {
    label,
    read: (path) => guard(path, () => readRegularFile(real(path), real(path))),
    readLater: (path) =>
      clean(path)
        ? readRegularFileLater(real(path))
        : Promise.resolve({ ok: false, code: "ENOENT", message: `${path}: not a plain path` }),
    list: (path) =>
      guard(path, () => {
        try {
          return { ok: true, value: readdirSync(real(path)).sort() };
        } catch (err) {
          return failed(err, real(path));
        }
      }),
    stat: (path) =>
      guard(path, () => {
        try {
          // lstat: a symlink is not followed, so a walk of the tree cannot loop.
          const s = lstatSync(real(path), { bigint: true });
          const type = s.isFile() ? "file" : s.isDirectory() ? "dir" : "other";
          return { ok: true, value: { type, ino: Number(s.ino) } };
        } catch (err) {
          return failed(err, real(path));
        }
      }),
    localPath: (path) => (clean(path) ? real(path) : undefined),
  };
}
