import { KpageflagsError } from "../errors.js";
import type { RunBatch } from "../runs.js";
import type { RamMap } from "./ram.js";

export type { PageChunk } from "./page-chunk.js";

/** PFNs per read: 64 Ki PFNs, 512 KiB of kpageflags, as page-types reads. */
export const defaultChunkPfns = 65536;

/** Bytes per memory section on x86-64 and arm64 (SECTION_SIZE_BITS 27): the unit of memmap init. */
export const defaultSectionBytes = 128 * 1024 * 1024;

/** Which of the three page-map files a source carries. */
export interface PageMapFiles {
  readonly kpageflags: true;
  readonly kpagecount: boolean;
  readonly kpagecgroup: boolean;
}

/** What is known about a page map before its chunks are read. */
export interface PageMapInfo {
  /** Where it comes from: the live /proc files (or a copy), a raw dump, a snapshot file, a capture archive. */
  readonly kind: "proc" | "raw" | "snapshot" | "archive";
  /** The file read (for proc, the kpageflags path). */
  readonly path: string;
  readonly pageSize: number;
  /** First PFN (0 for proc and whole dumps). */
  readonly startPfn: number;
  /** PFNs in the map when known in advance (raw dumps, snapshots); for proc, only EOF tells. */
  readonly pfnCount: number | undefined;
  /** A guess of the PFN count for progress reports, from iomem when nothing better is known. */
  readonly expectedPfnCount: number | undefined;
  /** System RAM from /proc/iomem, or null when unknown. */
  readonly ram: RamMap | null;
  /** PFNs per memory section, for telling deferred-init memmap from untyped kernel pages. */
  readonly sectionPfns: number;
  /** `uname -r` of the machine, when known. */
  readonly kernelRelease: string | undefined;
  /** `uname -m`, when known. */
  readonly machine: string | undefined;
  /** When the page map was read (ISO 8601), when known. */
  readonly capturedAt: string | undefined;
  readonly files: PageMapFiles;
}

/** Progress while a page map is read. */
export interface ReadProgress {
  /** PFNs done so far. */
  readonly pfnsDone: number;
  /** PFNs expected in total, when known or estimated. */
  readonly pfnsExpected: number | undefined;
}

/** A page map that can be read batch by batch, in PFN order. */
export interface PageMapSource {
  readonly info: PageMapInfo;
  /** The page map as runs, in PFN order. A batch's arrays may be reused once the next one is requested. */
  batches(): AsyncIterable<RunBatch>;
}

/**
 * The widest physical address space a page map can describe: MAX_PHYSMEM_BITS, 52 on x86-64 with 5-level paging
 * (arch/x86/include/asm/sparsemem.h) and on arm64 with 52-bit PAs (CONFIG_ARM64_PA_BITS,
 * arch/arm64/include/asm/sparsemem.h).
 */
export const maxPhysBits = 52;

/** The most PFNs a page map can have: 2^maxPhysBits bytes in pages. Anything claiming more is not a machine. */
export function maxPfnsFor(pageSize: number): number {
  return 2 ** maxPhysBits / pageSize;
}

/** The section size in PFNs for a page size. */
export function sectionPfnsFor(pageSize: number, sectionBytes = defaultSectionBytes): number {
  return Math.max(1, Math.floor(sectionBytes / pageSize));
}

/** Checks a chunk size in PFNs. */
export function checkChunkPfns(chunkPfns: number): number {
  if (!Number.isInteger(chunkPfns) || chunkPfns < 1 || chunkPfns > 1 << 24)
    throw new KpageflagsError(
      "BAD_OPTION",
      `chunkPfns must be a whole number from 1 to 16777216, not ${chunkPfns}`,
      "omit it to use 65536",
    );
  return chunkPfns;
}
