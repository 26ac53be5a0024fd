import { useId, useState } from "react";

/**
 * A labelled slider with a number box beside it: the slider for moving, the box for typing an exact value.
 * Both are labelled (the box as "<label>, exact value"), and both keep the value within [min, max]; a typed value
 * outside it is clamped, and the field says so.
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
  const clampId = useId();
  const [clamped, setClamped] = useState<string | undefined>();
  const clamp = (v: number) => Math.min(props.max, Math.max(props.min, v));
  const log = props.scale === "log2";
  const unit = props.unit ? ` ${props.unit}` : "";
  const slider = log
    ? {
        min: Math.log2(props.min),
        max: Math.log2(props.max),
        step: 1,
        value: Math.round(Math.log2(props.value)),
      }
    : { min: props.min, max: props.max, step: props.step ?? 1, value: props.value };
  const described = [props.hint ? hintId : "", clamped ? clampId : ""].filter(Boolean).join(" ") || undefined;
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
          aria-valuetext={`${props.value}${unit}`}
          aria-describedby={described}
          onChange={(e) => {
            const v = Number(e.target.value);
            setClamped(undefined);
            props.onChange(clamp(log ? 2 ** v : v));
          }}
        />
        <input
          type="number"
          className="num-box"
          aria-label={`${props.label}, exact value`}
          aria-describedby={described}
          min={props.min}
          max={props.max}
          step={props.step ?? 1}
          value={props.value}
          onChange={(e) => {
            const v = Number(e.target.value);
            if (e.target.value === "" || !Number.isFinite(v)) return;
            const c = clamp(v);
            setClamped(
              c === v
                ? undefined
                : `${v}${unit} is ${v > props.max ? "more than the most" : "less than the least"} this takes: set to ${c}${unit}`,
            );
            props.onChange(c);
          }}
        />
        {props.unit && <span className="unit">{props.unit}</span>}
      </div>
      {clamped && (
        <p className="hint warn" id={clampId} role="status" data-testid="clamped">
          {clamped}
        </p>
      )}
      {props.hint && (
        <p className="hint" id={hintId}>
          {props.hint}
        </p>
      )}
    </div>
  );
}
