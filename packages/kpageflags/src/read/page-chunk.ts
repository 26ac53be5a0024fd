/**
 * A contiguous piece of the page map. Each u64 of the files is held as two u32 halves in one Uint32Array, low
 * half first (`flags[2 * i]` is bits 0–31 of PFN `pfn + i`, `flags[2 * i + 1]` bits 32–63), so a consumer can
 * test bits without BigInt. The arrays may be longer than `2 * length`, and are reused for the next chunk:
 * copy what you want to keep.
 */
export interface PageChunk {
  /** First PFN. */
  readonly pfn: number;
  /** PFNs in the chunk. */
  readonly length: number;
  /** /proc/kpageflags words. */
  readonly flags: Uint32Array;
  /** /proc/kpagecount words (mapcounts), when read. */
  readonly counts?: Uint32Array | undefined;
  /** /proc/kpagecgroup words (memcg inode numbers), when read. */
  readonly cgroups?: Uint32Array | undefined;
}
