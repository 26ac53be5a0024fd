import { statSync } from "node:fs";
import { fsError, KpageflagsError } from "../errors.js";
import { checkChunkPfns, defaultChunkPfns, maxPfnsFor, type PageMapSource, sectionPfnsFor } from "./chunk.js";
import { type RamMap, readIomem } from "./iomem.js";
import { readInWorkers } from "./pool.js";

export interface RawSourceOptions {
  /** A raw dump of /proc/kpagecount made at the same time, the same length. */
  readonly counts?: string | undefined;
  /** A raw dump of /proc/kpagecgroup made at the same time, the same length. */
  readonly cgroups?: string | undefined;
  /** PFN of the dump's first word (0 for `cat /proc/kpageflags > file`). */
  readonly startPfn?: number | undefined;
  /** System RAM: a RamMap, or a saved /proc/iomem to parse. Without it, zero pages cannot be told from holes. */
  readonly ram?: RamMap | string | null | undefined;
  readonly pageSize?: number | undefined;
  readonly kernelRelease?: string | undefined;
  readonly chunkPfns?: number | undefined;
  /** Reader threads (default: one per CPU). */
  readonly workers?: number | undefined;
  readonly onProgress?: ((done: number, expected: number | undefined) => void) | undefined;
}

/** The size of a dump, which must be a regular file: a device or pipe might never end. */
function sizeOf(path: string): number {
  let st: ReturnType<typeof statSync>;
  try {
    st = statSync(path);
  } catch (err) {
    throw fsError(err, path, "open");
  }
  if (!st.isFile())
    throw new KpageflagsError(
      "BAD_RAW_DUMP",
      `${path} is not a regular file (a device or pipe might never end)`,
      "save the dump to a file first: sudo cat /proc/kpageflags > kpageflags.bin",
      { path },
    );
  return st.size;
}

/**
 * A raw page-map dump: the bytes of /proc/kpageflags as `cat /proc/kpageflags > file` saves them, the form
 * `page-types -F` reads. Its size must be a whole number of 8-byte words, and dumps of kpagecount and
 * kpagecgroup given with it must be the same size.
 */
export function rawSource(path: string, options: RawSourceOptions = {}): PageMapSource {
  const bytes = sizeOf(path);
  const hint = "make the dump with `sudo cat /proc/kpageflags > file` and copy it whole";
  if (bytes % 8 !== 0)
    throw new KpageflagsError(
      "BAD_RAW_DUMP",
      `${path}: ${bytes} bytes is not a whole number of 8-byte page-map words (truncated at offset ${bytes - (bytes % 8)}?)`,
      hint,
      { path },
    );
  for (const other of [options.counts, options.cgroups]) {
    if (other === undefined) continue;
    const n = sizeOf(other);
    if (n !== bytes)
      throw new KpageflagsError(
        "SHORT_READ",
        `${other}: ${n} bytes, but ${path} has ${bytes}; dumps read together must cover the same PFNs`,
        hint,
        { path: other },
      );
  }
  const pageSize = options.pageSize ?? 4096;
  const startPfn = options.startPfn ?? 0;
  if (!Number.isSafeInteger(startPfn) || startPfn < 0)
    throw new KpageflagsError(
      "BAD_OPTION",
      `startPfn must be a whole number ≥ 0, not ${startPfn}`,
      "omit it for a whole dump",
    );
  const ram = typeof options.ram === "string" ? readIomem(options.ram, pageSize) : (options.ram ?? null);
  const pfnCount = bytes / 8;
  if (startPfn + pfnCount > maxPfnsFor(pageSize))
    throw new KpageflagsError(
      "TOO_BIG",
      `${path}: ${pfnCount} PFNs from PFN ${startPfn} run past 2^52 bytes of physical address space`,
      hint,
      { path },
    );
  const chunkPfns = checkChunkPfns(options.chunkPfns ?? defaultChunkPfns);
  return {
    info: {
      kind: "raw",
      path,
      pageSize,
      startPfn,
      pfnCount,
      expectedPfnCount: pfnCount,
      ram,
      sectionPfns: sectionPfnsFor(pageSize),
      kernelRelease: options.kernelRelease,
      machine: undefined,
      capturedAt: undefined,
      files: {
        kpageflags: true,
        kpagecount: options.counts !== undefined,
        kpagecgroup: options.cgroups !== undefined,
      },
    },
    batches: () =>
      readInWorkers(
        { flags: path, counts: options.counts, cgroups: options.cgroups },
        {
          startPfn,
          chunkPfns,
          maxPfns: maxPfnsFor(pageSize),
          workers: options.workers,
          shortReadHint: hint,
          onChunk: options.onProgress ? (done) => options.onProgress!(done, pfnCount) : undefined,
        },
      ),
  };
}
