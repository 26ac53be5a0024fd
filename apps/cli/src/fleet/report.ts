import type { Colors } from "../output/color.js";
import { int, percent, size, table } from "../output/table.js";
import { memdescVersion } from "../version.js";
import type { Row } from "./engine.js";
import type { Problem } from "./inputs.js";
import type { Grouping } from "./sql.js";

/** What `memdesc fleet` found: DuckDB's answers and what was read or skipped. */
export interface FleetResult {
  readonly design: string;
  readonly groups: readonly Grouping[];
  readonly labels: readonly string[];
  readonly inputs: {
    readonly files: number;
    readonly used: number;
    readonly ignored: number;
    readonly skipped: readonly Problem[];
  };
  readonly captures: number;
  readonly firstCapture: string | null;
  readonly lastCapture: string | null;
  readonly descriptorSets: readonly string[];
  readonly totals: readonly Row[];
  readonly distribution: readonly Row[];
  readonly hosts: readonly Row[];
}

export type FleetFormat = "table" | "json" | "parquet";

/** The fleet JSON's (and Parquet's) layout version. */
export const fleetSchemaVersion = 1;

/** The per-host columns of `fleet --format parquet` (and of `hosts` in the JSON), label columns after them. */
export const fleetHostColumns = [
  { name: "host", type: "STRING", nullable: false, doc: "the hostname, or the input it came from" },
  { name: "source", type: "STRING", nullable: false, doc: "the file (or tree) billed" },
  { name: "captured_at", type: "TIMESTAMP", nullable: true, doc: "when its page map was read" },
  { name: "kernel_release", type: "STRING", nullable: true, doc: "`uname -r`" },
  { name: "arch", type: "STRING", nullable: true, doc: "`uname -m`" },
  { name: "ram_bytes", type: "INT64", nullable: false, doc: "System RAM" },
  { name: "ram_class_gib", type: "DOUBLE", nullable: false, doc: "RAM rounded up to a power of two GiB" },
  { name: "design", type: "STRING", nullable: false, doc: "the design (today is the baseline, not a row)" },
  { name: "total_bytes", type: "INT64", nullable: false, doc: "per-page metadata under the design" },
  { name: "today_bytes", type: "INT64", nullable: false, doc: "today's memmap on the host" },
  { name: "saving_bytes", type: "INT64", nullable: false, doc: "today_bytes − total_bytes" },
  { name: "saving_percent", type: "DOUBLE", nullable: false, doc: "saving_bytes as % of ram_bytes" },
] as const;

const num = (v: unknown) => (v === null || v === undefined ? Number.NaN : Number(v));
const gib = (g: unknown) => {
  const n = num(g);
  return n >= 1024 ? `${n / 1024} TiB` : `${n} GiB`;
};

/** A group's name in the table: its values joined (`6.18.44 · storage`); `(none)` for a host without it. */
function groupName(r: Row, groups: readonly Grouping[]): string {
  return groups
    .map((g) => {
      const v = r[g.column];
      if (v === null || v === undefined) return "(none)";
      return g.column === "ram_class_gib" ? `≤ ${gib(v)}` : String(v);
    })
    .join(" · ");
}

