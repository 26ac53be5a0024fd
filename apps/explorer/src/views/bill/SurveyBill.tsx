import { type Bill, type PictureInput, bill as priceBill } from "@memdesc/core";
import { surveyPicture } from "@memdesc/kpageflags/browser";
import { useEffect, useId, useMemo } from "react";
import { BarChart } from "../../components/BarChart.js";
import { Arithmetic } from "../../components/BillTables.js";
import { RangeField } from "../../components/RangeField.js";
import { useAppState } from "../../lib/app-state.js";
import { int, mib, percent, size } from "../../lib/format.js";
import { firstPartyRegistry } from "../../lib/registry.js";
import { signed } from "../survey/Comparison.js";
import { loadedName } from "../survey/LoadPanel.js";
import { loadSample, useSurveyState } from "../survey/store.js";
import { type BillParams, defaultWhatIf, ranges } from "./bill-params.js";
import { ExportPicture } from "./ExportPicture.js";
import { FolioGrowthField } from "./FolioGrowthField.js";
import { mixRegistry, presets } from "./mix.js";
import { StartFrom } from "./StartFrom.js";
import { describeWhatIf, folioUses, whatIfPicture } from "./whatif.js";

const whatIfColor = "#2f7ed8";
const measuredColor = "#8a8a8a";

/**
 * The Bill started from a surveyed machine: its pages per use and folio orders as measured, and what-ifs
 * (larger folios, a larger struct folio, another design with the switch above) shown as differences from what
 * was measured.
 */
export function SurveyBill({ state, write }: { state: BillParams; write: (next: BillParams) => void }) {
  const { design } = useAppState();
  const { a } = useSurveyState();
  const wanted = state.source.kind === "survey" ? state.source.sample : undefined;
  const loaded = a.loaded;
  const ready = loaded && (wanted === undefined || loaded.sample?.name === wanted) ? loaded : undefined;

  // A link that names a sample loads it (into the Survey view too: the Bill and the survey agree).
  useEffect(() => {
    if (wanted && !a.loading && loaded?.sample?.name !== wanted && a.error?.name !== wanted)
      void loadSample(wanted);
  }, [wanted, a.loading, loaded, a.error]);

  const startValue = wanted ? `sample:${wanted}` : "survey";
  const start = (
    <StartFrom
      value={ready || wanted ? startValue : ""}
      onPreset={(name) =>
        write({
          ...state,
          source: { kind: "mix" },
          mix: { ...presets[name]!, folioGrowth: 0 },
          preset: name,
          whatIf: defaultWhatIf,
        })
      }
      onSurvey={(sample) => write({ ...state, source: { kind: "survey", ...(sample ? { sample } : {}) } })}
    />
  );
  if (!ready)
    return (
      <div className="bill-layout">
        <form
          className="card controls-panel"
          aria-label="Machine and workload"
          onSubmit={(e) => e.preventDefault()}
        >
          {start}
        </form>
        <p className="callout" data-testid="bill-no-survey">
          {a.loading
            ? `Loading ${a.loading}…`
            : a.error
              ? `Cannot load ${a.error.name}: ${a.error.message}`
              : "No page map is loaded: load a snapshot in the Survey view, or start from a sample."}
        </p>
      </div>
    );
  return (
    <Measured
      start={start}
      name={loadedName(ready)}
      fileName={ready.sample?.name ?? ready.name}
      survey={ready.survey}
      state={state}
      write={write}
      design={design}
    />
  );
}

