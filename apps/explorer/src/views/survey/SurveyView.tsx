import { unbackedUses } from "@memdesc/core";
import { surveyBill } from "@memdesc/kpageflags/browser";
import { useEffect, useId, useMemo, useRef, useState } from "react";
import { BarChart } from "../../components/BarChart.js";
import { Arithmetic, DesignTotals, UseTable } from "../../components/BillTables.js";
import { useAppState } from "../../lib/app-state.js";
import { int, mib, size } from "../../lib/format.js";
import { type AnyRegistry, descriptionOf, designColors, firstPartyPackages } from "../../lib/registry.js";
import { Comparison } from "./Comparison.js";
import { LoadPanel, loadedName } from "./LoadPanel.js";
import type { Loaded } from "./load.js";
import { PageMap } from "./PageMap.js";
import { loadSample, type Slot, surveyStore, useSurveyState } from "./store.js";

export default function SurveyView() {
  const { registry, design, params, setParams } = useAppState();
  const { a, b } = useSurveyState();

  // The samples shown and compared with are in the URL (`#survey?sample=NAME&vs=NAME`): a link (or Back)
  // loads the sample it names, and what is loaded is written back, so the URL always says what is shown.
  const synced = useRef<Record<Slot, string | undefined>>({ a: undefined, b: undefined });
  useEffect(() => {
    const wanted: Record<Slot, string | undefined> = { a: params.sample, b: params.vs };
    for (const slot of ["a", "b"] as const) {
      const name = wanted[slot];
      if (name === undefined || name === synced.current[slot]) continue;
      synced.current[slot] = name;
      if (surveyStore.get()[slot].loaded?.sample?.name !== name) void loadSample(name, slot);
    }
  }, [params.sample, params.vs]);
  // A first visit shows the default sample at once: the app works before anything is chosen.
  useEffect(() => {
    if (!a.loaded && !a.loading && !a.error && !a.cancelled && params.sample === undefined) void loadSample();
  }, [a.loaded, a.loading, a.error, a.cancelled, params.sample]);
  const seen = useRef<Record<Slot, unknown>>({ a: a.loaded, b: b.loaded });
  useEffect(() => {
    const patch: Record<string, string> = {};
    for (const [slot, loaded, key] of [
      ["a", a.loaded, "sample"],
      ["b", b.loaded, "vs"],
    ] as const) {
      if (loaded === seen.current[slot]) continue;
      seen.current[slot] = loaded;
      const name = loaded?.sample?.name ?? "";
      synced.current[slot] = name || undefined;
      patch[key] = name;
    }
    if (Object.keys(patch).length > 0) setParams(patch);
  }, [a.loaded, b.loaded, setParams]);

  const billA = useMemo(() => a.loaded && surveyBill(a.loaded.survey, registry), [a.loaded, registry]);
  const billB = useMemo(() => b.loaded && surveyBill(b.loaded.survey, registry), [b.loaded, registry]);

  return (
    <div className="view survey-view">
      <h2>A machine's page map, surveyed and billed</h2>
      <LoadPanel slot="a" state={a} />
      {a.loaded?.kind === "json" && a.loaded.plugins && !samePlugins(a.loaded.plugins) && (
        <p className="callout" data-testid="plugins-note">
          {a.loaded.name} was billed with {a.loaded.plugins.join(", ")}; this page bills its survey with the
          first-party set, so its numbers may differ from the file's own bill.
        </p>
      )}
      {a.loaded && billA && <Results loaded={a.loaded} bill={billA} design={design} />}
      {a.loaded && (
        <section aria-labelledby="compare-load-heading" className="compare">
          <h3 id="compare-load-heading">Compare with another page map</h3>
          <LoadPanel slot="b" state={b} />
          {b.loaded && billA && billB && (
            <Comparison
              a={billA}
              b={billB}
              nameA={loadedName(a.loaded)}
              nameB={loadedName(b.loaded)}
              design={design}
            />
          )}
        </section>
      )}
      {a.loaded && (
        <div className={`pagemaps${b.loaded?.kind === "snapshot" ? " side-by-side" : ""}`}>
          {a.loaded.kind === "snapshot" ? (
            <PageMap
              analysis={a.loaded.analysis}
              registry={registry}
              title={b.loaded ? `A: ${loadedName(a.loaded)}` : "Page map"}
            />
          ) : (
            <p className="callout">
              A survey JSON has counts, not the page map: load a snapshot to see every PFN.
            </p>
          )}
          {b.loaded?.kind === "snapshot" && (
            <PageMap analysis={b.loaded.analysis} registry={registry} title={`B: ${loadedName(b.loaded)}`} />
          )}
        </div>
      )}
      {a.loaded && <Notes loaded={a.loaded} registry={registry} />}
    </div>
  );
}

