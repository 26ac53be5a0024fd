import type { Bill } from "@memdesc/core";
import type { Labels, Survey } from "@memdesc/kpageflags";
import type { Composition } from "../config/compose.js";
import { UserError } from "../errors.js";
import { type HostIdentity, isoTime, surveySchemaVersion } from "../formats/identity.js";
import { openMetrics } from "../formats/openmetrics.js";
import {
  billColumns,
  billRows,
  type ColumnSpec,
  labelColumn,
  labelKeysOf,
  ndjson,
  type RowSource,
} from "../formats/rows.js";

/** What `survey --format` takes: a table for people; JSON, NDJSON, Parquet and OpenMetrics for machines. */
export const surveyFormats = ["table", "json", "ndjson", "parquet", "openmetrics"] as const;
export type SurveyFormat = (typeof surveyFormats)[number];

/** `--format`, with `--json` as its short form. */
export function surveyFormat(opts: Record<string, unknown>): SurveyFormat {
  const format = opts.format as SurveyFormat | undefined;
  if (opts.json === true && format !== undefined && format !== "json")
    throw new UserError(
      `--json and --format ${format} ask for two formats`,
      "give one: --format json is --json",
    );
  return opts.json === true ? "json" : (format ?? "table");
}

/** What a capture says of itself: when it was made, and the labels it was given. */
export interface CaptureFacts {
  readonly capturedAt: string | undefined;
  readonly labels: Labels;
}

/** The capture facts of a snapshot header. */
export function snapshotCapture(header: { capturedAt: string; labels?: Labels | undefined }): CaptureFacts {
  return { capturedAt: header.capturedAt, labels: header.labels ?? {} };
}

/** The host a survey is of: from its counters and source, the capture's facts, and labels given now (which win). */
export function hostOf(
  s: Survey,
  bill: Bill,
  capture: CaptureFacts | undefined,
  labels: Labels,
): HostIdentity {
  const kernel = s.kernel;
  return {
    hostname: kernel?.hostname ?? null,
    kernelRelease: s.source.kernelRelease ?? kernel?.release ?? null,
    arch: s.source.machine ?? kernel?.arch ?? null,
    pageSize: bill.pageSize,
    ramPages: bill.ramPages,
    ramBytes: bill.ramBytes,
    capturedAt: isoTime(capture?.capturedAt ?? s.source.capturedAt),
    labels: Object.fromEntries(
      Object.entries({ ...(capture?.labels ?? {}), ...labels }).sort(([a], [b]) => (a < b ? -1 : 1)),
    ),
  };
}

/** The plugins that sized the descriptors, once per package: `@memdesc/folio@0.1.0, @memdesc/slab@0.1.0`. */
export function descriptorSet(comp: Composition): string {
  const names: string[] = [];
  for (const p of comp.plugins) {
    const name = `${p.package}${p.version ? `@${p.version}` : ""}`;
    if (!names.includes(name)) names.push(name);
  }
  return names.join(", ");
}

/** The columns of a set of rows: the fixed ones, then a label column per key any row has. */
export function rowColumns(rows: readonly Record<string, unknown>[]): ColumnSpec[] {
  return [
    ...billColumns,
    ...labelKeysOf(rows).map((k) => ({
      name: labelColumn(k),
      type: "STRING" as const,
      nullable: true,
      doc: `the label ${k}`,
    })),
  ];
}

/** Parquet key-value metadata: what made the file, and the row layout's version. */
export function parquetMetadata(
  memdescVersion: string,
  extra: Record<string, string> = {},
): Record<string, string> {
  return {
    "memdesc.schema_version": String(surveySchemaVersion),
    "memdesc.version": memdescVersion,
    ...extra,
  };
}

/** A survey in a machine format: NDJSON rows, Parquet rows, or OpenMetrics text. */
export async function machineOutput(
  format: "ndjson" | "parquet" | "openmetrics",
  host: HostIdentity,
  bill: Bill,
  parquet: Promise<typeof import("../formats/parquet.js")> | undefined,
  from: RowSource,
): Promise<string | Uint8Array> {
  if (format === "openmetrics")
    return openMetrics(host, bill, {
      memdescVersion: from.memdescVersion,
      schemaVersion: surveySchemaVersion,
    });
  const rows = billRows(host, bill, from);
  if (format === "ndjson") return ndjson(rows);
  const { toParquet } = await (parquet ?? import("../formats/parquet.js"));
  return toParquet(
    rowColumns(rows),
    rows,
    parquetMetadata(from.memdescVersion, { "memdesc.host": JSON.stringify(host) }),
    `memdesc ${from.memdescVersion}`,
  );
}
