// The base class alone: the survey loads no more of core than this (core/layout would cost ~25 ms).
import { MemdescError } from "@memdesc/core/errors";

export type KpageflagsErrorCode =
  /** The file exists but this user may not read it (the /proc/kpage* files are root only). */
  | "PERMISSION_DENIED"
  /** The file does not exist: not Linux, a container without /proc/kpageflags, or a wrong path. */
  | "NOT_FOUND"
  /** A read returned fewer bytes than the page map needs: a truncated dump or files out of step. */
  | "SHORT_READ"
  /** Any other I/O failure, with the system's error code in the message. */
  | "IO_ERROR"
  /** A raw dump whose size is not a whole number of 8-byte words. */
  | "BAD_RAW_DUMP"
  /** A snapshot file that fails its magic, version, header schema, checksum or body checks. */
  | "BAD_SNAPSHOT"
  /** /proc/iomem text that cannot be parsed. */
  | "BAD_IOMEM"
  /** A kernel counter file (/proc/vmstat, zoneinfo, buddyinfo, slabinfo, …) that cannot be parsed. */
  | "BAD_COUNTERS"
  /** A page map or snapshot claiming more than any machine has (physical address bits) or its own size allows. */
  | "TOO_BIG"
  /** A /proc/sys or /sys file (hugetlb_optimize_vmemmap, a hugetlb pool) that does not hold what the kernel writes. */
  | "BAD_SYSCTL"
  /** A capture archive (.tar.gz) that is not one: bad gzip or tar data, an entry outside the root, a link, a device. */
  | "BAD_ARCHIVE"
  /** A capture's own metadata (`memdesc/capture`, `memdesc/inodes`) that cannot be parsed. */
  | "BAD_CAPTURE"
  /** An option out of range. */
  | "BAD_OPTION"
  /** Billing needs `bill()` from @memdesc/core, and the installed core has none yet. */
  | "NO_BILL";

/**
 * Everything this package throws on bad input or an unreadable machine: one line naming the file, offset or
 * field, and a `hint` saying what to do about it.
 */
export class KpageflagsError extends MemdescError {
  declare readonly code: KpageflagsErrorCode;
  /** What to do about it, for the CLI to print under the message. */
  declare readonly hint: string;
  /** The file the error is about, when there is one. */
  readonly path: string | undefined;
  constructor(
    code: KpageflagsErrorCode,
    message: string,
    hint: string,
    options?: { path?: string | undefined; cause?: unknown },
  ) {
    super(code, { issues: [{ path: [], message }], hint }, { cause: options?.cause });
    this.path = options?.path;
  }
}

const liveHint =
  "run the capture as root (sudo) on the Linux machine itself, or pass a snapshot (.mdsnap) or a raw dump " +
  "made there with `sudo cat /proc/kpageflags > kpageflags.bin`";

/** Turns a failed open or read of a page-map file into one clear error. */
export function fsError(err: unknown, path: string, what: "open" | "read", offset?: number): KpageflagsError {
  const code = (err as NodeJS.ErrnoException | undefined)?.code;
  const at = offset === undefined ? "" : ` at offset ${offset}`;
  const live = path.startsWith("/proc/");
  if (code === "EACCES" || code === "EPERM")
    return new KpageflagsError(
      "PERMISSION_DENIED",
      `permission denied: cannot ${what} ${path}${at} (the /proc/kpage* files are readable by root only)`,
      live ? liveHint : `check the permissions of ${path}`,
      { path, cause: err },
    );
  if (code === "ENOENT" || code === "ENOTDIR")
    return new KpageflagsError(
      "NOT_FOUND",
      live
        ? `${path} does not exist: this is not Linux, or a container or kernel without it (CONFIG_PROC_PAGE_MONITOR)`
        : `${path} does not exist`,
      live ? liveHint : "check the path",
      { path, cause: err },
    );
  const detail = err instanceof Error ? err.message : String(err);
  return new KpageflagsError(
    "IO_ERROR",
    `cannot ${what} ${path}${at}: ${detail}`,
    live ? liveHint : "check the file",
    {
      path,
      cause: err,
    },
  );
}
