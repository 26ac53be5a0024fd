import { useId } from "react";

/**
 * A labelled slider with a number box beside it: the slider for moving, the box for typing an exact value.
 * Both are labelled (the box as "<label>, exact value"), and both keep the value within [min, max].
 */
export function RangeField(props: {
  label: string;
  value: number;
  min: number;
  max: number;
  step?: number;
  unit?: string;
  hint?: string;
  /** `log2`: the slider moves in powers of two (the number box still takes any value). */
  scale?: "linear" | "log2";
  onChange(value: number): void;
}) {
  const id = useId();
  const hintId = useId();
  const clamp = (v: number) => Math.min(props.max, Math.max(props.min, v));
  const log = props.scale === "log2";
  const slider = log
    ? {
        min: Math.log2(props.min),
        max: Math.log2(props.max),
        step: 1,
        value: Math.round(Math.log2(props.value)),
      }
    : { min: props.min, max: props.max, step: props.step ?? 1, value: props.value };
  return (
    <div className="field range-field">
      <label htmlFor={id}>{props.label}</label>
      <div className="range-row">
        <input
          id={id}
          type="range"
          min={slider.min}
          max={slider.max}
          step={slider.step}
          value={slider.value}
          aria-valuetext={`${props.value}${props.unit ? ` ${props.unit}` : ""}`}
          aria-describedby={props.hint ? hintId : undefined}
          onChange={(e) => {
            const v = Number(e.target.value);
            props.onChange(clamp(log ? 2 ** v : v));
          }}
        />
        <input
          type="number"
          className="num-box"
          aria-label={`${props.label}, exact value`}
          min={props.min}
          max={props.max}
          step={props.step ?? 1}
          value={props.value}
          onChange={(e) => {
            const v = Number(e.target.value);
            if (e.target.value !== "" && Number.isFinite(v)) props.onChange(clamp(v));
          }}
        />
        {props.unit && <span className="unit">{props.unit}</span>}
      </div>
      {props.hint && (
        <p className="hint" id={hintId}>
          {props.hint}
        </p>
      )}
    </div>
  );
}
