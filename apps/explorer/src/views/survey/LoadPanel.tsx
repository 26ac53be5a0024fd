import { useId, useState } from "react";
import { useDropZone } from "../../components/drop-zone.js";
import type { Loaded } from "./load.js";
import {
  bundledSamples,
  cancelLoad,
  clearSlot,
  loadFile,
  loadFiles,
  loadSample,
  type Slot,
  type SlotState,
} from "./store.js";

/** A message that names its file only once: the readers start theirs with `name: `, the heading names it too. */
export function withoutName(message: string, name: string): string {
  return message.startsWith(`${name}: `) ? message.slice(name.length + 2) : message;
}

/** `the sample pagecache`, or the file's name. */
export function loadedName(l: Loaded): string {
  return l.sample ? `the sample ${l.sample.name}` : l.name;
}

/**
 * Where a page map comes from: a shipped sample (picked by name), a file picked or dropped here. One for the
 * page map the Survey view shows (`a`), one for the page map it is compared with (`b`).
 */
export function LoadPanel({ slot, state }: { slot: Slot; state: SlotState }) {
  const { loaded, loading, error, cancelled } = state;
  const primary = slot === "a";
  const [sample, setSample] = useState(() => loaded?.sample?.name ?? bundledSamples[0]?.name ?? "");
  const drop = useDropZone((files) => {
    if (primary) void loadFiles(files);
    else if (files[0]) void loadFile(files[0], slot);
  });
  const fileId = useId();
  const sampleId = useId();
  const errorId = useId();
  const noteId = useId();
  const picked = bundledSamples.find((s) => s.name === sample);
  return (
    <section
      className={`card drop-zone${drop.dragging ? " dragging" : ""}`}
      aria-label={primary ? "Load a page map" : "Load a page map to compare with"}
      data-testid={primary ? "drop-zone" : "compare-drop-zone"}
      {...drop.handlers}
    >
      <div className="load-row">
        <div className="field sample-field">
          <label htmlFor={sampleId}>{primary ? "Sample" : "Compare with a sample"}</label>
          <div className="sample-row">
            <select
              id={sampleId}
              value={sample}
              aria-describedby={noteId}
              onChange={(e) => setSample(e.target.value)}
            >
              {bundledSamples.map((s) => (
                <option key={s.name} value={s.name}>
                  {s.name}: {s.title}
                </option>
              ))}
            </select>
            <button
              type="button"
              className={primary ? "primary" : undefined}
              onClick={() => void loadSample(sample, slot)}
              disabled={loading !== undefined}
            >
              {primary ? "Load the sample" : "Compare"}
            </button>
          </div>
          <p className="hint" id={noteId}>
            {picked?.note}
          </p>
        </div>
        <div className="field file-field">
          <label htmlFor={fileId}>
            {primary
              ? "Load a snapshot (.mdsnap) or survey JSON"
              : "…or compare with a snapshot or survey JSON"}
          </label>
          <input
            id={fileId}
            type="file"
            accept=".mdsnap,.json,application/json,application/octet-stream"
            aria-describedby={error ? errorId : undefined}
            onChange={(e) => {
              const f = e.target.files?.[0];
              if (f) void loadFile(f, slot);
              e.target.value = "";
            }}
          />
        </div>
        {!primary && loaded && (
          <button type="button" onClick={() => clearSlot(slot)}>
            Stop comparing
          </button>
        )}
        <p className="hint">
          {primary ? (
            <>
              …or drop one anywhere on the page (two to compare them). Make a snapshot with{" "}
              <code>sudo memdesc capture -o host.mdsnap</code>; survey JSON is what{" "}
              <code>memdesc survey --json</code> prints. Files stay in this page: nothing is uploaded.
            </>
          ) : (
            "Another machine, or the same machine before and after: the difference per use and per design."
          )}
        </p>
      </div>
      <p className="status" role="status" data-testid={primary ? "load-status" : "compare-status"}>
        {loading
          ? `Loading ${loading}…`
          : [
              cancelled && `Cancelled loading ${cancelled}.`,
              loaded &&
                `${primary ? "Showing" : "Comparing with"} ${loaded.sample ? `the sample ${loaded.sample.name} (${loaded.sample.title})` : loaded.name}${loaded.kind === "json" ? ` (${loaded.from}; no page map in a survey JSON)` : ""}.`,
            ]
              .filter(Boolean)
              .join(" ")}
        {loading && (
          <button
            type="button"
            className="cancel"
            data-testid={primary ? "cancel-load" : "cancel-compare"}
            onClick={() => cancelLoad(slot)}
          >
            Cancel
          </button>
        )}
      </p>
      {error && (
        <div
          className="error"
          role="alert"
          id={errorId}
          data-testid={primary ? "load-error" : "compare-error"}
          data-code={error.code}
        >
          <p>
            <strong>Cannot load {error.name}</strong>: {withoutName(error.message, error.name)}
          </p>
          {error.hint && <p className="hint">{error.hint}</p>}
        </div>
      )}
    </section>
  );
}
