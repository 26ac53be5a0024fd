import {
  accessSync,
  chmodSync,
  chownSync,
  closeSync,
  constants,
  fstatSync,
  fsyncSync,
  linkSync,
  lstatSync,
  mkdtempSync,
  openSync,
  readlinkSync,
  readSync,
  renameSync,
  rmSync,
  type Stats,
  statSync,
  writeSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { basename, dirname, join, resolve } from "node:path";
import { UserError } from "../errors.js";
import { describeErrno, errnoOf } from "./errno.js";
import { fileType } from "./file-type.js";
import { onInterrupt } from "./interrupt.js";
import { displayPath } from "./path.js";
import { writeStdout } from "./stdout.js";
import { effectiveUid, ownerName, trustedUids } from "./users.js";

/*
 * Every file memdesc writes goes through here: snapshots (`capture -o`), reports (`-o` on every command that
 * prints one), in any format. The rules, for a program that runs as root in directories others can write:
 *
 * - `-` and /dev/stdout are standard output; /dev/stderr and /dev/fd/N are written through where the shell
 *   opened them (appending), never followed as paths.
 * - A character or block device or a FIFO is written through (opened without O_CREAT or O_TRUNC), never
 *   replaced by a regular file. A socket is refused.
 * - A symbolic link is followed only if root or the invoking user owns it: the rule Linux applies in sticky
 *   directories with fs.protected_symlinks, applied everywhere (a root process writing into another user's
 *   directory is exactly the case it protects).
 * - In a sticky directory that others can write (/tmp), a file owned by neither the invoking user nor the
 *   directory's owner is refused (fs.protected_regular and protected_fifos).
 * - A new file is created with mode 0666 less the umask. An existing regular file is replaced atomically
 *   (rename) by one with its permission bits and, where the process may set them, its owner and group.
 * - The output is staged in a private directory (mode 0700) beside the target and appears by rename (or link,
 *   for a new file, so a file someone else creates meanwhile is never replaced): complete or not at all. A
 *   failure, Ctrl-C, SIGTERM or SIGHUP removes the staging directory.
 */

/** What an output path turned out to be, decided before anything is read or computed. */
export type OutputPlan =
  | { readonly kind: "stdout"; readonly shown: string }
  | {
      readonly kind: "create" | "replace" | "through";
      readonly shown: string;
      /** For a socket passed as a descriptor (`/dev/fd/N`), which cannot be opened again: that descriptor. */
      readonly fd?: number;
      /** The file written: the path given, or where the trusted symlinks it names lead. */
      readonly path: string;
      /** For `replace` and `through`: what is there now. */
      readonly existing: Stats | undefined;
    };

const MAX_SYMLINKS = 40;

/** A user error about an output path: exit status 1, the path named, a hint. */
export function outputError(shown: string, detail: string, hint: string, cause?: unknown): UserError {
  return new UserError(`cannot write ${shown}: ${detail}`, hint, { code: "OUTPUT_PATH", cause });
}

const elsewhere = "write somewhere else with -o, or - for standard output";

const mode = (st: Stats) => `mode ${(st.mode & 0o7777).toString(8).padStart(4, "0")}`;

/** A sticky directory that group or others may write: /tmp, /var/tmp, /dev/shm. */
const sharedSticky = (dir: Stats) => (dir.mode & 0o1000) !== 0 && (dir.mode & 0o022) !== 0;

/**
 * Decides what writing to `arg` means, and refuses what must not be written, before any work is done. Throws
 * a UserError naming the path.
 */
export function planOutput(arg: string, cwd: string): OutputPlan {
  if (arg === "-") return { kind: "stdout", shown: "standard output" };
  // A descriptor named by path (/dev/stdout, /dev/stderr, /dev/fd/63 from a shell's `>(…)`) is a "magic" link:
  // read as a path it names a pipe's made-up `pipe:[123]`, or a file the shell opened for appending. Standard
  // output is written where the shell opened it; any other is opened through the link itself and written
  // through, appending, never replaced.
  const magic = /^\/(?:dev\/(?:fd\/(\d+)|stdout|stderr)|proc\/self\/fd\/(\d+))$/.exec(arg);
  if (magic) {
    const n = arg === "/dev/stdout" ? 1 : arg === "/dev/stderr" ? 2 : Number(magic[1] ?? magic[2]);
    if (n === 1) return { kind: "stdout", shown: "standard output" };
    let st: Stats;
    try {
      st = statSync(arg);
    } catch (err) {
      throw outputError(arg, `no open file descriptor ${n}: ${describeErrno(err)}`, elsewhere, err);
    }
    if (st.isDirectory()) throw outputError(arg, "it is a directory", elsewhere);
    // A socket (a pipe some programs make with socketpair) cannot be opened again by name: use the descriptor.
    return {
      kind: "through",
      shown: arg,
      path: arg,
      existing: st,
      ...(st.isSocket() ? { fd: n } : {}),
    };
  }
  if (arg === "") throw outputError('""', "an empty path", elsewhere);
  const trusted = trustedUids();
  const given = resolve(cwd, arg);
  const shown = displayPath(given, cwd);
  let path = given;
  for (let hops = 0; ; hops++) {
    // Messages say "it" for the path given, and name the file a link led to.
    const it = path === given ? "it" : path;
    let st: Stats;
    try {
      st = lstatSync(path);
    } catch (err) {
      const code = errnoOf(err);
      if (code === "ENOENT") return { kind: "create", shown, path, existing: undefined };
      const why = code === "EACCES" ? ": a directory on the way cannot be searched" : "";
      throw outputError(shown, `${describeErrno(err)}${why}`, elsewhere, err);
    }
    if (st.isSymbolicLink()) {
      if (!trusted.has(st.uid))
        throw outputError(
          shown,
          `${it} is a symbolic link owned by ${ownerName(st.uid)}, and memdesc follows only links owned by you or root`,
          "remove the link, or give the path it points to",
        );
      if (hops >= MAX_SYMLINKS) throw outputError(shown, describeErrno({ code: "ELOOP" }), elsewhere);
      path = resolve(dirname(path), readlinkSync(path));
      continue;
    }
    const dir = statSync(dirname(path), { throwIfNoEntry: false });
    if (dir && sharedSticky(dir) && !trusted.has(st.uid) && st.uid !== dir.uid)
      throw outputError(
        shown,
        `${it} belongs to ${ownerName(st.uid)} in ${dirname(path)}, a sticky directory others can write; memdesc does not write into another user's file there`,
        "remove it first if it is yours to remove, or write somewhere else with -o",
      );
    if (st.isDirectory())
      throw outputError(shown, `${it} is a directory`, "give a file name, e.g. -o host.mdsnap");
    if (st.isSocket())
      throw outputError(shown, `${it} is a socket; memdesc writes files, devices and FIFOs`, elsewhere);
    try {
      accessSync(path, constants.W_OK);
    } catch (err) {
      const detail =
        errnoOf(err) === "EACCES"
          ? `${describeErrno(err)}: ${it} is a ${fileType(st)} with ${mode(st)}, owned by ${ownerName(st.uid)}`
          : describeErrno(err);
      throw outputError(shown, detail, elsewhere, err);
    }
    if (st.isFile()) return { kind: "replace", shown, path, existing: st };
    return { kind: "through", shown, path, existing: st };
  }
}

/**
 * An output being written: planned, with a private staging directory made at once (so a path that cannot be
 * written fails before a long read), written with `write` or by a producer at `stagedPath`, then put in place
 * with `commit` or thrown away with `abort`.
 */
export class PendingOutput {
  private staging: string | undefined;
  private readonly unregister: () => void;
  private done = false;

  private constructor(readonly plan: OutputPlan) {
    // The clean-up is in place before the staging directory exists, so a signal between the two finds it.
    this.unregister = onInterrupt(() => this.abort());
    try {
      this.staging = makeStaging(plan);
    } catch (err) {
      this.unregister();
      throw err;
    }
  }

  /** Plans the output and makes its staging directory; throws a UserError about the path. */
  static open(arg: string, cwd: string): PendingOutput {
    return new PendingOutput(planOutput(arg, cwd));
  }

  /** Messages name the output as the user gave it. */
  get shown(): string {
    return this.plan.shown;
  }

  /** Where a producer writes the complete output (a file memdesc then moves or copies into place). */
  get stagedPath(): string {
    const name = this.plan.kind === "stdout" ? "output" : basename(this.plan.path);
    return join(this.staging!, name);
  }

  /** Writes the complete output to the staged file. */
  write(data: string | Uint8Array): void {
    const bytes = typeof data === "string" ? Buffer.from(data) : data;
    const fd = this.openStaged();
    try {
      writeAll(fd, bytes);
      fsyncSync(fd);
    } catch (err) {
      this.abort();
      throw this.failure(err);
    } finally {
      closeQuietly(fd);
    }
  }

  /**
   * Runs a producer that writes the whole output at `stagedPath`. A system error it meets there (disk full) is
   * reported as an error about the output path, not the staging file.
   */
  async produce<T>(producer: (path: string) => Promise<T>): Promise<T> {
    const staging = this.staging!;
    try {
      return await producer(this.stagedPath);
    } catch (err) {
      this.abort();
      const inStaging = (s: unknown) => typeof s === "string" && s.includes(staging);
      const e = err as { path?: unknown; message?: unknown };
      if (errnoOf(err) && (inStaging(e.path) || inStaging(e.message))) throw this.failure(err);
      throw err;
    }
  }

  /** Puts the staged output in place, by the plan's rules; removes the staging directory. */
  commit(): void {
    if (this.done) throw new Error("output already committed or aborted");
    const plan = this.plan;
    const staged = this.stagedPath;
    try {
      if (plan.kind === "stdout") copyTo(staged, (b) => writeStdout(b));
      else if (plan.kind === "through" && plan.fd !== undefined) copyTo(staged, (b) => writeAll(plan.fd!, b));
      else if (plan.kind === "through") this.writeThrough(staged, plan.path, plan.existing!);
      else if (plan.kind === "replace") replace(staged, plan.path, plan.existing!, plan.shown);
      else create(staged, plan.path, plan.shown);
    } catch (err) {
      this.abort();
      if (err instanceof UserError) throw err;
      throw this.failure(err);
    }
    this.finish();
  }

  /** Removes everything staged; the target is untouched. Safe to call more than once. */
  abort(): void {
    this.finish();
  }

  private finish(): void {
    this.done = true;
    if (this.staging) rmSync(this.staging, { recursive: true, force: true });
    this.staging = undefined;
    this.unregister();
  }

  private openStaged(): number {
    // A new file's mode is 0666 less the umask, as the kernel applies it; a replacement starts private and
    // gets the old file's mode at commit.
    return openSync(this.stagedPath, "wx", this.plan.kind === "replace" ? 0o600 : 0o666);
  }

  private writeThrough(staged: string, path: string, existing: Stats): void {
    // No O_CREAT, no O_TRUNC: a device or FIFO is written to, never created or replaced. O_APPEND: a file behind
    // a descriptor's magic link (a shell's `2>> log`) is added to where the shell left it, not overwritten.
    const fd = openSync(path, constants.O_WRONLY | constants.O_NOCTTY | constants.O_APPEND);
    try {
      const now = fstatSync(fd);
      if (now.dev !== existing.dev || now.ino !== existing.ino)
        throw outputError(
          this.plan.shown,
          `${path} was replaced while memdesc was working; nothing was written`,
          elsewhere,
        );
      copyTo(staged, (b) => writeAll(fd, b));
    } finally {
      closeQuietly(fd);
    }
  }

  private failure(err: unknown): UserError {
    if (err instanceof UserError) return err;
    const what = this.plan.kind === "through" ? "" : "; nothing was written";
    const hint =
      errnoOf(err) === "ENOSPC" || errnoOf(err) === "EDQUOT"
        ? "free some space, or write somewhere else with -o"
        : elsewhere;
    return outputError(this.plan.shown, `${describeErrno(err)}${what}`, hint, err);
  }
}

/** The private directory the output is staged in: beside the target (same file system, for rename). */
function makeStaging(plan: OutputPlan): string {
  const dir = plan.kind === "create" || plan.kind === "replace" ? dirname(plan.path) : tmpdir();
  try {
    const st = statSync(dir);
    if (!st.isDirectory()) throw Object.assign(new Error("not a directory"), { code: "ENOTDIR" });
  } catch (err) {
    const code = errnoOf(err);
    throw outputError(
      plan.shown,
      code === "ENOENT" || code === "ENOTDIR"
        ? `directory ${displayPath(dir)} does not exist`
        : `cannot use directory ${displayPath(dir)}: ${describeErrno(err)}`,
      "create it first, or write somewhere else with -o",
      err,
    );
  }
  try {
    return mkdtempSync(join(dir, ".memdesc-"));
  } catch (err) {
    const code = errnoOf(err);
    const why =
      code === "ENOENT" || code === "EPERM"
        ? `directory ${displayPath(dir)} does not accept new files`
        : `cannot create a file in ${displayPath(dir)}: ${describeErrno(err)}`;
    throw outputError(plan.shown, why, elsewhere, err);
  }
}

function writeAll(fd: number, bytes: Uint8Array): void {
  let done = 0;
  while (done < bytes.length) done += writeSync(fd, bytes, done, bytes.length - done);
}

/** Streams a staged file to `sink` in 1 MiB pieces. */
function copyTo(staged: string, sink: (bytes: Uint8Array) => void): void {
  const fd = openSync(staged, "r");
  try {
    const buf = Buffer.allocUnsafe(1 << 20);
    for (;;) {
      const n = readSync(fd, buf, 0, buf.length, null);
      if (n === 0) break;
      sink(buf.subarray(0, n));
    }
  } finally {
    closeQuietly(fd);
  }
}

function syncFile(path: string): void {
  const fd = openSync(path, "r");
  try {
    fsyncSync(fd);
  } finally {
    closeQuietly(fd);
  }
}

/** Makes a rename durable; some file systems cannot fsync a directory, which costs only durability. */
function syncDir(dir: string): void {
  try {
    syncFile(dir);
  } catch {
    // best effort
  }
}

function create(staged: string, path: string, shown: string): void {
  // A producer may have chosen its own mode: a new file gets 0666 less the umask, like any created file.
  chmodSync(staged, 0o666 & ~process.umask());
  syncFile(staged);
  try {
    linkSync(staged, path);
  } catch (err) {
    const code = errnoOf(err);
    if (code === "EEXIST")
      throw outputError(
        shown,
        `${path} appeared while memdesc was working; it was left as it is`,
        "run again to replace it, or write somewhere else with -o",
      );
    // A file system without hard links (vfat, some FUSE): rename, which cannot refuse to replace.
    if (code !== "EPERM" && code !== "ENOTSUP" && code !== "EOPNOTSUPP" && code !== "EMLINK") throw err;
    renameSync(staged, path);
  }
  syncDir(dirname(path));
}

function replace(staged: string, path: string, existing: Stats, shown: string): void {
  const now = lstatSync(path, { throwIfNoEntry: false });
  if (!now || now.dev !== existing.dev || now.ino !== existing.ino)
    throw outputError(
      shown,
      `${path} was changed by someone else while memdesc was working; it was left as it is`,
      "run again to replace it, or write somewhere else with -o",
    );
  // Owner first (chown clears set-id bits), then the old permission bits (set-id bits are not carried over).
  if (effectiveUid() === 0) chownSync(staged, existing.uid, existing.gid);
  else {
    try {
      chownSync(staged, -1, existing.gid);
    } catch {
      // not a member of that group: the file takes the process's group, as any new file would
    }
  }
  chmodSync(staged, existing.mode & 0o777);
  syncFile(staged);
  renameSync(staged, path);
  syncDir(dirname(path));
}

function closeQuietly(fd: number): void {
  try {
    closeSync(fd);
  } catch {
    // already closed
  }
}