function tableOf(r: FleetResult, c: Colors): string {
  const d = r.design;
  const today = r.totals.find((t) => t.design === "today");
  const hosts = num(today?.hosts ?? r.totals[0]?.hosts);
  const ram = num(today?.ram_bytes ?? r.totals[0]?.ram_bytes);
  let out = `${c.bold("memdesc fleet")}: ${int(hosts)} hosts (${int(r.captures)} captures) from ${int(r.inputs.used)} of ${int(r.inputs.files)} inputs`;
  if (r.inputs.skipped.length > 0) out += `, ${c.yellow(`${int(r.inputs.skipped.length)} skipped`)}`;
  if (r.inputs.ignored > 0) out += `, ${int(r.inputs.ignored)} other files ignored`;
  out += `: ${size(ram)} of RAM`;
  if (r.firstCapture) out += `, captured ${r.firstCapture.slice(0, 10)} to ${r.lastCapture?.slice(0, 10)}`;
  out += "\n";
  if (r.descriptorSets.length > 1)
    out += `${c.yellow("note:")} the inputs were billed with ${r.descriptorSets.length} descriptor sets: ${r.descriptorSets.join("; ")}\n`;
  else out += `descriptors: ${r.descriptorSets[0] ?? "(none)"}\n`;
  out += `\nper-page metadata across the fleet\n`;
  const todayTotal = num(today?.total_bytes);
  out += table(
    [
      { header: "design" },
      { header: "hosts", align: "right" },
      { header: "total", align: "right" },
      { header: "% of RAM", align: "right" },
      { header: "saving vs today", align: "right" },
    ],
    // Today first, then the designs from the costliest to the cheapest.
    [...r.totals]
      .sort((a, b) =>
        a.design === "today" ? -1 : b.design === "today" ? 1 : num(b.total_bytes) - num(a.total_bytes),
      )
      .map((t) => [
        String(t.design),
        int(num(t.hosts)),
        size(num(t.total_bytes)),
        percent(num(t.percent_of_ram)),
        t.design === "today" ? "-" : size(todayTotal - num(t.total_bytes)),
      ]),
    { indent: 2, header: c.bold },
  );
  const rows = r.distribution.filter((x) => x.design === d);
  const by = r.groups.length > 0 ? ` by ${r.groups.map((g) => g.name).join(", ")}` : "";
  out += `\nsaving per host with ${d}${by}: nearest-rank percentiles, bytes and % of each host's RAM\n`;
  const stats = ["min", "p10", "p50", "p90", "max"] as const;
  out += table(
    [
      ...(r.groups.length > 0 ? [{ header: r.groups.map((g) => g.name).join(" · ") }] : []),
      { header: "hosts", align: "right" as const },
      ...stats.map((s) => ({ header: s, align: "right" as const })),
      ...stats.map((s) => ({ header: `${s} %`, align: "right" as const })),
    ],
    rows.map((x) => [
      ...(r.groups.length > 0 ? [groupName(x, r.groups)] : []),
      int(num(x.hosts)),
      ...stats.map((s) => size(num(x[`${s}_bytes`]))),
      ...stats.map((s) => percent(num(x[`${s}_percent`]))),
    ]),
    { indent: 2, header: c.bold },
  );
  const mine = r.hosts.filter((h) => h.design === d);
  if (mine.length > 0) {
    const end = (list: readonly Row[]) =>
      list
        .map(
          (h) =>
            `  ${String(h.host)}: ${size(num(h.saving_bytes))} (${percent(num(h.saving_percent))} of ${size(num(h.ram_bytes))})`,
        )
        .join("\n");
    const k = Math.min(3, Math.ceil(mine.length / 2));
    out += `\nleast saved (${d}):\n${end(mine.slice(0, k))}\nmost saved:\n${end(mine.slice(-k).reverse())}\n`;
  }
  if (r.inputs.skipped.length > 0)
    out += `\n${c.yellow(`${int(r.inputs.skipped.length)} inputs skipped`)} (listed on stderr); exit status 1 unless --skip-bad\n`;
  return out;
}

/** The result as JSON: what was read, the totals, the distribution per group, and every host's saving. */
export function fleetJson(r: FleetResult): Record<string, unknown> {
  return {
    schemaVersion: fleetSchemaVersion,
    memdesc: memdescVersion,
    design: r.design,
    by: r.groups.map((g) => ({ name: g.name, column: g.column })),
    labels: r.labels,
    inputs: r.inputs,
    captures: r.captures,
    firstCapture: r.firstCapture,
    lastCapture: r.lastCapture,
    descriptorSets: r.descriptorSets,
    totals: r.totals,
    distribution: r.distribution,
    hosts: r.hosts,
  };
}

/** The fleet in the format asked for. */
export async function fleetOutput(
  format: FleetFormat,
  r: FleetResult,
  c: Colors,
): Promise<string | Uint8Array> {
  if (format === "table") return tableOf(r, c);
  if (format === "json") return `${JSON.stringify(fleetJson(r), null, 2)}\n`;
  const { toParquet } = await import("../formats/parquet.js");
  const labels = r.labels.map((l) => ({
    name: `label_${l}`,
    type: "STRING" as const,
    nullable: true,
    doc: `the label ${l}`,
  }));
  const { hosts: _, ...summary } = fleetJson(r);
  return toParquet(
    [...fleetHostColumns, ...labels],
    r.hosts,
    {
      "memdesc.fleet_schema_version": String(fleetSchemaVersion),
      "memdesc.version": memdescVersion,
      "memdesc.fleet": JSON.stringify(summary),
    },
    `memdesc ${memdescVersion}`,
  );
}
