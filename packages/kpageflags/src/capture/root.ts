// Browser-safe: no node: imports.
import { maxCgroups } from "../counters/cgroups.js";
import type { RootResult, RootStat, SystemRoot } from "../root/root.js";
import { type CaptureMeta, inodesPath, parseInodes, readCaptureMeta, vmstatAfterPath } from "./meta.js";

/**
 * A capture made by memdesc's capture script, as a tree the survey reads as it reads the machine itself: its
 * `proc/…` and `sys/…` files, with what a copy made with `cat` cannot keep given back from the capture's own
 * files. /proc/vmstat read a second time (the survey reads it after the page map too) answers with the copy
 * made after the page map, so the churn shows as it did; a memory cgroup directory answers `stat` with the
 * inode number it had on the machine, which /proc/kpagecgroup gives per page.
 */
export interface CaptureTree {
  readonly root: SystemRoot;
  /** The capture's metadata, or undefined when the tree is a plain copy (or the live machine). */
  readonly meta: CaptureMeta | undefined;
}

/** Wraps a tree that may hold a capture; a tree that does not is returned as it is. */
export function captureTree(inner: SystemRoot): CaptureTree {
  const meta = readCaptureMeta(inner);
  if (!meta) return { root: inner, meta };
  let inodes: Map<string, number> | undefined;
  const list = inner.read(inodesPath);
  if (list.ok)
    inodes = parseInodes(
      new TextDecoder("utf-8", { fatal: false }).decode(list.value),
      inner.localPath(inodesPath) ?? `${inodesPath.slice(1)} in ${inner.label}`,
      maxCgroups + 1,
    );
  let vmstatReads = 0;
  const root: SystemRoot = {
    label: inner.label,
    read: (path) => {
      if (path === "/proc/vmstat" && vmstatReads++ > 0) {
        const after = inner.read(vmstatAfterPath);
        if (after.ok) return after;
      }
      return inner.read(path);
    },
    ...(inner.readLater ? { readLater: (path: string) => inner.readLater!(path) } : {}),
    list: (path) => inner.list(path),
    stat: (path): RootResult<RootStat> => {
      const r = inner.stat(path);
      const ino = inodes?.get(path);
      return r.ok && ino !== undefined && r.value.type === "dir"
        ? { ok: true, value: { ...r.value, ino } }
        : r;
    },
    localPath: (path) => inner.localPath(path),
  };
  return { root, meta };
}
