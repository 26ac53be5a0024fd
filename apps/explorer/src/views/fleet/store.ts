import { snapshotMagic } from "@memdesc/kpageflags/browser";
import { createStore } from "../../lib/store.js";
import { type LoadFailure, loadFailure } from "../survey/worker-client.js";
import { checkFleetSize, type Fleet, loadFleetBytes } from "./load.js";

/*
 * What the Fleet view has loaded, kept outside the view so a trip to the Survey view and back keeps it: the
 * fleet file, and the snapshots dropped with it (kept unread, by file name, until a host is opened).
 */
export interface FleetState {
  readonly fleet: Fleet | undefined;
  readonly loading: string | undefined;
  /** Snapshots at hand, by file name. */
  readonly snapshots: ReadonlyMap<string, File>;
  readonly error: LoadFailure | undefined;
}

const fleetStore = createStore<FleetState>({
  fleet: undefined,
  loading: undefined,
  snapshots: new Map(),
  error: undefined,
});
const set = fleetStore.set;

export const useFleetState = (): FleetState => fleetStore.use();

/** A snapshot, by its content's first bytes (as the Survey view tells one). */
const isSnapshot = async (f: File) =>
  new TextDecoder().decode(await f.slice(0, snapshotMagic.length).arrayBuffer()) === snapshotMagic;

let generation = 0;

/**
 * Takes the files the user dropped or picked: snapshots are kept for the Survey view; one fleet file (Parquet or
 * JSON) is read. More than one fleet file at once is refused, naming them.
 */
export async function addFiles(files: readonly File[]): Promise<void> {
  const snapshots = new Map(fleetStore.get().snapshots);
  const others: File[] = [];
  for (const f of files) {
    if (await isSnapshot(f)) snapshots.set(f.name, f);
    else others.push(f);
  }
  set({ snapshots, error: undefined });
  if (others.length === 0) return;
  if (others.length > 1) {
    set({
      error: {
        name: others.map((f) => f.name).join(", "),
        code: "TWO_FLEETS",
        message: `${others.length} files that are not snapshots: ${others.map((f) => f.name).join(", ")}; one fleet file at a time`,
        hint: "drop one fleet file (memdesc fleet --format parquet|json), with any number of snapshots",
      },
    });
    return;
  }
  const file = others[0]!;
  const mine = ++generation;
  set({ loading: file.name });
  try {
    checkFleetSize(file.size, file.name);
    const fleet = await loadFleetBytes(await file.arrayBuffer(), file.name);
    if (mine !== generation) return;
    set({ fleet, loading: undefined });
  } catch (err) {
    if (mine !== generation) return;
    set({ loading: undefined, error: loadFailure(err, file.name) });
  }
}

/** For tests: back to nothing loaded. */
export function resetFleetState(): void {
  generation++;
  set({ fleet: undefined, loading: undefined, snapshots: new Map(), error: undefined });
}
