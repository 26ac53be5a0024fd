import { joinPath, readText, type SystemRoot } from "../root/root.js";
import { badCounters, linesOf, quote } from "./parse.js";
import type { Unreadable } from "./sysfs.js";

/** The mount of the cgroup hierarchy that holds the memory controller. */
export interface MemoryHierarchy {
  /** `v2` (cgroup2, the memory controller enabled at its root) or `v1` (a `cgroup` mount with `memory`). */
  readonly version: "v1" | "v2";
  /** Where it is mounted, e.g. `/sys/fs/cgroup` or `/sys/fs/cgroup/memory`. */
  readonly mountPoint: string;
  /** The cgroup the mount shows as its root (`/` unless a cgroup namespace shows a subtree). */
  readonly mountRoot: string;
}

/** A mountinfo field with the kernel's octal escapes (`\040` for a space) undone. */
const unescapeField = (s: string) =>
  s.replace(/\\([0-7]{3})/g, (_, o: string) => String.fromCharCode(Number.parseInt(o, 8)));

/**
 * Finds the memory cgroup hierarchy in /proc/self/mountinfo (Documentation/filesystems/proc.rst, "mountinfo"):
 * `id parent major:minor root mountpoint options [optional…] - fstype source superoptions`. A v1 `cgroup` mount
 * whose super options name `memory` wins: while the controller is bound to v1 it is absent from cgroup2.
 */
export function findMemoryHierarchy(
  mountinfo: string,
  controllersOf: (mountPoint: string) => string | undefined,
  path = "/proc/self/mountinfo",
): MemoryHierarchy | undefined {
  let v2: MemoryHierarchy | undefined;
  for (const [i, line] of linesOf(mountinfo).entries()) {
    const fields = line.split(" ");
    const dash = fields.indexOf("-");
    if (dash < 6 || fields.length < dash + 4)
      throw badCounters(path, i + 1, `not a mountinfo line: ${quote(line)}`);
    const mountRoot = unescapeField(fields[3]!);
    const mountPoint = unescapeField(fields[4]!);
    const fstype = fields[dash + 1];
    const superOptions = fields[dash + 3]!.split(",");
    if (fstype === "cgroup" && superOptions.includes("memory"))
      return { version: "v1", mountPoint, mountRoot };
    if (fstype === "cgroup2" && !v2) {
      const controllers = controllersOf(mountPoint);
      if (controllers?.split(/\s+/).includes("memory")) v2 = { version: "v2", mountPoint, mountRoot };
    }
  }
  return v2;
}

/** A cgroup directory and its inode number, the number /proc/kpagecgroup gives for pages charged to it. */
export interface CgroupPath {
  readonly inode: number;
  /** The cgroup's path in its hierarchy, `/` for the root. */
  readonly path: string;
}

export interface CgroupTree {
  readonly hierarchy: MemoryHierarchy;
  readonly cgroups: readonly CgroupPath[];
  /** True when the walk stopped at {@link maxCgroups} directories or {@link maxDepth} levels. */
  readonly truncated: boolean;
}

/** The most cgroup directories walked; a machine with more is reported as truncated. */
export const maxCgroups = 100_000;
const maxDepth = 64;

/**
 * Maps memory cgroups to their inode numbers: /proc/kpagecgroup gives, per page, the inode of the cgroup
 * directory of the memcg it is charged to (`page_cgroup_ino()`, mm/memcontrol.c: `cgroup_ino()` of the
 * closest online ancestor, 0 when not charged). Walks the hierarchy's directories through the tree: a copy
 * made with `cat` keeps no inode numbers, so there the paths stay unknown and the survey shows inodes.
 */
export function readCgroupTree(root: SystemRoot, unreadable: Unreadable): CgroupTree | undefined {
  const mountinfoPath = "/proc/self/mountinfo";
  const mi = readText(root, mountinfoPath);
  if (!mi.ok) {
    unreadable(mountinfoPath, mi.code);
    return undefined;
  }
  const hierarchy = findMemoryHierarchy(
    mi.value,
    (mp) => {
      const c = readText(root, joinPath(mp, "cgroup.controllers"));
      return c.ok ? c.value : undefined;
    },
    mountinfoPath,
  );
  if (!hierarchy) {
    unreadable(mountinfoPath, "no memory cgroup hierarchy is mounted");
    return undefined;
  }
  const cgroups: CgroupPath[] = [];
  let truncated = false;
  const base = hierarchy.mountRoot === "/" ? "" : hierarchy.mountRoot;
  const walk = (dir: string, rel: string, depth: number, ino: number) => {
    if (cgroups.length >= maxCgroups || depth > maxDepth) {
      truncated = true;
      return;
    }
    cgroups.push({ inode: ino, path: rel === "" ? base || "/" : base + rel });
    const names = root.list(dir);
    if (!names.ok) return;
    for (const name of names.value) {
      const child = joinPath(dir, name);
      const cs = root.stat(child);
      if (cs.ok && cs.value.type === "dir") walk(child, `${rel}/${name}`, depth + 1, cs.value.ino);
    }
  };
  const top = root.stat(hierarchy.mountPoint);
  if (!top.ok || top.value.type !== "dir") {
    unreadable(hierarchy.mountPoint, top.ok ? "ENOENT" : top.code);
    return undefined;
  }
  walk(hierarchy.mountPoint, "", 0, top.value.ino);
  return { hierarchy, cgroups, truncated };
}
