import { useId, useMemo, useState } from "react";
import { BarChart } from "../../components/BarChart.js";
import { useDropZone } from "../../components/drop-zone.js";
import { useAppState } from "../../lib/app-state.js";
import { int, percent, size } from "../../lib/format.js";
import { loadFile } from "../survey/store.js";
import type { Fleet, FleetHost } from "./load.js";
import {
  distribution,
  ends,
  type GroupBy,
  groupOf,
  histogram,
  type Measure,
  sourceName,
  underDesign,
  value,
} from "./stats.js";
import { addFiles, useFleetState } from "./store.js";

/** Colours for the groups' series, in order; groups past the last share the last. */
const groupColors = ["#4e79a7", "#f28e2b", "#59a14f", "#e15759", "#76b7b2", "#edc948", "#b07aa1", "#9c755f"];

export default function FleetView() {
  const { fleet, loading, error, snapshots } = useFleetState();
  const drop = useDropZone((files) => void addFiles(files));
  const fileId = useId();
  const errorId = useId();
  return (
    <div className="view fleet-view">
      <h2>A fleet's saving, host by host</h2>
      <section
        className={`card drop-zone${drop.dragging ? " dragging" : ""}`}
        aria-label="Load a fleet"
        data-testid="fleet-drop-zone"
        {...drop.handlers}
      >
        <div className="load-row">
          <div className="field file-field">
            <label htmlFor={fileId}>Load a fleet (Parquet or JSON) and its hosts' snapshots</label>
            <input
              id={fileId}
              type="file"
              multiple
              accept=".parquet,.json,.mdsnap,application/json,application/octet-stream"
              aria-describedby={error ? errorId : undefined}
              onChange={(e) => {
                const files = [...(e.target.files ?? [])];
                if (files.length > 0) void addFiles(files);
                e.target.value = "";
              }}
            />
          </div>
          <p className="hint">
            …or drop them here. <code>memdesc fleet captures/ --format parquet -o fleet.parquet</code> (or{" "}
            <code>--format json</code>) makes the fleet file; a host whose snapshot (<code>.mdsnap</code>) is
            dropped too opens in the Survey view. Files stay in this page: nothing is uploaded.
          </p>
        </div>
        <p className="status" role="status" data-testid="fleet-status">
          {loading
            ? `Loading ${loading}…`
            : fleet
              ? `Showing ${fleet.name} (${fleet.format}, memdesc ${fleet.memdesc}): ${int(new Set(fleet.hosts.map((h) => h.host)).size)} hosts.`
              : "No fleet loaded."}
          {snapshots.size > 0 &&
            ` ${int(snapshots.size)} snapshot${snapshots.size === 1 ? "" : "s"} at hand.`}
        </p>
        {error && (
          <div className="error" role="alert" id={errorId} data-testid="fleet-error" data-code={error.code}>
            <p>
              <strong>Cannot load {error.name}</strong>: {error.message}
            </p>
            {error.hint && <p className="hint">{error.hint}</p>}
          </div>
        )}
      </section>
      {fleet && <FleetResults fleet={fleet} snapshots={snapshots} />}
    </div>
  );
}

