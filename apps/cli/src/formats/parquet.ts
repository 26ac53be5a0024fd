import { parquetWriteBuffer } from "hyparquet-writer";
import type { ColumnSpec } from "./rows.js";

/*
 * Rows to a Parquet file with hyparquet-writer (pure JavaScript). Columns are typed as declared: strings UTF-8,
 * counts INT64, times TIMESTAMP (milliseconds, UTC). Loaded only by the commands that write Parquet.
 */

type Cell = string | number | boolean | null | undefined;

function columnData(spec: ColumnSpec, rows: readonly Record<string, unknown>[]) {
  const values = rows.map((r) => r[spec.name] as Cell);
  const data = values.map((v) => {
    if (v === null || v === undefined) {
      if (!spec.nullable) throw new Error(`parquet: column ${spec.name} is not nullable`);
      return null;
    }
    switch (spec.type) {
      case "INT64":
        return BigInt(v as number);
      case "TIMESTAMP":
        return new Date(v as string);
      default:
        return v;
    }
  });
  return { name: spec.name, data, type: spec.type, nullable: spec.nullable };
}

/** Writes the rows as one Parquet file: the columns in order, with `metadata` as its key-value metadata. */
export function toParquet(
  columns: readonly ColumnSpec[],
  rows: readonly Record<string, unknown>[],
  metadata: Readonly<Record<string, string>>,
  createdBy: string,
): Uint8Array {
  const buffer = parquetWriteBuffer({
    columnData: columns.map((c) => columnData(c, rows)),
    kvMetadata: Object.entries(metadata).map(([key, value]) => ({ key, value })),
    createdBy,
    // One row group a file for the small files a survey writes; engines split larger fleet files by groups.
    rowGroupSize: 100_000,
  });
  return new Uint8Array(buffer);
}
