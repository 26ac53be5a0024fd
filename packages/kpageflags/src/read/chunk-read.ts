// One reader's side of a page-map read, the same on the main thread and on a reader thread: the files opened
// once, and each chunk read from all of them at the same offset with pread, run-length encoded. It imports
// nothing but the run encoder, so a reader thread that loads it starts fast.
import { closeSync, constants, openSync, readSync } from "node:fs";
import { compactRuns, encodeRuns, type FileRuns } from "../runs.js";

/** A chunk read, or why it could not be. */
export type ChunkRead =
  | { readonly index: number; readonly pfns: number; readonly runs: readonly FileRuns[] }
  | {
      readonly index: number;
      readonly error:
        | { readonly kind: "io"; readonly code: string | undefined; readonly message: string }
        | { readonly kind: "short"; readonly message: string };
      readonly path: string;
      readonly offset: number;
      readonly what: "open" | "read";
    };

/** Whether a chunk ends the read: an error, or fewer PFNs than a whole chunk (the files ended in it). */
export function endsRead(r: ChunkRead, chunkPfns: number): boolean {
  return "error" in r || r.pfns < chunkPfns;
}

/** The page-map files (kpageflags first), read chunk by chunk at any index. */
export class ChunkFileReader {
  private readonly bytes: number;
  private readonly buf: Uint8Array;
  private readonly words: Uint32Array;
  private readonly scratch: Float64Array;
  private fds: number[] = [];
  private openFailure: Omit<Extract<ChunkRead, { error: unknown }>, "index"> | undefined;

  constructor(
    private readonly files: readonly string[],
    chunkPfns: number,
  ) {
    this.bytes = chunkPfns * 8;
    this.buf = new Uint8Array(this.bytes);
    this.words = new Uint32Array(this.buf.buffer);
    this.scratch = new Float64Array(3 * chunkPfns);
    for (const path of files) {
      try {
        // O_NONBLOCK: a path swapped for a FIFO since it was checked must not block the open (a read of it then
        // fails: pread on a pipe is ESPIPE).
        this.fds.push(openSync(path, constants.O_RDONLY | constants.O_NONBLOCK));
      } catch (err) {
        this.openFailure = { ...ioError(err), path, offset: 0, what: "open" };
        this.close();
        break;
      }
    }
  }

  /** Chunk `index`: `chunkPfns` words of each file from `index * chunkPfns`, or fewer where kpageflags ends. */
  read(index: number): ChunkRead {
    if (this.openFailure) return { index, ...this.openFailure };
    const pos = index * this.bytes;
    const runs: FileRuns[] = [];
    let want = this.bytes;
    for (let f = 0; f < this.fds.length; f++) {
      const path = this.files[f]!;
      let n: number;
      try {
        n = this.preadFull(this.fds[f]!, want, pos);
      } catch (err) {
        return { index, ...ioError(err), path, offset: pos, what: "read" };
      }
      if (f === 0) {
        if (n % 8 !== 0)
          return short(
            index,
            path,
            pos,
            `${path} returned ${n} bytes at offset ${pos}, not a whole number of 8-byte words`,
          );
        want = n;
        if (n === 0) break;
      } else if (n < want)
        return short(
          index,
          path,
          pos,
          `${path} returned ${n} bytes at offset ${pos} where kpageflags returned ${want}`,
        );
      runs.push(compactRuns(encodeRuns(this.words, n / 8, this.scratch)));
    }
    return { index, pfns: want / 8, runs };
  }

  /** Closes the files; a read after this fails. */
  close(): void {
    for (const fd of this.fds) closeSync(fd);
    this.fds = [];
  }

  /** Reads until `len` bytes or EOF: /proc files may return less than asked. */
  private preadFull(fd: number, len: number, pos: number): number {
    let got = 0;
    while (got < len) {
      const n = readSync(fd, this.buf, got, len - got, pos + got);
      if (n === 0) break;
      got += n;
    }
    return got;
  }
}

function ioError(err: unknown): { error: { kind: "io"; code: string | undefined; message: string } } {
  const e = err as NodeJS.ErrnoException;
  return { error: { kind: "io", code: e.code, message: e.message } };
}

function short(index: number, path: string, offset: number, message: string): ChunkRead {
  return { index, path, offset, what: "read", error: { kind: "short", message } };
}
