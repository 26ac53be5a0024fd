import { useId } from "react";
import { loadedName } from "../survey/LoadPanel.js";
import { bundledSamples, useSurveyState } from "../survey/store.js";
import { presets } from "./mix.js";

/**
 * What the Bill starts from: a preset mix, the page map loaded in the Survey view, or one of the shipped
 * samples. `value` is the preset's name, `survey`, `sample:NAME`, or "" for a mix of one's own.
 */
export function StartFrom(props: {
  value: string;
  onPreset(name: string): void;
  onSurvey(sample: string | undefined): void;
}) {
  const id = useId();
  const { a } = useSurveyState();
  const loaded = a.loaded;
  return (
    <div className="field">
      <label htmlFor={id}>Start from</label>
      <select
        id={id}
        value={props.value}
        onChange={(e) => {
          const v = e.target.value;
          if (v === "survey") props.onSurvey(undefined);
          else if (v.startsWith("sample:")) props.onSurvey(v.slice("sample:".length));
          else if (presets[v]) props.onPreset(v);
        }}
      >
        <option value="" disabled>
          (your own mix)
        </option>
        <optgroup label="A mix">
          {Object.keys(presets).map((p) => (
            <option key={p} value={p}>
              {p}
            </option>
          ))}
        </optgroup>
        <optgroup label="A surveyed machine">
          {loaded && !loaded.sample && (
            <option value="survey">the survey loaded: {loadedName(loaded)}</option>
          )}
          {bundledSamples.map((s) => (
            <option key={s.name} value={`sample:${s.name}`}>
              sample {s.name}: {s.title}
            </option>
          ))}
        </optgroup>
      </select>
    </div>
  );
}
