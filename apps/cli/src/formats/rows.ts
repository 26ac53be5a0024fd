import type { Bill } from "@memdesc/core";
import { type HostIdentity, surveySchemaVersion } from "./identity.js";

/*
 * A bill as rows: one per host × memory use × design, plus one per design for what it needs outside the
 * memmap, so that a design's total is the sum of its rows in any SQL engine. `survey --format ndjson|parquet`
 * writes them, `memdesc fleet` reads them, and docs/fleet.md documents them; the column list below is the one
 * definition all of them use.
 */

/** The memory use named on the row that carries a design's memory outside the memmap. */
export const outsideUse = "outside-memmap";

export type ColumnType = "STRING" | "INT32" | "INT64" | "BOOLEAN" | "TIMESTAMP" | "DOUBLE";

export interface ColumnSpec {
  readonly name: string;
  readonly type: ColumnType;
  readonly nullable: boolean;
  readonly doc: string;
}

/** A row: the columns below, and a `label_<key>` column (string) per label of the host. */
export type BillRow = {
  readonly schema_version: number;
  readonly memdesc_version: string;
  readonly hostname: string | null;
  readonly captured_at: string | null;
  readonly kernel_release: string | null;
  readonly arch: string | null;
  readonly page_size: number;
  readonly ram_pages: number;
  readonly ram_bytes: number;
  readonly hvo: boolean;
  readonly source_kind: string;
  readonly source: string;
  readonly descriptor_set: string;
  readonly design: string;
  readonly memory_use: string;
  readonly pages: number;
  readonly descriptors: number;
  readonly entry_bytes: number;
  readonly descriptor_bytes: number;
  readonly outside_bytes: number;
  readonly total_bytes: number;
} & { readonly [label: `label_${string}`]: string | null };

/** The columns of a bill row, in order (label columns follow, sorted by key). */
export const billColumns: readonly ColumnSpec[] = [
  { name: "schema_version", type: "INT32", nullable: false, doc: "the row layout's version (1)" },
  { name: "memdesc_version", type: "STRING", nullable: false, doc: "the memdesc that billed it" },
  {
    name: "hostname",
    type: "STRING",
    nullable: true,
    doc: "/proc/sys/kernel/hostname; null where the input did not record it",
  },
  { name: "captured_at", type: "TIMESTAMP", nullable: true, doc: "when the page map was read (UTC, ms)" },
  { name: "kernel_release", type: "STRING", nullable: true, doc: "`uname -r`" },
  { name: "arch", type: "STRING", nullable: true, doc: "`uname -m`" },
  { name: "page_size", type: "INT32", nullable: false, doc: "bytes per page" },
  { name: "ram_pages", type: "INT64", nullable: false, doc: "pages with a struct page (System RAM)" },
  { name: "ram_bytes", type: "INT64", nullable: false, doc: "ram_pages × page_size" },
  {
    name: "hvo",
    type: "BOOLEAN",
    nullable: false,
    doc: "today's memmap billed with the HugeTLB vmemmap optimisation",
  },
  { name: "source_kind", type: "STRING", nullable: false, doc: "proc, snapshot, archive or raw" },
  { name: "source", type: "STRING", nullable: false, doc: "what was surveyed: /, a --root, a file" },
  {
    name: "descriptor_set",
    type: "STRING",
    nullable: false,
    doc: "the plugins that sized the descriptors: package@version, …",
  },
  { name: "design", type: "STRING", nullable: false, doc: "today, path-32, buddy-16, memdesc-8, …" },
  {
    name: "memory_use",
    type: "STRING",
    nullable: false,
    doc: `free, file, anon, slab, … or ${outsideUse} (what the design needs beside the memmap)`,
  },
  { name: "pages", type: "INT64", nullable: false, doc: "pages of this use (RAM pages, for outside-memmap)" },
  {
    name: "descriptors",
    type: "INT64",
    nullable: false,
    doc: "descriptors of this use (one per folio, slab, …)",
  },
  { name: "entry_bytes", type: "INT64", nullable: false, doc: "bytes of page entries (pages × entry size)" },
  {
    name: "descriptor_bytes",
    type: "INT64",
    nullable: false,
    doc: "bytes of separately allocated descriptors",
  },
  {
    name: "outside_bytes",
    type: "INT64",
    nullable: false,
    doc: "bytes outside the memmap (outside-memmap rows)",
  },
  { name: "total_bytes", type: "INT64", nullable: false, doc: "entry + descriptor + outside bytes" },
];

/** The column a label goes to: `label_team`. */
export const labelColumn = (key: string): `label_${string}` => `label_${key}`;

/** Where a bill came from, besides the host. */
export interface RowSource {
  readonly memdescVersion: string;
  readonly sourceKind: string;
  readonly source: string;
  /** `@memdesc/folio@0.1.0, …` */
  readonly descriptorSet: string;
}

/** The rows of one host's bill. */
export function billRows(host: HostIdentity, bill: Bill, from: RowSource): BillRow[] {
  const common = {
    schema_version: surveySchemaVersion,
    memdesc_version: from.memdescVersion,
    hostname: host.hostname,
    captured_at: host.capturedAt,
    kernel_release: host.kernelRelease,
    arch: host.arch,
    page_size: host.pageSize,
    ram_pages: host.ramPages,
    ram_bytes: host.ramBytes,
    hvo: bill.hvo,
    source_kind: from.sourceKind,
    source: from.source,
    descriptor_set: from.descriptorSet,
  };
  const labels = Object.fromEntries(Object.entries(host.labels).map(([k, v]) => [labelColumn(k), v]));
  const rows: BillRow[] = [];
  for (const d of bill.designs) {
    for (const u of d.uses)
      rows.push({
        ...common,
        design: d.design,
        memory_use: u.use,
        pages: u.pages,
        descriptors: u.descriptors,
        entry_bytes: u.entryBytes,
        descriptor_bytes: u.descriptorBytes,
        outside_bytes: 0,
        total_bytes: u.total,
        ...labels,
      });
    if (d.outside.length > 0)
      rows.push({
        ...common,
        design: d.design,
        memory_use: outsideUse,
        pages: host.ramPages,
        descriptors: 0,
        entry_bytes: 0,
        descriptor_bytes: 0,
        outside_bytes: d.outsideBytes,
        total_bytes: d.outsideBytes,
        ...labels,
      });
  }
  return rows;
}

/** The label keys the rows carry, sorted. */
export function labelKeysOf(rows: readonly Record<string, unknown>[]): string[] {
  const keys = new Set<string>();
  for (const r of rows) for (const k of Object.keys(r)) if (k.startsWith("label_")) keys.add(k.slice(6));
  return [...keys].sort();
}

/** The rows as NDJSON: one JSON object a line, the columns as keys. */
export function ndjson(rows: readonly BillRow[]): string {
  let out = "";
  for (const r of rows) out += `${JSON.stringify(r)}\n`;
  return out;
}
