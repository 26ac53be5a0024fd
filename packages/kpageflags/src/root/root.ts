// Browser-safe: no node: imports. The tree implementations that touch the disk live in ./dir.ts.

/**
 * Why a file of the tree could not be read, in the kernel's terms where it has one: `ENOENT` (no such file: a
 * kernel without the counter, a container, an older kernel), `EACCES` (root only), `NOT_REGULAR` (a device, FIFO
 * or socket where a file was expected: never read, since it might not end), `TOO_BIG` (longer than any /proc or
 * /sys file the survey reads can be), `EIO` (anything else).
 */
export type RootErrorCode = "ENOENT" | "EACCES" | "NOT_REGULAR" | "TOO_BIG" | "EIO";

export type RootResult<T> =
  | { readonly ok: true; readonly value: T }
  | { readonly ok: false; readonly code: RootErrorCode; readonly message: string };

/** What `stat` says of an entry: its type and inode number (cgroup directories are matched by inode). */
export interface RootStat {
  readonly type: "file" | "dir" | "other";
  readonly ino: number;
}

/**
 * A machine's `/proc` and `/sys`, as the survey reads them: the live system, a copy of those files made with
 * `cat` on another machine (`--root DIR`), or the files a snapshot recorded. Paths are absolute within the
 * tree (`/proc/vmstat`). Reads never throw for a missing or unreadable file: the survey names it once and goes
 * on with what it has. A capture archive reader implements the same four methods.
 */
export interface SystemRoot {
  /** What to call the tree in messages: `/`, the directory, the snapshot file. */
  readonly label: string;
  /** Reads a whole small file (at most {@link maxRootFileBytes}). */
  read(path: string): RootResult<Uint8Array>;
  /**
   * The same, off the calling thread where the tree can (a file the kernel is slow to build, read while the
   * page map is); trees without it are read with `read`.
   */
  readLater?(path: string): Promise<RootResult<Uint8Array>>;
  /** The names in a directory, sorted. */
  list(path: string): RootResult<readonly string[]>;
  stat(path: string): RootResult<RootStat>;
  /**
   * Where the file is on this machine's filesystem, for reading the page map with `pread` from worker
   * threads; undefined when the tree is not on disk (a snapshot, an archive).
   */
  localPath(path: string): string | undefined;
}

/**
 * The largest file the survey reads from a tree. /proc/zoneinfo grows with CPUs (six lines per CPU per zone)
 * and /proc/slabinfo with caches; both stay in the low megabytes on the largest machines. Anything longer is
 * not one of those files, and is refused rather than read into memory.
 */
export const maxRootFileBytes = 64 * 1024 * 1024;

/** A tree with nothing in it: every read says why (a raw dump, a version-1 snapshot). */
export function emptyRoot(label: string, why: string): SystemRoot {
  const no = { ok: false, code: "ENOENT", message: why } as const;
  return { label, read: () => no, list: () => no, stat: () => no, localPath: () => undefined };
}

const decoder = new TextDecoder("utf-8", { fatal: false });

/** Reads a text file of the tree. */
export function readText(root: SystemRoot, path: string): RootResult<string> {
  const r = root.read(path);
  return r.ok ? { ok: true, value: decoder.decode(r.value) } : r;
}

/** Joins tree paths: `joinPath("/sys/kernel/mm", "hugepages")`. */
export function joinPath(dir: string, name: string): string {
  return dir.endsWith("/") ? dir + name : `${dir}/${name}`;
}

/** A short reason for a failed read, for the list of files the survey could not read. */
export function describeRootError(code: RootErrorCode): string {
  switch (code) {
    case "ENOENT":
      return "not there";
    case "EACCES":
      return "permission denied (root only)";
    case "NOT_REGULAR":
      return "not a regular file";
    case "TOO_BIG":
      return `larger than ${maxRootFileBytes / (1024 * 1024)} MiB`;
    case "EIO":
      return "read error";
  }
}
