import type { Analysis } from "../../workers/analyze.js";

/** An error from loading a file, with what to do about it: shown under the file picker. */
export class LoadError extends Error {
  readonly code: string;
  readonly hint: string | undefined;
  constructor(code: string, message: string, hint?: string) {
    super(message);
    this.code = code;
    this.hint = hint;
  }
}

/** A failed load as a view shows it: the file, and the error's code, message and hint. */
export interface LoadFailure {
  readonly name: string;
  readonly code: string;
  readonly message: string;
  readonly hint?: string | undefined;
}

/** What a load of `name` that threw `err` shows: a LoadError as it is, anything else as one line naming the file. */
export function loadFailure(err: unknown, name: string): LoadFailure {
  return err instanceof LoadError
    ? { name, code: err.code, message: err.message, hint: err.hint }
    : { name, code: "ERROR", message: `${name}: ${(err as Error).message}`, hint: undefined };
}

type Reply =
  | { id: number; ok: true; analysis: Analysis }
  | { id: number; ok: false; error: { code: string; message: string; hint?: string } };

let worker: Worker | undefined;
let nextId = 1;
const pending = new Map<number, { resolve(a: Analysis): void; reject(e: Error): void }>();

function getWorker(): Worker {
  if (!worker) {
    worker = new Worker(new URL("../../workers/pagemap.worker.ts", import.meta.url), { type: "module" });
    worker.onmessage = (e: MessageEvent<Reply>) => {
      const p = pending.get(e.data.id);
      if (!p) return;
      pending.delete(e.data.id);
      if (e.data.ok) p.resolve(e.data.analysis);
      else p.reject(new LoadError(e.data.error.code, e.data.error.message, e.data.error.hint));
    };
    worker.onerror = (e) => {
      for (const p of pending.values())
        p.reject(new LoadError("WORKER", `the page-map worker failed: ${e.message}`));
      pending.clear();
    };
  }
  return worker;
}

/** The error a cancelled load ends with. */
export const cancelled = (name: string) => new LoadError("CANCELLED", `${name}: loading was cancelled`);

/**
 * Stops the worker where it is: a decode is one long synchronous call, so the only way to stop it is to end
 * the thread. Every load in it ends as cancelled; the next load starts a new worker.
 */
function stopWorker(): void {
  worker?.terminate();
  worker = undefined;
  for (const p of pending.values()) p.reject(new LoadError("CANCELLED", "loading was cancelled"));
  pending.clear();
}

/**
 * Decodes, surveys and maps a snapshot in a Web Worker (the bytes are transferred, not copied). Aborting
 * `signal` stops the worker and rejects with a CANCELLED LoadError. Where there are no workers (a test's DOM),
 * the same code runs on this thread, and can be cancelled only before it starts.
 */
export async function analyzeInWorker(
  bytes: ArrayBuffer,
  name: string,
  signal?: AbortSignal,
): Promise<Analysis> {
  if (signal?.aborted) throw cancelled(name);
  if (typeof Worker === "undefined") {
    const { analyzeSnapshot } = await import("../../workers/analyze.js");
    if (signal?.aborted) throw cancelled(name);
    try {
      return await analyzeSnapshot(new Uint8Array(bytes), name);
    } catch (err) {
      const e = err as { code?: string; message: string; hint?: string };
      throw new LoadError(e.code ?? "ERROR", e.message, e.hint);
    }
  }
  const id = nextId++;
  return new Promise<Analysis>((resolve, reject) => {
    const onAbort = () => {
      pending.delete(id);
      reject(cancelled(name));
      stopWorker();
    };
    signal?.addEventListener("abort", onAbort, { once: true });
    pending.set(id, {
      resolve: (a) => {
        signal?.removeEventListener("abort", onAbort);
        resolve(a);
      },
      reject: (e) => {
        signal?.removeEventListener("abort", onAbort);
        reject(e);
      },
    });
    getWorker().postMessage({ id, bytes, name }, [bytes]);
  });
}
