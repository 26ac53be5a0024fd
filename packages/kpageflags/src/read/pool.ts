import { availableParallelism } from "node:os";
import { Worker } from "node:worker_threads";
import { fsError, KpageflagsError } from "../errors.js";
import { packageFileUrl } from "../package-file.js";
import type { RunBatch } from "../runs.js";
import { ChunkFileReader, type ChunkRead, endsRead } from "./chunk-read.js";
import { ChunkClaims } from "./claims.js";
import type { ReaderData } from "./worker.js";

/** The files read together: kpageflags always, kpagecount and kpagecgroup when asked. */
export interface PageMapFilePaths {
  readonly flags: string;
  readonly counts?: string | undefined;
  readonly cgroups?: string | undefined;
}

export interface PoolOptions {
  /** PFN of the first word of the files. */
  readonly startPfn: number;
  /** PFNs per chunk. */
  readonly chunkPfns: number;
  /** The most PFNs a page map can have (`maxPfnsFor`); a longer file is refused. */
  readonly maxPfns: number;
  /** Readers, the main thread among them (default: one per CPU); all but one are threads. */
  readonly workers?: number | undefined;
  /** Hint for users when a file ends early. */
  readonly shortReadHint: string;
  /** Called after each chunk is consumed, with the PFNs read so far. */
  readonly onChunk?: ((pfnsDone: number) => void) | undefined;
}

/**
 * Readers by default: one per CPU, the main thread among them (the kernel's side of a read runs on the reading
 * thread's CPU).
 */
export function defaultReaders(): number {
  return Math.max(1, Math.min(16, availableParallelism()));
}

/**
 * Chunks each reader may have read ahead of the main thread: enough to keep the threads reading while the main
 * thread does other work (in `memdesc survey`, loading zod and the plugins: some 60 ms, eight chunks), no more.
 */
const windowPerReader = 8;

/**
 * Reads the page-map files with `workers` readers: the main thread and `workers - 1` reader threads, each
 * claiming the next free chunk (claims.ts), reading it from every file with pread and encoding it as runs; the
 * chunks are yielded strictly in PFN order. A reader slowed by other work (the main thread also classifies, and
 * in the CLI composes the descriptor set) simply claims fewer. For each chunk the files are read back to back
 * at the same offset, so they describe the same moment to within one chunk (reading each file whole, one after
 * the other, leaves thousands of pages inconsistent). The kernel builds /proc/kpageflags as it is read, one
 * `struct page` snapshot per PFN, on the reading thread's CPU; one reader per CPU spreads that work, and on one
 * CPU no thread is started at all. No reader runs more than eight chunks per reader ahead of the main thread, so
 * memory stays flat.
 *
 * The reader threads start at once, before anything iterates, so their start-up overlaps whatever the caller
 * does next (reading the counters, loading plugins). They do not keep the process alive until iterated; iterate
 * the result once, to its end or until `return()`, which stops them.
 */
export function readInWorkers(files: PageMapFilePaths, options: PoolOptions): AsyncIterable<RunBatch> {
  const paths = [
    files.flags,
    ...(files.counts ? [files.counts] : []),
    ...(files.cgroups ? [files.cgroups] : []),
  ];
  const readers = Math.max(1, Math.floor(options.workers ?? defaultReaders()));
  const { chunkPfns, startPfn } = options;
  const claims = ChunkClaims.create(windowPerReader * readers);
  const arrived = new Map<number, ChunkRead>();
  let wake: (() => void) | undefined;
  let crashed: Error | undefined;
  const exits: Promise<void>[] = [];
  const threads = Array.from({ length: readers - 1 }, () => {
    // dist/read/worker.js even when this module runs from src/ (tests): a worker thread needs JavaScript.
    const worker = new Worker(packageFileUrl("dist/read/worker.js"), {
      workerData: {
        files: paths,
        chunkPfns,
        claims: claims.state,
        window: claims.window,
      } satisfies ReaderData,
    });
    worker.on("message", (m: ChunkRead) => {
      arrived.set(m.index, m);
      wake?.();
    });
    worker.on("error", (err) => {
      crashed = err;
      wake?.();
    });
    exits.push(new Promise<void>((resolve) => worker.once("exit", () => resolve())));
    worker.unref();
    return worker;
  });
  let own: ChunkFileReader | undefined;
  /** Chunk `index`, read by whichever reader claimed it; the main thread reads one itself while it may. */
  const take = async (index: number): Promise<ChunkRead> => {
    for (;;) {
      const m = arrived.get(index);
      if (m) {
        arrived.delete(index);
        claims.consumed(index + 1);
        return m;
      }
      if (crashed) throw crashed;
      const mine = claims.claim();
      if (mine >= 0) {
        own ??= new ChunkFileReader(paths, chunkPfns);
        const r = own.read(mine);
        if (endsRead(r, chunkPfns)) claims.end(mine);
        arrived.set(mine, r);
        // Let the event loop run between reads: the threads' chunks, timers, and what the caller does meanwhile.
        await new Promise<void>((resolve) => setImmediate(resolve));
        continue;
      }
      // The chunk is being read by a thread (or the window is full of chunks before it): wait for a message.
      await new Promise<void>((resolve) => {
        wake = resolve;
      });
      wake = undefined;
    }
  };
  async function* batches(): AsyncGenerator<RunBatch> {
    for (const t of threads) t.ref();
    try {
      for (let index = 0; ; index++) {
        const m = await take(index);
        if ("error" in m) {
          if (m.error.kind === "short")
            throw new KpageflagsError("SHORT_READ", `short read: ${m.error.message}`, options.shortReadHint, {
              path: m.path,
            });
          throw fsError(
            Object.assign(new Error(m.error.message), { code: m.error.code }),
            m.path,
            m.what,
            m.what === "read" ? m.offset : undefined,
          );
        }
        if (m.pfns === 0) break;
        if (index * chunkPfns + m.pfns > options.maxPfns)
          throw new KpageflagsError(
            "TOO_BIG",
            `${files.flags} goes on past ${options.maxPfns} PFNs, more than any machine's physical address space`,
            options.shortReadHint,
            { path: files.flags },
          );
        const [flags, counts, cgroups] = m.runs;
        yield {
          pfn: startPfn + index * chunkPfns,
          length: m.pfns,
          flags: flags!,
          counts: files.counts ? counts : undefined,
          cgroups: files.cgroups ? (files.counts ? cgroups : counts) : undefined,
        };
        options.onChunk?.(index * chunkPfns + m.pfns);
        if (m.pfns < chunkPfns) break;
      }
    } finally {
      // Each thread closes its own descriptors when it sees the stop (terminating it would leak them: they
      // belong to the process), after at most the chunk it is reading.
      claims.stop();
      own?.close();
      await Promise.all(exits);
    }
  }
  let iterated = false;
  return {
    [Symbol.asyncIterator]() {
      if (iterated) throw new Error("the page map's reader threads can be iterated once");
      iterated = true;
      return batches();
    },
  };
}
