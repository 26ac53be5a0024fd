// A page-map reader thread: reads its own chunks of the page-map files with pread (chunk w, w + W, w + 2W, …)
// and sends each back run-length encoded. It imports nothing but the run encoder, so it starts fast.
import { closeSync, constants, openSync, readSync } from "node:fs";
import { parentPort, workerData } from "node:worker_threads";
import { compactRuns, encodeRuns, type FileRuns } from "../runs.js";

/** What the main thread gives each reader. */
export interface ReaderData {
  readonly files: readonly string[];
  readonly chunkPfns: number;
  /** This reader's first chunk, and the distance to its next. */
  readonly first: number;
  readonly step: number;
  /** Chunks it may read ahead of the main thread. */
  readonly window: number;
}

/** A chunk read, or why it could not be. */
export type ReaderMessage =
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

const data = workerData as ReaderData;
const port = parentPort!;
const bytes = data.chunkPfns * 8;
const buf = new Uint8Array(bytes);
const words = new Uint32Array(buf.buffer);
const scratch = new Float64Array(3 * data.chunkPfns);
let fds: number[] = [];
let next = data.first;
let credits = data.window;
let done = false;

const fail = (index: number, path: string, offset: number, what: "open" | "read", err: unknown): void => {
  const e = err as NodeJS.ErrnoException;
  port.postMessage({
    index,
    path,
    offset,
    what,
    error: { kind: "io", code: e.code, message: e.message },
  } satisfies ReaderMessage);
  done = true;
};

/** Reads until `len` bytes or EOF: /proc files may return less than asked. */
function preadFull(fd: number, len: number, pos: number): number {
  let got = 0;
  while (got < len) {
    const n = readSync(fd, buf, got, len - got, pos + got);
    if (n === 0) break;
    got += n;
  }
  return got;
}

function readChunk(index: number): void {
  const pos = index * bytes;
  const runs: FileRuns[] = [];
  let want = bytes;
  for (let f = 0; f < fds.length; f++) {
    let n: number;
    try {
      n = preadFull(fds[f]!, want, pos);
    } catch (err) {
      fail(index, data.files[f]!, pos, "read", err);
      return;
    }
    if (f === 0) {
      if (n % 8 !== 0) {
        port.postMessage({
          index,
          path: data.files[0]!,
          offset: pos,
          what: "read",
          error: {
            kind: "short",
            message: `${data.files[0]} returned ${n} bytes at offset ${pos}, not a whole number of 8-byte words`,
          },
        } satisfies ReaderMessage);
        done = true;
        return;
      }
      want = n;
      if (n === 0) break;
    } else if (n < want) {
      port.postMessage({
        index,
        path: data.files[f]!,
        offset: pos,
        what: "read",
        error: {
          kind: "short",
          message: `${data.files[f]} returned ${n} bytes at offset ${pos} where kpageflags returned ${want}`,
        },
      } satisfies ReaderMessage);
      done = true;
      return;
    }
    runs.push(compactRuns(encodeRuns(words, n / 8, scratch)));
  }
  const pfns = want / 8;
  port.postMessage(
    { index, pfns, runs } satisfies ReaderMessage,
    runs.map((r) => r.runs.buffer as ArrayBuffer),
  );
  if (pfns < data.chunkPfns) done = true;
}

function pump(): void {
  while (credits > 0 && !done) {
    credits--;
    readChunk(next);
    next += data.step;
  }
}

port.on("message", (m: "more" | "stop") => {
  if (m === "stop") {
    done = true;
    for (const fd of fds) closeSync(fd);
    fds = [];
    port.close();
    return;
  }
  credits++;
  pump();
});

for (const path of data.files) {
  try {
    // O_NONBLOCK: a path swapped for a FIFO since it was checked must not block the open (a read of it then
    // fails: pread on a pipe is ESPIPE).
    fds.push(openSync(path, constants.O_RDONLY | constants.O_NONBLOCK));
  } catch (err) {
    fail(next, path, 0, "open", err);
    break;
  }
}
pump();
