import { memoryUses, bill as priceBill } from "@memdesc/core";
import { useId, useMemo, useState } from "react";
import { BarChart } from "../../components/BarChart.js";
import { Arithmetic, DesignTotals } from "../../components/BillTables.js";
import { RangeField } from "../../components/RangeField.js";
import { useAppState } from "../../lib/app-state.js";
import { int, mib } from "../../lib/format.js";
import { useColors } from "../../lib/uses.js";
import {
  defaultMix,
  folioOrders,
  folioOrderTitles,
  hugetlbOrders,
  type Mix,
  mixPicture,
  mixRegistry,
  presets,
  shareTitles,
  shareUses,
} from "./mix.js";

/** The uses a mix produces, in the order the chart stacks them. */
const stackUses = ["free", "file", "anon", "hugetlb", "slab", "pagetable", "kernel"] as const;

export default function BillView() {
  const { design } = useAppState();
  const [mix, setMix] = useState<Mix>(defaultMix);
  const [preset, setPreset] = useState("desktop");
  const presetId = useId();
  const slabId = useId();
  const hugetlbId = useId();
  const hvoId = useId();

  const registry = mixRegistry(design, mix.folioGrowth);
  const { picture, scaled } = useMemo(() => mixPicture(mix), [mix]);
  const bill = useMemo(() => priceBill(registry, picture), [registry, picture]);
  const small = registry.descriptorSize("folio", 0);
  const large = registry.descriptorSize("folio", 9);

  const update = (next: Partial<Mix>) => {
    setMix({ ...mix, ...next });
    setPreset("");
  };
  const shareSum = shareUses.reduce((s, u) => s + mix.shares[u], 0);
  const otherPages = picture.uses.kernel?.pages ?? 0;

  return (
    <div className="view bill-view">
      <h2>What a machine pays for per-page metadata</h2>
      <p className="lede">
        Describe a machine and its memory; the chart prices it under each design with core's{" "}
        <code>bill()</code> and the first-party descriptor set, as <code>memdesc bill</code> would. Move a
        control and the numbers follow.
      </p>
      <div className="bill-layout">
        <form
          className="card controls-panel"
          aria-label="Machine and workload"
          onSubmit={(e) => e.preventDefault()}
        >
          <div className="field">
            <label htmlFor={presetId}>Start from</label>
            <select
              id={presetId}
              value={preset}
              onChange={(e) => {
                const p = presets[e.target.value];
                if (p) {
                  setMix({ ...p, folioGrowth: mix.folioGrowth, hvo: mix.hvo });
                  setPreset(e.target.value);
                }
              }}
            >
              <option value="" disabled>
                (your own mix)
              </option>
              {Object.keys(presets).map((p) => (
                <option key={p} value={p}>
                  {p}
                </option>
              ))}
            </select>
          </div>
          <RangeField
            label="Machine RAM"
            unit="GiB"
            scale="log2"
            min={1}
            max={4096}
            value={mix.ramGiB}
            onChange={(ramGiB) => update({ ramGiB })}
          />
          <fieldset>
            <legend>Memory use (% of RAM)</legend>
            {shareUses.map((u) => (
              <RangeField
                key={u}
                label={shareTitles[u]}
                unit="%"
                min={0}
                max={100}
                value={mix.shares[u]}
                onChange={(v) => update({ shares: { ...mix.shares, [u]: v } })}
              />
            ))}
            <p className={`hint ${scaled < 1 ? "warn" : ""}`} role="status">
              {scaled < 1
                ? `These add up to ${shareSum} %: scaled down to 100 %.`
                : `The other ${100 - shareSum} % (${int(otherPages)} pages) is kernel memory with no descriptor.`}
            </p>
          </fieldset>
          <fieldset>
            <legend>Folio sizes (share of folio memory)</legend>
            {folioOrders.map((k) => (
              <RangeField
                key={k}
                label={folioOrderTitles[k]}
                unit="%"
                min={0}
                max={100}
                value={mix.folioOrders[k]}
                onChange={(v) => update({ folioOrders: { ...mix.folioOrders, [k]: v } })}
              />
            ))}
          </fieldset>
          <div className="field">
            <label htmlFor={slabId}>Slab order</label>
            <select
              id={slabId}
              value={mix.slabOrder}
              onChange={(e) => update({ slabOrder: Number(e.target.value) })}
            >
              {[0, 1, 2, 3].map((k) => (
                <option key={k} value={k}>
                  order {k} ({4 << k} KiB slabs)
                </option>
              ))}
            </select>
          </div>
          <div className="field">
            <label htmlFor={hugetlbId}>HugeTLB page size</label>
            <select
              id={hugetlbId}
              value={mix.hugetlbOrder}
              onChange={(e) => update({ hugetlbOrder: Number(e.target.value) as Mix["hugetlbOrder"] })}
            >
              {hugetlbOrders.map((k) => (
                <option key={k} value={k}>
                  {k === 9 ? "2 MiB" : "1 GiB"} (order {k})
                </option>
              ))}
            </select>
          </div>
          <div className="field checkbox">
            <input
              id={hvoId}
              type="checkbox"
              checked={mix.hvo}
              onChange={(e) => setMix({ ...mix, hvo: e.target.checked })}
              aria-describedby={`${hvoId}-hint`}
            />
            <label htmlFor={hvoId}>HVO on today (vm.hugetlb_optimize_vmemmap = 1)</label>
            <p className="hint" id={`${hvoId}-hint`}>
              Today's kernel frees all but the first page of each hugetlb page's struct pages: 7 of 8 pages
              per 2 MiB page, 4095 of 4096 per 1 GiB page. Only the hugetlb pool is affected.
            </p>
          </div>
          <RangeField
            label="struct folio grows by"
            unit="bytes"
            min={0}
            max={256}
            step={8}
            value={mix.folioGrowth}
            hint={
              small && large
                ? `memdesc-era folio: ${small.size} bytes small, ${large.size} large`
                : "no separate folio under this design"
            }
            onChange={(folioGrowth) => setMix({ ...mix, folioGrowth })}
          />
        </form>

        <section className="bill-results" aria-labelledby="bill-chart-heading">
          <h3 id="bill-chart-heading">Bytes of per-page metadata per design</h3>
          <BarChart
            testId="bill-chart"
            labels={bill.designs.map((d) => d.design)}
            stacked
            yTitle="MiB"
            format={(v) => `${v.toLocaleString("en-US", { maximumFractionDigits: 1 })}`}
            ariaLabel={`Stacked bar chart of MiB per design: ${bill.designs.map((d) => `${d.design} ${mib(d.total)} MiB`).join(", ")}`}
            series={stackUses
              .filter((u) => picture.uses[u])
              .map((u) => ({
                label: `${u} — ${memoryUses[u]}`,
                color: useColors[u],
                values: bill.designs.map((d) => (d.uses.find((x) => x.use === u)?.total ?? 0) / 1048576),
              }))}
          />
          <DesignTotals bill={bill} focus={design} testId="bill-totals" />
          {bill.warnings.length > 0 && (
            <ul className="warnings">
              {bill.warnings.map((w) => (
                <li key={w}>{w}</li>
              ))}
            </ul>
          )}
          <h3>The arithmetic</h3>
          <Arithmetic bill={bill} focus={design} />
        </section>
      </div>
    </div>
  );
}
