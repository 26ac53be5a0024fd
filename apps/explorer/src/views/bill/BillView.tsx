import { bill as priceBill } from "@memdesc/core";
import { useId, useMemo } from "react";
import { BarChart } from "../../components/BarChart.js";
import { Arithmetic, DesignTotals } from "../../components/BillTables.js";
import { RangeField } from "../../components/RangeField.js";
import { useAppState } from "../../lib/app-state.js";
import { int, mib } from "../../lib/format.js";
import { descriptionOf } from "../../lib/registry.js";
import { useColors } from "../../lib/uses.js";
import { type BillParams, billParamKeys, billParams, parseBillParams, ranges } from "./bill-params.js";
import { ExportPicture } from "./ExportPicture.js";
import { FolioGrowthField } from "./FolioGrowthField.js";
import {
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
import { StartFrom } from "./StartFrom.js";
import { SurveyBill } from "./SurveyBill.js";

/** The uses a mix produces, in the order the chart stacks them. */
const stackUses = ["free", "file", "anon", "hugetlb", "slab", "pagetable", "kernel"] as const;

/** The Bill view's state, read from and written to the URL. */
export function useBillParams(): [BillParams, (next: BillParams) => void] {
  const { params, setParams } = useAppState();
  const state = useMemo(() => parseBillParams(params), [params]);
  const write = (next: BillParams) => {
    const p = billParams(next);
    setParams(Object.fromEntries(billParamKeys.map((k) => [k, p[k] ?? ""])));
  };
  return [state, write];
}

export default function BillView() {
  const [state, write] = useBillParams();
  return (
    <div className="view bill-view">
      <h2>What a machine pays for per-page metadata</h2>
      {state.source.kind === "survey" ? (
        <SurveyBill state={state} write={write} />
      ) : (
        <MixBill state={state} write={write} />
      )}
    </div>
  );
}

function MixBill({ state, write }: { state: BillParams; write: (next: BillParams) => void }) {
  const { design } = useAppState();
  const { mix, preset } = state;
  const slabId = useId();
  const hugetlbId = useId();
  const hvoId = useId();

  const registry = mixRegistry(design, mix.folioGrowth);
  const { picture, scaled } = useMemo(() => mixPicture(mix), [mix]);
  const bill = useMemo(() => priceBill(registry, picture), [registry, picture]);

  const update = (next: Partial<Mix>) => write({ ...state, mix: { ...mix, ...next }, preset: "" });
  const shareSum = shareUses.reduce((s, u) => s + mix.shares[u], 0);
  const folioSum = folioOrders.reduce((s: number, k) => s + mix.folioOrders[k], 0);
  const otherPages = picture.uses.kernel?.pages ?? 0;

  return (
    <>
      <p className="lede">
        Describe a machine and its memory, or start from a surveyed one; the chart prices it under each design
        with core's <code>bill()</code> and the first-party descriptor set, as <code>memdesc bill</code>{" "}
        would. Move a control and the numbers follow.
      </p>
      <div className="bill-layout">
        <form
          className="card controls-panel"
          aria-label="Machine and workload"
          onSubmit={(e) => e.preventDefault()}
        >
          <StartFrom
            value={preset}
            onPreset={(name) =>
              write({
                ...state,
                mix: { ...presets[name]!, folioGrowth: mix.folioGrowth, hvo: mix.hvo },
                preset: name,
              })
            }
            onSurvey={(sample) =>
              write({ ...state, source: { kind: "survey", ...(sample ? { sample } : {}) } })
            }
          />
          <RangeField
            label="Machine RAM"
            unit="GiB"
            scale="log2"
            min={ranges.ramGiB.min}
            max={ranges.ramGiB.max}
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
                min={ranges.share.min}
                max={ranges.share.max}
                value={mix.shares[u]}
                onChange={(v) => update({ shares: { ...mix.shares, [u]: v } })}
              />
            ))}
            <p className={`hint ${scaled < 1 ? "warn" : ""}`} role="status" data-testid="share-sum">
              {scaled < 1
                ? `These add up to ${shareSum} %: scaled down to 100 %.`
                : `The other ${100 - shareSum} % (${int(otherPages)} pages) is kernel memory with no descriptor.`}
            </p>
          </fieldset>
          <fieldset>
            <legend>Folio sizes (% of folio memory)</legend>
            {folioOrders.map((k) => (
              <RangeField
                key={k}
                label={folioOrderTitles[k]}
                unit="%"
                min={ranges.share.min}
                max={ranges.share.max}
                value={mix.folioOrders[k]}
                onChange={(v) => update({ folioOrders: { ...mix.folioOrders, [k]: v } })}
              />
            ))}
            <p className={`hint ${folioSum !== 100 ? "warn" : ""}`} role="status" data-testid="folio-sum">
              {folioSum === 100
                ? "These add up to 100 %."
                : folioSum === 0
                  ? "These add up to 0 %: all folio memory is taken as order-0 folios."
                  : `These add up to ${folioSum} %: each is taken as its share of ${folioSum} (scaled to 100 %).`}
            </p>
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
              onChange={(e) => write({ ...state, mix: { ...mix, hvo: e.target.checked } })}
              aria-describedby={`${hvoId}-hint`}
            />
            <label htmlFor={hvoId}>HVO on today (vm.hugetlb_optimize_vmemmap = 1)</label>
            <p className="hint" id={`${hvoId}-hint`}>
              Today's kernel frees all but the first page of each hugetlb page's struct pages: 7 of 8 pages
              per 2 MiB page, 4095 of 4096 per 1 GiB page. Only the hugetlb pool is affected.
            </p>
          </div>
          <FolioGrowthField
            registry={registry}
            value={mix.folioGrowth}
            onChange={(folioGrowth) => write({ ...state, mix: { ...mix, folioGrowth } })}
          />
        </form>

        <section className="bill-results" aria-labelledby="bill-chart-heading">
          <h3 id="bill-chart-heading">Bytes of per-page metadata per design</h3>
          <BarChart
            testId="bill-chart"
            labels={bill.designs.map((d) => d.design)}
            stacked
            yTitle="MiB"
            unit="MiB"
            format={(v) => `${v.toLocaleString("en-US", { maximumFractionDigits: 1 })}`}
            ariaLabel={`Stacked bar chart of MiB per design: ${bill.designs.map((d) => `${d.design} ${mib(d.total)} MiB`).join(", ")}`}
            series={stackUses
              .filter((u) => picture.uses[u])
              .map((u) => ({
                label: u,
                title: descriptionOf(registry, u),
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
          <ExportPicture
            picture={picture}
            name={preset || "mix"}
            folioGrowth={mix.folioGrowth}
            design={design}
          />
          <h3>The arithmetic</h3>
          <Arithmetic bill={bill} focus={design} />
        </section>
      </div>
    </>
  );
}
