import { lstatSync, realpathSync, type Stats } from "node:fs";
import { dirname } from "node:path";
import { ownerName, trustedUids } from "../io/users.js";

/*
 * Whether a file memdesc found by itself may be run as code: a config file (a .js/.mjs/.ts config is imported,
 * and a JSON config names packages that are), or a plugin package's entry. memdesc is run as root on machines
 * where others can write to /tmp, so a file is trusted only if nobody but the trusted users (root, you, and
 * under sudo the user who ran sudo) could have written it or could replace it:
 *
 * - the file is owned by a trusted user (if it is a symbolic link, the link too);
 * - every directory above it, up to /, is owned by a trusted user and is not writable by group or others,
 *   unless it has the sticky bit (as /tmp has), which keeps others from renaming or removing what they do not
 *   own: the entry below it is then checked to be a trusted user's, as every entry on the way is.
 *
 * This is git's `safe.directory` ownership rule extended, as OpenSSH's StrictModes does, to the directories
 * above the file, so that nobody can swap the file between the check and the import.
 */

/** Why a file is not trusted: the file or directory at fault, its owner and, for a directory, its mode. */
export type TrustProblem =
  | { readonly code: "FILE_OWNER"; readonly path: string; readonly uid: number }
  | { readonly code: "DIR_OWNER"; readonly path: string; readonly uid: number }
  | { readonly code: "DIR_WRITABLE"; readonly path: string; readonly uid: number; readonly mode: number };

/** The owner of a trusted file, for `memdesc plugins` to say whose config it loaded. */
export interface Trusted {
  readonly uid: number;
}

const writableByOthers = (st: Stats) => (st.mode & 0o022) !== 0;
const sticky = (st: Stats) => (st.mode & 0o1000) !== 0;

/** Every directory from `dir` up to and including `/`. */
function ancestors(dir: string): string[] {
  const out: string[] = [];
  for (let d = dir; ; d = dirname(d)) {
    out.push(d);
    if (dirname(d) === d) return out;
  }
}

/**
 * Checks that `file` (an absolute path) may be trusted; returns the first problem, or the file's owner. A file
 * that cannot be examined (removed meanwhile, a directory without search permission) is not trusted: its
 * stat error is thrown for the caller to report.
 */
export function checkTrust(
  file: string,
  trusted: ReadonlySet<number> = trustedUids(),
): { readonly problem: TrustProblem } | { readonly trusted: Trusted } {
  const link = lstatSync(file);
  if (link.isSymbolicLink() && !trusted.has(link.uid))
    return { problem: { code: "FILE_OWNER", path: file, uid: link.uid } };
  const real = link.isSymbolicLink() ? realpathSync(file) : file;
  const st = link.isSymbolicLink() ? lstatSync(real) : link;
  if (!trusted.has(st.uid)) return { problem: { code: "FILE_OWNER", path: real, uid: st.uid } };
  // The directories the path goes through as given and those it really is in: whoever can write either could
  // swap what is loaded. (lstat follows links in the middle of a path, so a directory reached through a link
  // is checked where it really is.)
  for (const dir of new Set([...ancestors(dirname(file)), ...ancestors(dirname(real))])) {
    const d = lstatSync(dir);
    if (!trusted.has(d.uid)) return { problem: { code: "DIR_OWNER", path: dir, uid: d.uid } };
    if (!d.isSymbolicLink() && writableByOthers(d) && !sticky(d))
      return { problem: { code: "DIR_WRITABLE", path: dir, uid: d.uid, mode: d.mode & 0o7777 } };
  }
  return { trusted: { uid: st.uid } };
}

/**
 * The reason in words, to follow `refusing to load config FILE`: `: it is owned by nobody (uid 65534), …` or
 * ` (owned by root): it is below /srv/x (mode 0777, no sticky bit), …`. Every message names the file's owner.
 */
export function describeTrustProblem(p: TrustProblem, file: string, fileOwner: string): string {
  const mode = (m: number) => m.toString(8).padStart(4, "0");
  switch (p.code) {
    case "FILE_OWNER":
      return p.path === file
        ? `: it is owned by ${ownerName(p.uid)}, not by you or root`
        : `: it is a link to ${p.path}, which is owned by ${ownerName(p.uid)}, not by you or root`;
    case "DIR_OWNER":
      return ` (owned by ${fileOwner}): it is below ${p.path}, which is owned by ${ownerName(p.uid)}, who could replace it`;
    case "DIR_WRITABLE":
      return ` (owned by ${fileOwner}): it is below ${p.path} (mode ${mode(p.mode)}, no sticky bit), where ${p.mode & 0o002 ? "anyone" : "its group"} could replace it`;
  }
}
