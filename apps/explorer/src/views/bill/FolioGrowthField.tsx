import { RangeField } from "../../components/RangeField.js";
import type { AnyRegistry } from "../../lib/registry.js";
import { ranges } from "./bill-params.js";

/**
 * "struct folio grows by", as both Bill views ask it: its hint gives the memdesc-era folio's sizes (small, and
 * order 9) in `registry`, the registry already grown by `value` bytes.
 */
export function FolioGrowthField(props: {
  registry: AnyRegistry;
  value: number;
  onChange: (bytes: number) => void;
}) {
  const small = props.registry.descriptorSize("folio", 0);
  const large = props.registry.descriptorSize("folio", 9);
  return (
    <RangeField
      label="struct folio grows by"
      unit="bytes"
      min={ranges.folioGrowth.min}
      max={ranges.folioGrowth.max}
      step={8}
      value={props.value}
      hint={
        small && large
          ? `memdesc-era folio: ${small.size} bytes small, ${large.size} large`
          : "no separate folio under this design"
      }
      onChange={props.onChange}
    />
  );
}
