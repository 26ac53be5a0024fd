import sampleUrl from "memdesc-sample.mdsnap?url";
import { useSyncExternalStore } from "react";
import { checkFileSize, type Loaded, loadBytes } from "./load.js";
import { cancelled, LoadError } from "./worker-client.js";

/**
 * What the Survey view has loaded, kept outside the view so switching to another view and back keeps it (a
 * snapshot of a 25 GiB machine is not decoded twice).
 */
export interface SurveyState {
  readonly loaded: Loaded | undefined;
  /** A load in progress: the file's name. */
  readonly loading: string | undefined;
  /** The last load, cancelled: the file's name (what was shown before stays on show). */
  readonly cancelled?: string | undefined;
  /** The last load's error; the previously loaded data stays on show. */
  readonly error:
    | {
        readonly name: string;
        readonly code: string;
        readonly message: string;
        readonly hint?: string | undefined;
      }
    | undefined;
}

let state: SurveyState = { loaded: undefined, loading: undefined, error: undefined };
const listeners = new Set<() => void>();

function set(next: Partial<SurveyState>): void {
  state = { ...state, ...next };
  for (const l of listeners) l();
}

export function useSurveyState(): SurveyState {
  return useSyncExternalStore(
    (l) => {
      listeners.add(l);
      return () => listeners.delete(l);
    },
    () => state,
  );
}

/** The shipped sample's file name, as the CLI names it. */
export const sampleName = "sample.mdsnap";

/** The load in progress, to cancel it. */
let current: AbortController | undefined;

async function load(name: string, read: () => Promise<ArrayBuffer>, sample = false): Promise<void> {
  // A new load replaces one still running.
  current?.abort();
  const controller = new AbortController();
  current = controller;
  const { signal } = controller;
  set({ loading: name, error: undefined, cancelled: undefined });
  performance.mark("survey:load-start");
  try {
    const bytes = await Promise.race([
      read(),
      new Promise<never>((_, reject) => signal.addEventListener("abort", () => reject(cancelled(name)))),
    ]);
    const loaded = await loadBytes(bytes, name, sample, signal);
    if (signal.aborted) return;
    performance.mark("survey:loaded");
    performance.measure("survey:load", "survey:load-start", "survey:loaded");
    set({ loaded, loading: undefined });
  } catch (err) {
    // A cancelled load has already said so; one replaced by a newer load says nothing.
    if (signal.aborted) return;
    const e =
      err instanceof LoadError
        ? { code: err.code, message: err.message, hint: err.hint }
        : { code: "ERROR", message: `${name}: ${(err as Error).message}`, hint: undefined };
    set({ loading: undefined, error: { name, ...e } });
  } finally {
    if (current === controller) current = undefined;
  }
}

/** Cancels the load in progress (a long snapshot decode stops at once); what was shown before stays. */
export function cancelLoad(): void {
  const name = state.loading;
  if (!current || name === undefined) return;
  current.abort();
  current = undefined;
  set({ loading: undefined, cancelled: name });
}

/** Loads the sample snapshot bundled with the app (an asset of the build: no network needed). */
export function loadSample(): Promise<void> {
  return load(
    sampleName,
    async () => {
      const res = await fetch(sampleUrl);
      if (!res.ok)
        throw new LoadError(
          "FETCH",
          `${sampleName}: the bundled sample could not be read (HTTP ${res.status})`,
        );
      return res.arrayBuffer();
    },
    true,
  );
}

/** Loads a file the user picked or dropped; one larger than any input the page takes is refused unread. */
export function loadFile(file: File): Promise<void> {
  try {
    checkFileSize(file.size, file.name);
  } catch (err) {
    current?.abort();
    const e = err as LoadError;
    set({ loading: undefined, error: { name: file.name, code: e.code, message: e.message, hint: e.hint } });
    return Promise.resolve();
  }
  return load(file.name, () => file.arrayBuffer());
}

/** For tests: back to nothing loaded. */
export function resetSurveyState(): void {
  current?.abort();
  current = undefined;
  set({ loaded: undefined, loading: undefined, error: undefined, cancelled: undefined });
}