function Measured(props: {
  start: React.ReactNode;
  name: string;
  /** What the exported files are named after: the sample's name or the file's. */
  fileName: string;
  survey: Parameters<typeof surveyPicture>[0];
  state: BillParams;
  write: (next: BillParams) => void;
  design: string;
}) {
  const { state, write, design } = props;
  const w = state.whatIf;
  const measured = useMemo(() => surveyPicture(props.survey), [props.survey]);
  const picture = useMemo(() => whatIfPicture(measured, w), [measured, w]);
  const base = firstPartyRegistry(design);
  const grown = mixRegistry(design, w.folioGrowth);
  const was = useMemo(() => priceBill(base, measured), [base, measured]);
  const now = useMemo(() => priceBill(grown, picture), [grown, picture]);
  const setWhatIf = (next: Partial<typeof w>) => write({ ...state, whatIf: { ...w, ...next } });
  const what = describeWhatIf(w, measured.hvo);
  const measuredHvo = measured.hvo;
  const hvoId = useId();
  return (
    <>
      <p className="lede">
        Starting from <strong>{props.name}</strong>: {size(was.ramBytes)} of RAM as measured, its pages per
        use and its folios by order. {what ? `The what-if (${what}) shows` : "Each what-if shows"} as the
        difference from what was measured; for another design, use the switch above (every design is in the
        table).
      </p>
      <div className="bill-layout">
        <form className="card controls-panel" aria-label="What if" onSubmit={(e) => e.preventDefault()}>
          {props.start}
          <RangeField
            label="Smallest folio order"
            unit="order"
            min={ranges.minFolioOrder.min}
            max={ranges.minFolioOrder.max}
            value={w.minFolioOrder}
            hint={`page cache and anonymous folios smaller than this are regrouped into folios of order ${w.minFolioOrder} (${size(4096 * 2 ** w.minFolioOrder)}); the pages stay`}
            onChange={(minFolioOrder) => setWhatIf({ minFolioOrder })}
          />
          <FolioGrowthField
            registry={grown}
            value={w.folioGrowth}
            onChange={(folioGrowth) => setWhatIf({ folioGrowth })}
          />
          <div className="field checkbox">
            <input
              id={hvoId}
              type="checkbox"
              checked={w.hvo ?? measuredHvo ?? false}
              onChange={(e) =>
                setWhatIf({ hvo: e.target.checked === (measuredHvo ?? false) ? undefined : e.target.checked })
              }
              aria-describedby={`${hvoId}-hint`}
            />
            <label htmlFor={hvoId}>HVO on today (vm.hugetlb_optimize_vmemmap = 1)</label>
            <p className="hint" id={`${hvoId}-hint`}>
              {measuredHvo === undefined
                ? "The survey did not read it (a snapshot without it): taken as off."
                : `As measured: ${measuredHvo ? "on" : "off"}.`}{" "}
              With HVO, today's kernel keeps one page of each hugetlb page's struct pages.
            </p>
          </div>
          <FolioOrders measured={measured} whatIf={picture} />
        </form>
        <section className="bill-results" aria-labelledby="whatif-heading">
          <h3 id="whatif-heading">{what ? `What if: ${what}` : "As measured"}</h3>
          <BarChart
            testId="bill-chart"
            labels={was.designs.map((d) => d.design)}
            yTitle="MiB"
            unit="MiB"
            format={(v) => v.toLocaleString("en-US", { maximumFractionDigits: 1 })}
            ariaLabel={`Bar chart of MiB per design, as measured and with the what-if: ${was.designs
              .map((d, i) => `${d.design} ${mib(d.total)} → ${mib(now.designs[i]!.total)} MiB`)
              .join(", ")}`}
            series={[
              {
                label: "as measured",
                color: measuredColor,
                values: was.designs.map((d) => d.total / 1048576),
              },
              {
                label: what ? `what if: ${what}` : "what if (no change yet)",
                color: whatIfColor,
                values: now.designs.map((d) => d.total / 1048576),
              },
            ]}
          />
          <WhatIfTotals was={was} now={now} focus={design} />
          <WhatIfUses was={was} now={now} focus={design} />
          <ExportPicture
            picture={picture}
            name={props.fileName}
            folioGrowth={w.folioGrowth}
            design={design}
          />
          <h3>The arithmetic of the what-if</h3>
          <Arithmetic bill={now} focus={design} />
        </section>
      </div>
    </>
  );
}

