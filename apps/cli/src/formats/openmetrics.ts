import type { Bill } from "@memdesc/core";
import type { HostIdentity } from "./identity.js";
import { outsideUse } from "./rows.js";

/*
 * A bill as OpenMetrics text, for node_exporter's textfile collector (`--collector.textfile.directory`): every
 * family a gauge with its HELP, TYPE and UNIT, names in Prometheus's style (`memdesc_` prefix, base units,
 * `_bytes` suffix), no timestamps (the collector refuses them), ending in `# EOF`. The same text parses as
 * Prometheus's classic text format, which is what the collector reads: there UNIT lines and `# EOF` are comments.
 * The host's identity and labels are one info-style gauge (`memdesc_survey_info … 1`, as node_uname_info), to
 * join on in PromQL, rather than labels repeated on every series.
 */

/** Escapes a label value: backslash, double quote and newline, as both text formats require. */
export function escapeLabelValue(v: string): string {
  return v.replace(/\\/g, "\\\\").replace(/"/g, '\\"').replace(/\n/g, "\\n");
}

function labelSet(labels: Readonly<Record<string, string>>): string {
  const entries = Object.entries(labels);
  return entries.length === 0
    ? ""
    : `{${entries.map(([k, v]) => `${k}="${escapeLabelValue(v)}"`).join(",")}}`;
}

interface Family {
  readonly name: string;
  readonly help: string;
  readonly unit?: string;
  readonly samples: readonly { readonly labels: Readonly<Record<string, string>>; readonly value: number }[];
}

function family(f: Family): string {
  let out = `# HELP ${f.name} ${f.help}\n# TYPE ${f.name} gauge\n`;
  if (f.unit) out += `# UNIT ${f.name} ${f.unit}\n`;
  for (const s of f.samples) out += `${f.name}${labelSet(s.labels)} ${s.value}\n`;
  return out;
}

export interface OpenMetricsContext {
  readonly memdescVersion: string;
  readonly schemaVersion: number;
}

/** The bill of one host as OpenMetrics text. */
export function openMetrics(host: HostIdentity, bill: Bill, context: OpenMetricsContext): string {
  const designs = bill.designs;
  const info: Record<string, string> = {
    hostname: host.hostname ?? "",
    kernel_release: host.kernelRelease ?? "",
    arch: host.arch ?? "",
    memdesc_version: context.memdescVersion,
    schema_version: String(context.schemaVersion),
    ...host.labels,
  };
  // Holes have no struct page and are not RAM: left out, so the uses' memory adds up to memdesc_ram_bytes.
  const backed = (u: { use: string }) => u.use !== "hole";
  const uses = (designs[0]?.uses ?? []).filter(backed);
  const families: Family[] = [
    {
      name: "memdesc_survey_info",
      help: "The surveyed host, its kernel and memdesc's version, with the capture's labels; always 1.",
      samples: [{ labels: info, value: 1 }],
    },
    {
      name: "memdesc_ram_bytes",
      help: "System RAM with a struct page: the bills' denominator.",
      unit: "bytes",
      samples: [{ labels: {}, value: host.ramBytes }],
    },
    {
      name: "memdesc_memory_bytes",
      help: "Memory in each use, as the page map and the kernel's counters show it.",
      unit: "bytes",
      samples: uses.map((u) => ({ labels: { use: u.use }, value: u.pages * host.pageSize })),
    },
    {
      name: "memdesc_descriptors",
      help: "Descriptors of each use: one per folio, slab, page table or other allocation.",
      samples: uses.map((u) => ({ labels: { use: u.use }, value: u.descriptors })),
    },
    {
      name: "memdesc_memmap_bytes",
      help: "Per-page metadata of each use under each design: page entries and separately allocated descriptors.",
      unit: "bytes",
      samples: designs.flatMap((d) =>
        d.uses.filter(backed).map((u) => ({ labels: { design: d.design, use: u.use }, value: u.total })),
      ),
    },
    {
      name: "memdesc_outside_memmap_bytes",
      help: `What a design needs beside the memmap (the ${outsideUse} rows of the Parquet output).`,
      unit: "bytes",
      samples: designs.map((d) => ({ labels: { design: d.design }, value: d.outsideBytes })),
    },
    {
      name: "memdesc_metadata_bytes",
      help: "All per-page metadata under each design: the memmap and what it needs beside it.",
      unit: "bytes",
      samples: designs.map((d) => ({ labels: { design: d.design }, value: d.total })),
    },
    {
      name: "memdesc_saving_bytes",
      help: "Bytes each design saves against today's memmap as the kernel has it (negative: it costs more).",
      unit: "bytes",
      samples: designs.map((d) => ({ labels: { design: d.design }, value: d.savingVsToday })),
    },
  ];
  if (host.capturedAt)
    families.push({
      name: "memdesc_capture_timestamp_seconds",
      help: "When the page map was read, in seconds since the epoch.",
      unit: "seconds",
      samples: [{ labels: {}, value: Date.parse(host.capturedAt) / 1000 }],
    });
  return `${families.map(family).join("")}# EOF\n`;
}
