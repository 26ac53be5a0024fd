import sampleUrl from "memdesc-sample.mdsnap?url";
import { useSyncExternalStore } from "react";
import { type Loaded, loadBytes } from "./load.js";
import { LoadError } from "./worker-client.js";

/**
 * What the Survey view has loaded, kept outside the view so switching to another view and back keeps it (a
 * snapshot of a 25 GiB machine is not decoded twice).
 */
export interface SurveyState {
  readonly loaded: Loaded | undefined;
  /** A load in progress: the file's name. */
  readonly loading: string | undefined;
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

async function load(name: string, read: () => Promise<ArrayBuffer>, sample = false): Promise<void> {
  set({ loading: name, error: undefined });
  performance.mark("survey:load-start");
  try {
    const loaded = await loadBytes(await read(), name, sample);
    performance.mark("survey:loaded");
    performance.measure("survey:load", "survey:load-start", "survey:loaded");
    set({ loaded, loading: undefined });
  } catch (err) {
    const e =
      err instanceof LoadError
        ? { code: err.code, message: err.message, hint: err.hint }
        : { code: "ERROR", message: `${name}: ${(err as Error).message}`, hint: undefined };
    set({ loading: undefined, error: { name, ...e } });
  }
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

/** Loads a file the user picked or dropped. */
export function loadFile(file: File): Promise<void> {
  return load(file.name, () => file.arrayBuffer());
}

/** For tests: back to nothing loaded. */
export function resetSurveyState(): void {
  set({ loaded: undefined, loading: undefined, error: undefined });
}
