import { readFileSync } from "node:fs";

/*
 * Who runs memdesc, and how to name a file's owner in a message. Owners are named from /etc/passwd (read once,
 * at most 1 MiB), as `ls -l` would; a uid the file does not list is shown as a number.
 */

let names: Map<number, string> | undefined;

function passwd(): Map<number, string> {
  if (names) return names;
  names = new Map();
  try {
    const text = readFileSync("/etc/passwd", "utf8").slice(0, 1 << 20);
    for (const line of text.split("\n")) {
      const [name, , uid] = line.split(":");
      const n = Number(uid);
      if (name && Number.isInteger(n) && !names.has(n)) names.set(n, name);
    }
  } catch {
    // no /etc/passwd (not Unix, or a bare container): owners are shown by number
  }
  return names;
}

/** `root`, `nobody (uid 65534)`, or `uid 1234` for a uid without a name. */
export function ownerName(uid: number): string {
  const name = passwd().get(uid);
  if (uid === 0) return "root";
  return name ? `${name} (uid ${uid})` : `uid ${uid}`;
}

/** The effective uid of this process (-1 where there are none, as on Windows). */
export function effectiveUid(): number {
  return process.geteuid?.() ?? -1;
}

/**
 * The users whose files memdesc trusts to run as code: root, the effective user, and, when root runs memdesc
 * through sudo, the user who ran sudo (`SUDO_UID`), as git trusts repositories in `safe.directory` checks.
 */
export function trustedUids(env: NodeJS.ProcessEnv = process.env): ReadonlySet<number> {
  const euid = effectiveUid();
  const out = new Set<number>([0, euid]);
  const sudo = env.SUDO_UID;
  if (euid === 0 && sudo !== undefined && /^\d+$/.test(sudo)) out.add(Number(sudo));
  return out;
}
