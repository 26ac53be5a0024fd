import { memoryUses, unbackedUses } from "@memdesc/core";
import { surveyBill } from "@memdesc/kpageflags/browser";
import { useEffect, useId, useMemo, useState } from "react";
import { BarChart } from "../../components/BarChart.js";
import { Arithmetic, DesignTotals, UseTable } from "../../components/BillTables.js";
import { useDropZone } from "../../components/drop-zone.js";
import { useAppState } from "../../lib/app-state.js";
import { int, mib, size } from "../../lib/format.js";
import { designColors, firstPartyPackages } from "../../lib/registry.js";
import type { Loaded } from "./load.js";
import { PageMap } from "./PageMap.js";
import { cancelLoad, loadFile, loadSample, useSurveyState } from "./store.js";

export default function SurveyView() {
  const { registry, design } = useAppState();
  const { loaded, loading, error, cancelled } = useSurveyState();
  const drop = useDropZone((files) => {
    if (files[0]) void loadFile(files[0]);
  });
  const fileId = useId();
  const errorId = useId();

  // A first visit shows the shipped sample at once: the app works before anything is chosen.
  useEffect(() => {
    if (!loaded && !loading && !error && !cancelled) void loadSample();
  }, [loaded, loading, error, cancelled]);

  return (
    <div className="view survey-view">
      <h2>A machine's page map, surveyed and billed</h2>
      <section
        className={`card drop-zone${drop.dragging ? " dragging" : ""}`}
        aria-label="Load a page map"
        data-testid="drop-zone"
        {...drop.handlers}
      >
        <div className="load-row">
          <button
            type="button"
            className="primary"
            onClick={() => void loadSample()}
            disabled={loading !== undefined}
          >
            Load the sample
          </button>
          <div className="field file-field">
            <label htmlFor={fileId}>Load a snapshot (.mdsnap) or survey JSON</label>
            <input
              id={fileId}
              type="file"
              accept=".mdsnap,.json,application/json,application/octet-stream"
              aria-describedby={error ? errorId : undefined}
              onChange={(e) => {
                const f = e.target.files?.[0];
                if (f) void loadFile(f);
                e.target.value = "";
              }}
            />
          </div>
          <p className="hint">
            …or drop one here. Make a snapshot with <code>sudo memdesc capture -o host.mdsnap</code>; survey
            JSON is what <code>memdesc survey --json</code> prints. Files stay in this page: nothing is
            uploaded.
          </p>
        </div>
        <p className="status" role="status" data-testid="load-status">
          {loading
            ? `Loading ${loading}…`
            : `${cancelled ? `Cancelled loading ${cancelled}. ` : ""}${
                loaded
                  ? `Showing ${loaded.sample ? "the sample snapshot shipped with memdesc" : loaded.name}${loaded.kind === "json" ? ` (${loaded.from}; no page map in a survey JSON)` : ""}.`
                  : ""
              }`}
          {loading && (
            <button type="button" className="cancel" data-testid="cancel-load" onClick={cancelLoad}>
              Cancel
            </button>
          )}
        </p>
        {error && (
          <div className="error" role="alert" id={errorId} data-testid="load-error" data-code={error.code}>
            <p>
              <strong>Cannot load {error.name}</strong>: {error.message}
            </p>
            {error.hint && <p className="hint">{error.hint}</p>}
          </div>
        )}
      </section>
      {loaded?.kind === "json" && loaded.plugins && !samePlugins(loaded.plugins) && (
        <p className="callout" data-testid="plugins-note">
          {loaded.name} was billed with {loaded.plugins.join(", ")}; this page bills its survey with the
          first-party set, so its numbers may differ from the file's own bill.
        </p>
      )}
      {loaded && <Results loaded={loaded} registry={registry} design={design} />}
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
  registry,
  design,
}: {
  loaded: Loaded;
  registry: ReturnType<typeof useAppState>["registry"];
  design: string;
}) {
  const s = loaded.survey;
  // The same bill `memdesc survey --json` prints: kpageflags' surveyBill (core's bill()) with this registry.
  const bill = useMemo(() => surveyBill(s, registry), [s, registry]);
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
  const anomalies = Object.entries(s.anomalies.counts).filter(([, c]) => c > 0);
  return (
    <div className="survey-results" data-testid="survey-results" data-name={loaded.name} data-design={design}>
      <section aria-labelledby="survey-summary-heading" className="summary">
        <h3 id="survey-summary-heading">
          {loaded.sample ? "Sample snapshot" : loaded.name}: {size(bill.ramBytes)} of RAM
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
      </section>

      <section aria-labelledby="survey-chart-heading">
        <h3 id="survey-chart-heading">Bill per kind</h3>
        <div className="field checkbox">
          <input id={logId} type="checkbox" checked={log} onChange={(e) => setLog(e.target.checked)} />
          <label htmlFor={logId}>Logarithmic scale (uninitialised and free memory dwarf the rest)</label>
        </div>
        <BarChart
          testId="survey-chart"
          labels={kinds.map(([k, uses]) => [k, uses.join(", ")])}
          logarithmic={log}
          yTitle="MiB"
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

      {loaded.kind === "snapshot" ? (
        <PageMap analysis={loaded.analysis} kindOf={(u) => registry.ownerOf(u)} />
      ) : (
        <p className="callout">
          A survey JSON has counts, not the page map: load a snapshot to see every PFN.
        </p>
      )}

      <section aria-labelledby="survey-notes-heading">
        <h3 id="survey-notes-heading">What kpageflags cannot show</h3>
        <ul data-testid="survey-attributions">
          {s.attributions
            .filter((a) => a.counted > 0)
            .map((a) => (
              <li key={a.use}>
                {a.use} ({memoryUses[a.use]}): {int(a.counted)} pages attributed from {a.counter} ({a.file}),
                taken from {a.taken.map((t) => `${t.from} (${int(t.pages)})`).join(" and ") || "nothing"}
                {a.short > 0 ? `; ${int(a.short)} not found in the page map` : ""}
              </li>
            ))}
          {s.unseen.map((u) => (
            <li key={u.use}>
              {u.use} ({memoryUses[u.use]}): {u.why}; counted in {u.countedAs.join(" or ")}
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
    </div>
  );
}
