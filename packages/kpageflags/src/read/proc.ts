import { availableParallelism, machine, release } from "node:os";
import { join } from "node:path";
import { checkChunkPfns, defaultChunkPfns, type PageMapSource, sectionPfnsFor } from "./chunk.js";
import { type RamMap, readIomem } from "./iomem.js";
import { lockstepChunks } from "./lockstep.js";

export { checkChunkPfns };

export interface ProcSourceOptions {
  /** Also read /proc/kpagecount (mapcounts), in lockstep with kpageflags. */
  readonly counts?: boolean | undefined;
  /** Also read /proc/kpagecgroup (memcg inode per page), in lockstep with kpageflags. */
  readonly cgroups?: boolean | undefined;
  /** Where the files are; `/proc` unless testing. */
  readonly procDir?: string | undefined;
  /** System RAM, or null for unknown; read from `<procDir>/iomem` when omitted. */
  readonly ram?: RamMap | null | undefined;
  /** PFNs per read (default 65,536: 512 KiB of each file). A multiple of the section size keeps sections whole. */
  readonly chunkPfns?: number | undefined;
  /** Chunks read at once (default: 2 per CPU, at most 4). */
  readonly parallel?: number | undefined;
  /** Called after every chunk. */
  readonly onProgress?: ((done: number, expected: number | undefined) => void) | undefined;
}

/** Reads at once by default: the kernel's per-page work scales with CPUs, libuv has 4 threads. */
export function defaultParallelReads(): number {
  return Math.max(1, Math.min(4, availableParallelism() * 2));
}

/**
 * The live page map of this machine: /proc/kpageflags (and kpagecount, kpagecgroup when asked), read over
 * the whole PFN span until EOF, which the kernel puts at max_pfn rounded up to a memory section.
 * /proc/iomem gives the System RAM ranges that tell holes from memory, since holes read 0 on 6.15+.
 */
export function procSource(options: ProcSourceOptions = {}): PageMapSource {
  const dir = options.procDir ?? "/proc";
  const pageSize = 4096;
  const ram = options.ram !== undefined ? options.ram : readIomem(join(dir, "iomem"), pageSize);
  const sectionPfns = sectionPfnsFor(pageSize);
  const chunkPfns = checkChunkPfns(options.chunkPfns ?? defaultChunkPfns);
  const last = ram?.ranges[ram.ranges.length - 1];
  const expected = last ? Math.ceil(last.end / sectionPfns) * sectionPfns : undefined;
  const files = {
    flags: join(dir, "kpageflags"),
    counts: options.counts ? join(dir, "kpagecount") : undefined,
    cgroups: options.cgroups ? join(dir, "kpagecgroup") : undefined,
  };
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
      kernelRelease: release(),
      machine: machine(),
      capturedAt: new Date().toISOString(),
      files: { kpageflags: true, kpagecount: !!options.counts, kpagecgroup: !!options.cgroups },
    },
    chunks: () =>
      lockstepChunks(files, {
        startPfn: 0,
        chunkPfns,
        parallel: options.parallel ?? defaultParallelReads(),
        shortReadHint:
          "the page-map files ended early or out of step: retry the capture, as root, without memory hotplug running",
        onChunk: options.onProgress ? (done) => options.onProgress!(done, expected) : undefined,
      }),
  };
}
