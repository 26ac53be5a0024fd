/** What a system error code means, in the words `strerror(3)` uses, for one-line messages. */
const meanings: Readonly<Record<string, string>> = {
  EACCES: "permission denied",
  EPERM: "operation not permitted",
  ENOENT: "no such file or directory",
  ENOTDIR: "a component of the path is not a directory",
  EISDIR: "it is a directory",
  ENOSPC: "no space left on device",
  EDQUOT: "disk quota exceeded",
  EFBIG: "file too large",
  EROFS: "read-only file system",
  EIO: "input/output error",
  EEXIST: "file exists",
  ELOOP: "too many levels of symbolic links",
  ENAMETOOLONG: "file name too long",
  ENXIO: "no such device or address",
  EBUSY: "device or resource busy",
  ETXTBSY: "text file busy",
  EMFILE: "too many open files",
  EXDEV: "not on the same file system",
  EINVAL: "invalid argument",
};

/** The `code` of a Node system error, found on the error or along its `cause` chain. */
export function errnoOf(err: unknown): string | undefined {
  for (let e = err, depth = 0; e && depth < 8; depth++) {
    const code = (e as { code?: unknown }).code;
    if (typeof code === "string" && /^E[A-Z0-9]+$/.test(code)) return code;
    e = (e as { cause?: unknown }).cause;
  }
  return undefined;
}

/** `no space left on device (ENOSPC)` for an error with a system code, else its first line. */
export function describeErrno(err: unknown): string {
  const code = errnoOf(err);
  if (code) return `${meanings[code] ?? "system error"} (${code})`;
  return (err instanceof Error ? err.message : String(err)).split("\n")[0] ?? "";
}
