import { statSync } from "node:fs";
import { fsError, KpageflagsError } from "../errors.js";
import { dirRoot } from "../root/dir.js";
import { readText, type SystemRoot } from "../root/root.js";
import { checkChunkPfns, defaultChunkPfns, maxPfnsFor, type PageMapSource, sectionPfnsFor } from "./chunk.js";
import { parseIomem, type RamMap } from "./iomem.js";
import { readInWorkers } from "./pool.js";

export { checkChunkPfns };

export interface ProcSourceOptions {
  /** Also read /proc/kpagecount (mapcounts), in lockstep with kpageflags. */
  readonly counts?: boolean | undefined;
  /** Also read /proc/kpagecgroup (memcg inode per page), in lockstep with kpageflags. */
  readonly cgroups?: boolean | undefined;
  /**
   * The tree to read: `/` (this machine, the default), a directory holding another machine's `proc/` and
   * `sys/` (`--root`), or any {@link SystemRoot} on this machine's filesystem.
   */
  readonly root?: string | SystemRoot | undefined;
  /** System RAM, or null for unknown; read from the tree's /proc/iomem when omitted. */
  readonly ram?: RamMap | null | undefined;
  /** PFNs per read (default 65,536: 512 KiB of each file). A multiple of the section size keeps sections whole. */
  readonly chunkPfns?: number | undefined;
  /** Reader threads (default: one per CPU). */
  readonly workers?: number | undefined;
  /** Called after every chunk. */
  readonly onProgress?: ((done: number, expected: number | undefined) => void) | undefined;
}

/** The tree an option names. */
export function rootOf(root: string | SystemRoot | undefined): SystemRoot {
  return typeof root === "object" ? root : dirRoot(root ?? "/");
}

/** A page-map file of the tree, on disk and regular: a device or FIFO might never end, and is refused. */
function pageMapFile(root: SystemRoot, path: string): string {
  const local = root.localPath(path);
  if (local === undefined)
    throw new KpageflagsError(
      "NOT_FOUND",
      `${root.label} has no ${path} on this machine's filesystem to read`,
      "survey its snapshot, or a directory holding a copy of its /proc and /sys",
      { path },
    );
  let regular: boolean;
  try {
    regular = statSync(local).isFile();
  } catch (err) {
    throw fsError(err, local, "open");
  }
  if (!regular)
    throw new KpageflagsError(
      "IO_ERROR",
      `${local} is not a regular file (a device or pipe might never end)`,
      "point --root at a directory holding the files, copied with `cat`",
      { path: local },
    );
  return local;
}

/**
 * The page map of a machine's tree: /proc/kpageflags (and kpagecount, kpagecgroup when asked) read over the
 * whole PFN span until EOF, which the kernel puts at max_pfn rounded up to a memory section (fs/proc/page.c),
 * on reader threads. /proc/iomem gives the System RAM ranges that tell holes from memory, since holes read 0
 * on 6.15+.
 */
export function procSource(options: ProcSourceOptions = {}): PageMapSource {
  const root = rootOf(options.root);
  const pageSize = 4096;
  const files = {
    flags: pageMapFile(root, "/proc/kpageflags"),
    counts: options.counts ? pageMapFile(root, "/proc/kpagecount") : undefined,
    cgroups: options.cgroups ? pageMapFile(root, "/proc/kpagecgroup") : undefined,
  };
  let ram: RamMap | null;
  if (options.ram !== undefined) ram = options.ram;
  else {
    const iomem = readText(root, "/proc/iomem");
    ram = iomem.ok ? parseIomem(iomem.value, pageSize, root.localPath("/proc/iomem") ?? "/proc/iomem") : null;
  }
  const release = readText(root, "/proc/sys/kernel/osrelease");
  const arch = readText(root, "/proc/sys/kernel/arch");
  const sectionPfns = sectionPfnsFor(pageSize);
  const chunkPfns = checkChunkPfns(options.chunkPfns ?? defaultChunkPfns);
  const last = ram?.ranges[ram.ranges.length - 1];
  const expected = last ? Math.ceil(last.end / sectionPfns) * sectionPfns : undefined;
  return {
    info: {
      kind: "proc",
      path: files.flags,
      pageSize,
      startPfn: 0,
      pfnCount: undefined,
      expectedPfnCount: expected,
      ram,
      sectionPfns,
      kernelRelease: release.ok ? release.value.trim() : undefined,
      machine: arch.ok ? arch.value.trim() : undefined,
      capturedAt: new Date().toISOString(),
      files: { kpageflags: true, kpagecount: !!options.counts, kpagecgroup: !!options.cgroups },
    },
    batches: () =>
      readInWorkers(files, {
        startPfn: 0,
        chunkPfns,
        maxPfns: maxPfnsFor(pageSize),
        workers: options.workers,
        shortReadHint:
          "the page-map files ended early or out of step: retry the capture, as root, without memory hotplug running",
        onChunk: options.onProgress ? (done) => options.onProgress!(done, expected) : undefined,
      }),
  };
}