/** Whether a file was billed with the first-party set, in the order `memdesc` composes it. */
function samePlugins(packages: readonly string[]): boolean {
  return (
    packages.length === firstPartyPackages.length && packages.every((p, i) => p === firstPartyPackages[i])
  );
}

function Results({
  loaded,
  bill,
  design,
}: {
  loaded: Loaded;
  bill: ReturnType<typeof surveyBill>;
  design: string;
}) {
  const { setView } = useAppState();
  const s = loaded.survey;
  const [log, setLog] = useState(true);
  const logId = useId();
  // The chart groups uses by the kind that describes them: what each descriptor costs on this machine.
  const kinds = useMemo(() => {
    const byKind = new Map<string, string[]>();
    for (const u of bill.designs[0]!.uses) {
      if (unbackedUses.has(u.use) || u.pages === 0) continue;
      const k = u.kind ?? "none";
      byKind.set(k, [...(byKind.get(k) ?? []), u.use]);
    }
    return [...byKind];
  }, [bill]);
  const src = s.source;
  return (
    <div className="survey-results" data-testid="survey-results" data-name={loaded.name} data-design={design}>
      <section aria-labelledby="survey-summary-heading" className="summary">
        <h3 id="survey-summary-heading">
          {loaded.sample ? `Sample ${loaded.sample.name}` : loaded.name}: {size(bill.ramBytes)} of RAM
        </h3>
        <dl className="facts">
          <dt>kernel</dt>
          <dd>
            {[src.kernelRelease && `Linux ${src.kernelRelease}`, src.machine].filter(Boolean).join(", ") ||
              "unknown"}
          </dd>
          {src.capturedAt && (
            <>
              <dt>captured</dt>
              <dd>{src.capturedAt.replace(/\.\d+Z$/, "Z")}</dd>
            </>
          )}
          {loaded.kind === "snapshot" && loaded.analysis.header.note && (
            <>
              <dt>what ran</dt>
              <dd data-testid="snapshot-note">{loaded.analysis.header.note}</dd>
            </>
          )}
          <dt>PFNs</dt>
          <dd data-testid="pfn-count" data-pfns={s.pfnCount}>
            {int(s.pfnCount)} from {`0x${s.startPfn.toString(16)}`}
          </dd>
          <dt>RAM pages</dt>
          <dd data-testid="ram-pages" data-pages={bill.ramPages}>
            {int(bill.ramPages)} of {size(s.pageSize)}
          </dd>
          <dt>HVO</dt>
          <dd data-testid="hvo" data-hvo={String(bill.hvo)}>
            {!s.hugetlb
              ? "not recorded with this page map: today is billed without it"
              : s.hugetlb.hvo === null
                ? `${s.hugetlb.hvoPath} was not read: today is billed without it`
                : `${s.hugetlb.hvo ? "on" : "off"} (${s.hugetlb.hvoPath}): today is billed ${s.hugetlb.hvo ? "with" : "without"} it`}
          </dd>
          {loaded.kind === "snapshot" && (
            <>
              <dt>in the page</dt>
              <dd>
                {size(loaded.analysis.bytes)} decoded in {loaded.analysis.timings.decode.toFixed(0)} ms,
                classified in {loaded.analysis.timings.survey.toFixed(0)} ms (in a worker)
              </dd>
            </>
          )}
        </dl>
        <p>
          <button
            type="button"
            className="primary"
            data-testid="start-bill"
            onClick={() =>
              setView("bill", { from: loaded.sample ? `sample:${loaded.sample.name}` : "survey" })
            }
          >
            Start Bill from this survey
          </button>{" "}
          <span className="hint">
            its pages per use and folio orders as the starting point; what-ifs show as differences from them
          </span>
        </p>
      </section>

      <section aria-labelledby="survey-chart-heading">
        <h3 id="survey-chart-heading">Bill per kind</h3>
        <div className="field checkbox">
          <input id={logId} type="checkbox" checked={log} onChange={(e) => setLog(e.target.checked)} />
          <label htmlFor={logId}>Logarithmic scale (when free or uninitialised memory dwarfs the rest)</label>
        </div>
        <BarChart
          testId="survey-chart"
          labels={kinds.map(([k, uses]) => [k, uses.join(", ")])}
          logarithmic={log}
          yTitle="MiB"
          unit="MiB"
          height={340}
          format={(v) => v.toLocaleString("en-US", { maximumFractionDigits: 1 })}
          ariaLabel={`Bar chart: MiB of per-page metadata per kind under each design. ${bill.designs
            .map((d) => `${d.design} ${mib(d.total)} MiB in total`)
            .join(", ")}`}
          series={bill.designs.map((d) => ({
            label: d.design,
            color: designColors[d.design] ?? "#555",
            values: kinds.map(
              ([, uses]) =>
                d.uses.filter((x) => uses.includes(x.use)).reduce((t, x) => t + x.total, 0) / 1048576,
            ),
          }))}
        />
        <DesignTotals bill={bill} focus={design} testId="survey-totals" />
        <UseTable bill={bill} focus={design} testId="survey-bill" />
        {bill.warnings.length > 0 && (
          <ul className="warnings">
            {bill.warnings.map((w) => (
              <li key={w}>{w}</li>
            ))}
          </ul>
        )}
        <details>
          <summary>The arithmetic</summary>
          <Arithmetic bill={bill} focus={design} />
        </details>
      </section>
    </div>
  );
}

