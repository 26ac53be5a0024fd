// A page-map reader thread: claims the next free chunk (claims.ts), reads it from every file with pread and
// sends it back run-length encoded, until nothing is left or the main thread stops the read. It loads only the
// chunk reader and the claims, so it starts fast.
import { parentPort, workerData } from "node:worker_threads";
import { ChunkFileReader, endsRead } from "./chunk-read.js";
import { ChunkClaims, readDone, windowFull } from "./claims.js";

/** What the main thread gives each reader thread. */
export interface ReaderData {
  readonly files: readonly string[];
  readonly chunkPfns: number;
  /** The read's claims (`ChunkClaims.state`), shared with the main thread. */
  readonly claims: Int32Array;
  readonly window: number;
}

const data = workerData as ReaderData;
const port = parentPort!;
const claims = ChunkClaims.attach(data.claims, data.window);
const reader = new ChunkFileReader(data.files, data.chunkPfns);
for (;;) {
  const index = claims.claim();
  if (index === readDone) break;
  if (index === windowFull) {
    // Blocking is fine here: this thread has nothing else to do, and a stop wakes it.
    claims.waitForRoom(1000);
    continue;
  }
  const r = reader.read(index);
  if (endsRead(r, data.chunkPfns)) claims.end(index);
  port.postMessage(r, "runs" in r ? r.runs.map((x) => x.runs.buffer as ArrayBuffer) : []);
}
// The descriptors belong to the process, not this thread: close them before it ends.
reader.close();
