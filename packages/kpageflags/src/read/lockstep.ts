import { close, constants, open, read } from "node:fs";
import { fsError, KpageflagsError } from "../errors.js";
import type { PageChunk } from "./chunk.js";

/** The files read together: kpageflags always, kpagecount and kpagecgroup when asked. */
export interface LockstepFiles {
  readonly flags: string;
  readonly counts?: string | undefined;
  readonly cgroups?: string | undefined;
}

export interface LockstepOptions {
  /** PFN of the first word of the files. */
  readonly startPfn: number;
  /** PFNs per chunk. */
  readonly chunkPfns: number;
  /** Chunks being read at once. */
  readonly parallel: number;
  /** Hint for users when a file ends early. */
  readonly shortReadHint: string;
  /** Called after each chunk is consumed. */
  readonly onChunk?: ((pfnsDone: number) => void) | undefined;
}

interface Slot {
  readonly flags: Uint32Array;
  readonly counts: Uint32Array | undefined;
  readonly cgroups: Uint32Array | undefined;
  /** Resolves to the PFNs read into this slot (0 at EOF). */
  pending: Promise<number> | undefined;
  index: number;
}

// O_NONBLOCK: a path that is (or was swapped for) a FIFO or device must not block the open, and a read of a
// FIFO then fails (pread on a pipe is ESPIPE) instead of waiting for a writer.
const openFd = (path: string) =>
  new Promise<number>((resolve, reject) =>
    open(path, constants.O_RDONLY | constants.O_NONBLOCK, (err, fd) =>
      err ? reject(fsError(err, path, "open")) : resolve(fd),
    ),
  );

const closeFd = (fd: number) => new Promise<void>((resolve) => close(fd, () => resolve()));

function preadOnce(fd: number, buf: Uint8Array, at: number, len: number, pos: number): Promise<number> {
  return new Promise((resolve, reject) =>
    read(fd, buf, at, len, pos, (err, n) => (err ? reject(err) : resolve(n))),
  );
}

/** Reads until `len` bytes or EOF; /proc files may return less than asked. */
async function preadFull(
  fd: number,
  path: string,
  buf: Uint8Array,
  len: number,
  pos: number,
): Promise<number> {
  let done = 0;
  while (done < len) {
    let n: number;
    try {
      n = await preadOnce(fd, buf, done, len - done, pos + done);
    } catch (err) {
      throw fsError(err, path, "read", pos + done);
    }
    if (n === 0) break;
    done += n;
  }
  return done;
}

/**
 * Reads the page-map files chunk by chunk, until kpageflags ends. For each chunk, kpageflags, then kpagecount
 * and kpagecgroup are read back to back at the same offset, so the three describe the same moment to within
 * one chunk (reading each file whole, one after the other, leaves thousands of pages inconsistent).
 * `parallel` chunks are in flight at once on libuv's thread pool: the kernel's side of the read (it snapshots
 * every struct page) then runs on several CPUs, while chunks are still handed out strictly in PFN order.
 */
export async function* lockstepChunks(
  files: LockstepFiles,
  options: LockstepOptions,
): AsyncGenerator<PageChunk> {
  const { chunkPfns, startPfn } = options;
  const parallel = Math.max(1, Math.floor(options.parallel));
  const chunkBytes = chunkPfns * 8;
  const fdFlags = await openFd(files.flags);
  const fds = [fdFlags];
  try {
    const fdCounts = files.counts ? await openFd(files.counts) : undefined;
    if (fdCounts !== undefined) fds.push(fdCounts);
    const fdCgroups = files.cgroups ? await openFd(files.cgroups) : undefined;
    if (fdCgroups !== undefined) fds.push(fdCgroups);

    const readSide = async (
      fd: number,
      path: string,
      buf: Uint32Array,
      pos: number,
      wantBytes: number,
      flagsBytes: number,
    ): Promise<void> => {
      const n = await preadFull(
        fd,
        path,
        new Uint8Array(buf.buffer, buf.byteOffset, wantBytes),
        wantBytes,
        pos,
      );
      if (n < flagsBytes)
        throw new KpageflagsError(
          "SHORT_READ",
          `short read: ${path} returned ${n} bytes at offset ${pos} where kpageflags returned ${flagsBytes}`,
          options.shortReadHint,
          { path },
        );
    };

    let eof = false;
    const fill = async (slot: Slot): Promise<number> => {
      const pos = slot.index * chunkBytes;
      const n = await preadFull(
        fdFlags,
        files.flags,
        new Uint8Array(slot.flags.buffer, slot.flags.byteOffset, chunkBytes),
        chunkBytes,
        pos,
      );
      if (n % 8 !== 0)
        throw new KpageflagsError(
          "SHORT_READ",
          `short read: ${files.flags} returned ${n} bytes at offset ${pos}, not a whole number of 8-byte words`,
          options.shortReadHint,
          { path: files.flags },
        );
      if (n === 0) return 0;
      if (fdCounts !== undefined) await readSide(fdCounts, files.counts!, slot.counts!, pos, n, n);
      if (fdCgroups !== undefined) await readSide(fdCgroups, files.cgroups!, slot.cgroups!, pos, n, n);
      return n / 8;
    };

    const slots: Slot[] = [];
    for (let i = 0; i < parallel; i++) {
      slots.push({
        flags: new Uint32Array(chunkPfns * 2),
        counts: fdCounts === undefined ? undefined : new Uint32Array(chunkPfns * 2),
        cgroups: fdCgroups === undefined ? undefined : new Uint32Array(chunkPfns * 2),
        pending: undefined,
        index: i,
      });
    }
    const issue = (slot: Slot) => {
      const p = fill(slot);
      // A read behind the one that failed is awaited in `finally`; keep it from being an unhandled rejection.
      p.catch(() => {});
      slot.pending = p;
    };
    for (const s of slots) issue(s);
    try {
      for (let next = 0; ; next++) {
        const slot = slots[next % parallel]!;
        const pfns = await slot.pending!;
        slot.pending = undefined;
        if (pfns === 0) break;
        if (pfns < chunkPfns) eof = true;
        yield {
          pfn: startPfn + slot.index * chunkPfns,
          length: pfns,
          flags: slot.flags,
          counts: slot.counts,
          cgroups: slot.cgroups,
        };
        options.onChunk?.(slot.index * chunkPfns + pfns);
        if (eof) break;
        slot.index += parallel;
        issue(slot);
      }
    } finally {
      // Reads still in flight use the descriptors; let them finish before closing.
      await Promise.allSettled(slots.map((s) => s.pending));
    }
  } finally {
    await Promise.all(fds.map(closeFd));
  }
}