/** The folios of the page cache and anonymous memory by order, as measured and in the what-if. */
function FolioOrders({ measured, whatIf }: { measured: PictureInput; whatIf: PictureInput }) {
  const orders = new Set<number>();
  for (const p of [measured, whatIf])
    for (const u of folioUses) for (const k of Object.keys(p.uses[u]?.orders ?? {})) orders.add(Number(k));
  const sorted = [...orders].sort((x, y) => x - y);
  const n = (p: PictureInput, u: string, k: number) => p.uses[u as "file"]?.orders?.[k] ?? 0;
  return (
    <div className="table-scroll">
      <table className="data small" data-testid="folio-orders">
        <caption>Folios by order: measured → what-if</caption>
        <thead>
          <tr>
            <th scope="col" className="num">
              order
            </th>
            {folioUses.map((u) => (
              <th key={u} scope="col" className="num">
                {u}
              </th>
            ))}
          </tr>
        </thead>
        <tbody>
          {sorted.map((k) => (
            <tr key={k} data-order={k}>
              <th scope="row" className="num">
                {k}
              </th>
              {folioUses.map((u) => (
                <td
                  key={u}
                  className="num"
                  data-use={u}
                  data-measured={n(measured, u, k)}
                  data-whatif={n(whatIf, u, k)}
                >
                  {n(measured, u, k) === n(whatIf, u, k)
                    ? int(n(measured, u, k))
                    : `${int(n(measured, u, k))} → ${int(n(whatIf, u, k))}`}
                </td>
              ))}
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}

/** Per design: measured, what-if and the difference. */
function WhatIfTotals({ was, now, focus }: { was: Bill; now: Bill; focus: string }) {
  return (
    <div className="table-scroll">
      <table className="data totals" data-testid="whatif-totals">
        <caption>Per-page metadata per design: as measured and with the what-if (MiB)</caption>
        <thead>
          <tr>
            <th scope="col">design</th>
            <th scope="col" className="num">
              measured
            </th>
            <th scope="col" className="num">
              what-if
            </th>
            <th scope="col" className="num">
              difference
            </th>
            <th scope="col" className="num">
              of RAM
            </th>
          </tr>
        </thead>
        <tbody>
          {was.designs.map((d, i) => {
            const x = now.designs[i]!;
            return (
              <tr
                key={d.design}
                data-design={d.design}
                data-measured={d.total}
                data-whatif={x.total}
                data-delta={x.total - d.total}
                aria-current={d.design === focus || undefined}
              >
                <th scope="row">
                  {d.design}
                  {d.design === focus ? " (chosen)" : ""}
                </th>
                <td className="num">{mib(d.total)}</td>
                <td className="num">
                  <strong>{mib(x.total)}</strong>
                </td>
                <td className={`num ${x.total > d.total ? "worse" : ""}`}>
                  {signed(x.total - d.total, mib)}
                </td>
                <td className="num">
                  {percent(d.percentOfRam)} → {percent(x.percentOfRam)}
                </td>
              </tr>
            );
          })}
        </tbody>
      </table>
    </div>
  );
}

/** Per use, under the chosen design: descriptors and bytes, measured and with the what-if. */
function WhatIfUses({ was, now, focus }: { was: Bill; now: Bill; focus: string }) {
  const a = was.designs.find((d) => d.design === focus) ?? was.designs[0]!;
  const b = now.designs.find((d) => d.design === focus) ?? now.designs[0]!;
  return (
    <div className="table-scroll">
      <table className="data" data-testid="whatif-uses">
        <caption>Per use under {a.design}: what the what-if changes</caption>
        <thead>
          <tr>
            <th scope="col">use</th>
            <th scope="col" className="num">
              pages
            </th>
            <th scope="col" className="num">
              descriptors
            </th>
            <th scope="col" className="num">
              MiB measured
            </th>
            <th scope="col" className="num">
              MiB what-if
            </th>
            <th scope="col" className="num">
              difference
            </th>
          </tr>
        </thead>
        <tbody>
          {a.uses.map((u, i) => {
            const v = b.uses[i]!;
            return (
              <tr
                key={u.use}
                data-use={u.use}
                data-descriptors-measured={u.descriptors}
                data-descriptors-whatif={v.descriptors}
                data-measured={u.total}
                data-whatif={v.total}
              >
                <th scope="row">{u.use}</th>
                <td className="num">{int(u.pages)}</td>
                <td className="num">
                  {u.descriptors === v.descriptors
                    ? int(u.descriptors)
                    : `${int(u.descriptors)} → ${int(v.descriptors)}`}
                </td>
                <td className="num">{mib(u.total)}</td>
                <td className="num">{mib(v.total)}</td>
                <td className="num">{signed(v.total - u.total, mib)}</td>
              </tr>
            );
          })}
        </tbody>
      </table>
    </div>
  );
}
