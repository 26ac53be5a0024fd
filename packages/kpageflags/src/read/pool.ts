import { availableParallelism } from "node:os";
import { Worker } from "node:worker_threads";
import { fsError, KpageflagsError } from "../errors.js";
import { packageFileUrl } from "../package-file.js";
import type { RunBatch } from "../runs.js";
import type { ReaderData, ReaderMessage } from "./worker.js";

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
  /** Reader threads (default: one per CPU). */
  readonly workers?: number | undefined;
  /** Hint for users when a file ends early. */
  readonly shortReadHint: string;
  /** Called after each chunk is consumed, with the PFNs read so far. */
  readonly onChunk?: ((pfnsDone: number) => void) | undefined;
}

/** Reader threads by default: one per CPU (the kernel's side of a read runs on the reading thread's CPU). */
export function defaultReaders(): number {
  return Math.max(1, Math.min(16, availableParallelism()));
}

/** Chunks each reader may read ahead: enough to keep it busy while the main thread classifies, no more. */
const window = 2;

/**
 * Reads the page-map files on reader threads, each taking its own chunks (reader w reads chunks w, w + W, …)
 * with pread and sending them back as runs, and yields the chunks strictly in PFN order. For each chunk the
 * files are read back to back at the same offset, so they describe the same moment to within one chunk
 * (reading each file whole, one after the other, leaves thousands of pages inconsistent). The kernel builds
 * /proc/kpageflags as it is read, one `struct page` snapshot per PFN, on the reading thread's CPU; one reader
 * per CPU spreads that work. Each reader holds at most two chunks ahead, so memory stays flat.
 *
 * The readers start at once, before anything iterates, so their start-up overlaps whatever the caller does
 * next (reading the counters, loading plugins). They do not keep the process alive until iterated; iterate the
 * result once, to its end or until `return()`, which stops them.
 */
export function readInWorkers(files: PageMapFilePaths, options: PoolOptions): AsyncIterable<RunBatch> {
  const paths = [
    files.flags,
    ...(files.counts ? [files.counts] : []),
    ...(files.cgroups ? [files.cgroups] : []),
  ];
  const n = Math.max(1, Math.floor(options.workers ?? defaultReaders()));
  const { chunkPfns, startPfn } = options;
  const arrived = new Map<number, ReaderMessage>();
  let wake: (() => void) | undefined;
  let crashed: Error | undefined;
  const exits: Promise<void>[] = [];
  const workers = Array.from({ length: n }, (_, w) => {
    // dist/read/worker.js even when this module runs from src/ (tests): a worker thread needs JavaScript.
    const worker = new Worker(packageFileUrl("dist/read/worker.js"), {
      workerData: { files: paths, chunkPfns, first: w, step: n, window } satisfies ReaderData,
    });
    worker.on("message", (m: ReaderMessage) => {
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
  const take = async (index: number): Promise<ReaderMessage> => {
    for (;;) {
      const m = arrived.get(index);
      if (m) {
        arrived.delete(index);
        return m;
      }
      if (crashed) throw crashed;
      await new Promise<void>((resolve) => {
        wake = resolve;
      });
      wake = undefined;
    }
  };
  async function* batches(): AsyncGenerator<RunBatch> {
    for (const w of workers) w.ref();
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
        workers[index % n]!.postMessage("more");
      }
    } finally {
      // Each reader closes its own descriptors on "stop" (terminating a thread would leak them: they belong to
      // the process), after at most the reads it has credit for.
      for (const w of workers) w.postMessage("stop");
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