function Notes({ loaded, registry }: { loaded: Loaded; registry: AnyRegistry }) {
  const s = loaded.survey;
  const anomalies = Object.entries(s.anomalies.counts).filter(([, c]) => c > 0);
  return (
    <section aria-labelledby="survey-notes-heading">
      <h3 id="survey-notes-heading">What kpageflags cannot show</h3>
      <ul data-testid="survey-attributions">
        {s.attributions
          .filter((a) => a.counted > 0)
          .map((a) => (
            <li key={a.use}>
              {a.use} ({descriptionOf(registry, a.use)}): {int(a.counted)} pages attributed from {a.counter} (
              {a.file}), taken from{" "}
              {a.taken.map((t) => `${t.from} (${int(t.pages)})`).join(" and ") || "nothing"}
              {a.short > 0 ? `; ${int(a.short)} not found in the page map` : ""}
            </li>
          ))}
        {s.unseen.map((u) => (
          <li key={u.use}>
            {u.use} ({descriptionOf(registry, u.use)}): {u.why}; counted in {u.countedAs.join(" or ")}
            {u.counter ? ` (${u.counter})` : ""}
          </li>
        ))}
        {anomalies.length > 0 && (
          <li>anomalies in the page map: {anomalies.map(([k, c]) => `${int(c)} ${k}`).join(", ")}</li>
        )}
        {s.notes.map((n) => (
          <li key={n}>{n}</li>
        ))}
      </ul>
    </section>
  );
}