function FleetResults({ fleet, snapshots }: { fleet: Fleet; snapshots: ReadonlyMap<string, File> }) {
  const { design: appDesign, setView } = useAppState();
  const designs = useMemo(() => [...new Set(fleet.hosts.map((h) => h.design))].sort(), [fleet]);
  // The header's design where the fleet has it (today is every row's baseline, not a design of its own).
  const design = designs.includes(appDesign) ? appDesign : fleet.design;
  const [by, setBy] = useState<GroupBy>("none");
  const [measure, setMeasure] = useState<Measure>("percent");
  const byId = useId();
  const measureId = useId();
  const hosts = useMemo(() => underDesign(fleet.hosts, design), [fleet, design]);
  const dist = useMemo(() => distribution(hosts, by), [hosts, by]);
  const hist = useMemo(
    () => (hosts.length > 0 ? histogram(hosts, by, measure) : undefined),
    [hosts, by, measure],
  );
  const end = useMemo(() => ends(hosts, measure), [hosts, measure]);
  const show = (v: number) => (measure === "percent" ? percent(v) : size(v));
  const groupings: [GroupBy, string][] = [
    ["none", "nothing (the whole fleet)"],
    ["kernel", "kernel release"],
    ["arch", "architecture"],
    ["ram", "RAM size class"],
    ...fleet.labels.map((l): [GroupBy, string] => [`label:${l}`, `label ${l}`]),
  ];
  const groups = hist ? [...hist.counts.keys()] : [];
  const listProps = { by, measure, snapshots, open: (h: FleetHost) => open(h) };
  const open = (h: FleetHost) => {
    const file = snapshots.get(sourceName(h.source));
    if (!file) return;
    void loadFile(file);
    setView("survey");
  };
  return (
    <div
      className="fleet-results"
      data-testid="fleet-results"
      data-design={design}
      data-by={by}
      data-measure={measure}
    >
      {design !== appDesign && (
        <p className="callout" data-testid="fleet-design-note">
          {appDesign === "today"
            ? "today is the baseline each saving is measured against"
            : `${fleet.name} has no rows under ${appDesign}`}
          : showing {design}, the design it was made with.
        </p>
      )}
      <div className="controls">
        <div className="field">
          <label htmlFor={byId}>Group by</label>
          <select id={byId} value={by} onChange={(e) => setBy(e.target.value as GroupBy)}>
            {groupings.map(([v, t]) => (
              <option key={v} value={v}>
                {t}
              </option>
            ))}
          </select>
        </div>
        <div className="field">
          <label htmlFor={measureId}>Saving as</label>
          <select id={measureId} value={measure} onChange={(e) => setMeasure(e.target.value as Measure)}>
            <option value="percent">% of each host's RAM</option>
            <option value="bytes">bytes</option>
          </select>
        </div>
      </div>

      <section aria-labelledby="fleet-chart-heading">
        <h3 id="fleet-chart-heading">
          Saving per host with {design}
          {by === "none" ? "" : `, by ${groupings.find(([v]) => v === by)?.[1]}`}
        </h3>
        {hist && (
          <BarChart
            testId="fleet-chart"
            stacked
            labels={hist.edges.slice(0, -1).map((lo, i) => `${show(lo)} – ${show(hist.edges[i + 1]!)}`)}
            yTitle="hosts"
            unit="hosts"
            format={(v) => (Number.isInteger(v) ? String(v) : "")}
            height={320}
            ariaLabel={`Histogram: hosts per band of saving with ${design}, ${measure === "percent" ? "in % of RAM" : "in bytes"}, stacked by group. ${dist
              .map(
                (d) =>
                  `${d.group}: ${d.hosts} hosts, median ${show(measure === "percent" ? d.percent.p50 : d.bytes.p50)}`,
              )
              .join("; ")}`}
            series={groups.map((g, i) => ({
              label: g,
              color: groupColors[Math.min(i, groupColors.length - 1)]!,
              values: hist.counts.get(g)!,
            }))}
          />
        )}
        <div className="table-scroll">
          <table data-testid="fleet-distribution">
            <caption>
              Nearest-rank percentiles of the saving per host, as <code>memdesc fleet</code> computes them
            </caption>
            <thead>
              <tr>
                <th scope="col">group</th>
                <th scope="col">hosts</th>
                {["min", "p10", "p50", "p90", "max"].map((s) => (
                  <th scope="col" key={s}>
                    {s}
                  </th>
                ))}
              </tr>
            </thead>
            <tbody>
              {dist.map((d) => {
                const p = measure === "percent" ? d.percent : d.bytes;
                return (
                  <tr
                    key={d.group}
                    data-group={d.group}
                    data-hosts={d.hosts}
                    data-bytes={JSON.stringify(d.bytes)}
                    data-percent={JSON.stringify(d.percent)}
                    data-saving={d.savingBytes}
                  >
                    <th scope="row">{d.group}</th>
                    <td className="num">{int(d.hosts)}</td>
                    <td className="num">{show(p.min)}</td>
                    <td className="num">{show(p.p10)}</td>
                    <td className="num">{show(p.p50)}</td>
                    <td className="num">{show(p.p90)}</td>
                    <td className="num">{show(p.max)}</td>
                  </tr>
                );
              })}
            </tbody>
          </table>
        </div>
      </section>

      <section aria-labelledby="fleet-ends-heading" className="fleet-ends">
        <h3 id="fleet-ends-heading">The hosts at either end</h3>
        <div className="layout-columns">
          <HostList title="Least saved" testId="fleet-least" hosts={end.least} {...listProps} />
          <HostList title="Most saved" testId="fleet-most" hosts={end.most} {...listProps} />
        </div>
      </section>
    </div>
  );
}

/** Hosts with their saving; each opens in the Survey view when its snapshot was dropped with the fleet. */
function HostList({
  title,
  testId,
  hosts,
  by,
  measure,
  snapshots,
  open,
}: {
  title: string;
  testId: string;
  hosts: readonly FleetHost[];
  by: GroupBy;
  measure: Measure;
  snapshots: ReadonlyMap<string, File>;
  open: (h: FleetHost) => void;
}) {
  const show = (v: number) => (measure === "percent" ? percent(v) : size(v));
  return (
    <div className="card">
      <h4>{title}</h4>
      <ol data-testid={testId}>
        {hosts.map((h) => {
          const file = sourceName(h.source);
          return (
            <li
              key={h.host}
              data-host={h.host}
              data-saving-bytes={h.savingBytes}
              data-saving-percent={h.savingPercent}
            >
              <strong>{h.host}</strong> ({by === "none" ? "" : `${groupOf(h, by)}, `}
              {size(h.ramBytes)}): {show(value(h, measure))}{" "}
              {snapshots.has(file) ? (
                <button type="button" onClick={() => open(h)}>
                  Open {h.host} in Survey
                </button>
              ) : (
                <span className="dim small" title={`drop ${file} here to open this host in the Survey view`}>
                  (snapshot {file} not loaded)
                </span>
              )}
            </li>
          );
        })}
      </ol>
    </div>
  );
}
