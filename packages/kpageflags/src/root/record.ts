import type { RootErrorCode, RootResult, RootStat, SystemRoot } from "./root.js";

/** One call the survey made on a tree, and its answer: what a snapshot stores so a survey of it replays them. */
export type TreeEntry =
  | { readonly op: "read"; readonly path: string; readonly data: Uint8Array }
  | { readonly op: "list"; readonly path: string; readonly names: readonly string[] }
  | { readonly op: "stat"; readonly path: string; readonly stat: RootStat }
  | {
      readonly op: "read" | "list" | "stat";
      readonly path: string;
      readonly error: RootErrorCode;
    };

/**
 * Files a snapshot stores only in part, so that it carries nothing about the machine the survey does not use:
 * of the mount table, the cgroup mounts (the survey reads it to find the memory cgroup hierarchy).
 */
export const recordedInPart: Readonly<Record<string, (data: Uint8Array) => Uint8Array>> = {
  "/proc/self/mountinfo": (data) => {
    const lines = new TextDecoder().decode(data).split("\n");
    const kept = lines.filter((l) => / - cgroup2? /.test(l));
    return new TextEncoder().encode(kept.map((l) => `${l}\n`).join(""));
  },
};

/**
 * Wraps a tree and records every call and answer, in order: a capture surveys the machine through it, and the
 * snapshot stores exactly the files, listings and inode numbers that survey read, and the reads that failed, so
 * a survey of the snapshot elsewhere takes the same path through the same answers. A file in
 * {@link recordedInPart} is handed to the survey as it will be replayed, so both see the same.
 */
export function recordingRoot(inner: SystemRoot): { root: SystemRoot; entries: () => readonly TreeEntry[] } {
  const entries: TreeEntry[] = [];
  const note = <T>(op: TreeEntry["op"], path: string, r: RootResult<T>, ok: (v: T) => TreeEntry) => {
    entries.push(r.ok ? ok(r.value) : { op, path, error: r.code });
    return r;
  };
  const readPart = (path: string): RootResult<Uint8Array> => {
    const r = inner.read(path);
    const part = recordedInPart[path];
    return r.ok && part ? { ok: true, value: part(r.value) } : r;
  };
  const root: SystemRoot = {
    label: inner.label,
    read: (path) => note("read", path, readPart(path), (data) => ({ op: "read", path, data })),
    readLater: async (path) => {
      const r = inner.readLater ? await inner.readLater(path) : inner.read(path);
      return note("read", path, r, (data) => ({ op: "read", path, data }));
    },
    list: (path) => note("list", path, inner.list(path), (names) => ({ op: "list", path, names })),
    stat: (path) => note("stat", path, inner.stat(path), (stat) => ({ op: "stat", path, stat })),
    localPath: (path) => inner.localPath(path),
  };
  return { root, entries: () => entries };
}

/**
 * A tree that answers from recorded entries. A path read twice (the counters are read before and after the
 * page map) gives its recorded answers in order, then the last one again; a call nothing recorded says so.
 */
export function treeRoot(label: string, entries: readonly TreeEntry[]): SystemRoot {
  const answers = new Map<string, TreeEntry[]>();
  for (const e of entries) {
    const key = `${e.op} ${e.path}`;
    const list = answers.get(key);
    if (list) list.push(e);
    else answers.set(key, [e]);
  }
  const next = (op: TreeEntry["op"], path: string): TreeEntry | undefined => {
    const list = answers.get(`${op} ${path}`);
    if (!list) return undefined;
    return list.length > 1 ? list.shift() : list[0];
  };
  const answer = <T>(op: TreeEntry["op"], path: string, value: (e: TreeEntry) => T): RootResult<T> => {
    const e = next(op, path);
    if (!e) return { ok: false, code: "ENOENT", message: `${path}: not recorded in ${label}` };
    if ("error" in e) return { ok: false, code: e.error, message: `${path}: ${e.error} when recorded` };
    return { ok: true, value: value(e) };
  };
  return {
    label,
    read: (path) => answer("read", path, (e) => (e as { data: Uint8Array }).data),
    list: (path) => answer("list", path, (e) => (e as { names: readonly string[] }).names),
    stat: (path) => answer("stat", path, (e) => (e as { stat: RootStat }).stat),
    localPath: () => undefined,
  };
}
