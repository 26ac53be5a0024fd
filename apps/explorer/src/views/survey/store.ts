import { defaultSampleName, type SampleInfo, sampleInfo, samples } from "@memdesc/kpageflags/browser";
import { createStore } from "../../lib/store.js";
import { checkFileSize, type Loaded, loadBytes } from "./load.js";
import { cancelled, LoadError, type LoadFailure, loadFailure } from "./worker-client.js";

/*
 * The samples are bundled as assets of the build (no network needed): the snapshots in kpageflags' fixtures
 * (keyed by their path under `fixtures/`, however Vite spells the rest), matched to kpageflags' catalogue by
 * file name, so the catalogue stays the one list of samples.
 */
const sampleUrls: Readonly<Record<string, string>> = Object.fromEntries(
  Object.entries(
    import.meta.glob<string>("memdesc-samples/{sample.mdsnap,samples/*.mdsnap}", {
      query: "?url",
      import: "default",
      eager: true,
    }),
  ).map(([path, url]) => [path.replace(/^.*\/fixtures\//, ""), url]),
);

/** The samples the app can load: kpageflags' catalogue, each with its bundled file. */
export const bundledSamples: readonly SampleInfo[] = samples.filter((s) => sampleUrls[s.file] !== undefined);

/** One loaded page map: what the Survey view shows, or what it is compared with. */
export interface SlotState {
  readonly loaded: Loaded | undefined;
  /** A load in progress: the file's name. */
  readonly loading: string | undefined;
  /** The last load, cancelled: the file's name (what was shown before stays on show). */
  readonly cancelled?: string | undefined;
  /** The last load's error; the previously loaded data stays on show. */
  readonly error: LoadFailure | undefined;
}

/** `a` is the page map the Survey view shows; `b`, when loaded, is compared with it side by side. */
export type Slot = "a" | "b";

export type SurveyState = Readonly<Record<Slot, SlotState>>;

const empty: SlotState = { loaded: undefined, loading: undefined, error: undefined };

/**
 * What the Survey view has loaded, kept outside the view so switching to another view and back keeps it (a
 * snapshot of a 25 GiB machine is not decoded twice), and so the Bill view can start from it.
 */
export const surveyStore = createStore<{ a: SlotState; b: SlotState }>({ a: empty, b: empty });

export const useSurveyState = (): SurveyState => surveyStore.use();

const setSlot = (slot: Slot, next: Partial<SlotState>) =>
  surveyStore.set({ [slot]: { ...surveyStore.get()[slot], ...next } });

/** Each slot's load in progress, to cancel it. */
const current: Record<Slot, AbortController | undefined> = { a: undefined, b: undefined };

async function load(
  slot: Slot,
  name: string,
  read: () => Promise<ArrayBuffer>,
  sample?: SampleInfo,
): Promise<void> {
  // A new load replaces one still running in the same slot.
  current[slot]?.abort();
  const controller = new AbortController();
  current[slot] = controller;
  const { signal } = controller;
  setSlot(slot, { loading: name, error: undefined, cancelled: undefined });
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
    setSlot(slot, { loaded, loading: undefined });
  } catch (err) {
    // A cancelled load has already said so; one replaced by a newer load says nothing.
    if (signal.aborted) return;
    setSlot(slot, { loading: undefined, error: loadFailure(err, name) });
  } finally {
    if (current[slot] === controller) current[slot] = undefined;
  }
}

/** Cancels a slot's load in progress (a long snapshot decode stops at once); what was shown before stays. */
export function cancelLoad(slot: Slot = "a"): void {
  const name = surveyStore.get()[slot].loading;
  const controller = current[slot];
  if (!controller || name === undefined) return;
  controller.abort();
  current[slot] = undefined;
  setSlot(slot, { loading: undefined, cancelled: name });
}

/** Loads a sample bundled with the app by name (the default sample without one). */
export function loadSample(name: string = defaultSampleName, slot: Slot = "a"): Promise<void> {
  const info = sampleInfo(name);
  const url = info && sampleUrls[info.file];
  if (!info || !url) {
    setSlot(slot, {
      error: {
        name,
        code: "UNKNOWN_SAMPLE",
        message: `there is no sample named "${name}"`,
        hint: `the samples: ${bundledSamples.map((s) => s.name).join(", ")}`,
      },
    });
    return Promise.resolve();
  }
  return load(
    slot,
    info.file,
    async () => {
      const res = await fetch(url);
      if (!res.ok) throw new LoadError("FETCH", `the bundled sample could not be read (HTTP ${res.status})`);
      return res.arrayBuffer();
    },
    info,
  );
}

/** Loads a file the user picked or dropped; one larger than any input the page takes is refused unread. */
export function loadFile(file: File, slot: Slot = "a"): Promise<void> {
  try {
    checkFileSize(file.size, file.name);
  } catch (err) {
    current[slot]?.abort();
    current[slot] = undefined;
    const e = err as LoadError;
    setSlot(slot, {
      loading: undefined,
      error: { name: file.name, code: e.code, message: e.message, hint: e.hint },
    });
    return Promise.resolve();
  }
  return load(slot, file.name, () => file.arrayBuffer());
}

/** Files dropped on the page: the first is shown, a second is compared with it. */
export async function loadFiles(files: readonly File[]): Promise<void> {
  await Promise.all(files.slice(0, 2).map((f, i) => loadFile(f, i === 0 ? "a" : "b")));
}

/** Stops comparing: the second page map goes (with its load, if one is running). */
export function clearSlot(slot: Slot): void {
  current[slot]?.abort();
  current[slot] = undefined;
  setSlot(slot, empty);
}

/** For tests: back to nothing loaded. */
export function resetSurveyState(): void {
  for (const slot of ["a", "b"] as const) {
    current[slot]?.abort();
    current[slot] = undefined;
  }
  surveyStore.set({ a: empty, b: empty });
}
