import { closeSync, constants, fstatSync, openSync, readSync } from "node:fs";
import { billSchema } from "@memdesc/core";
import { z } from "zod";
import { isoTime, surveySchemaVersion } from "../formats/identity.js";
import { type BillRow, billColumns, billRows } from "../formats/rows.js";

/*
 * Survey JSON and NDJSON inputs to bill rows, each checked before anything of it is used: a document of
 * another schemaVersion, a row missing a column or with a column of the wrong type, is a problem of that file.
 */

/** The most read of one JSON or NDJSON file: a survey document is ~150 KB, a fleet's NDJSON a few hundred MB. */
export const maxTextInput = 1 << 30;

const count = z.number().int().nonnegative();

const surveyDocumentSchema = z.looseObject({
  schemaVersion: z.number(),
  memdesc: z.string(),
  host: z.looseObject({
    hostname: z.string().nullable(),
    kernelRelease: z.string().nullable(),
    arch: z.string().nullable(),
    pageSize: z.number().int().positive(),
    ramPages: count,
    ramBytes: count,
    capturedAt: z.string().nullable(),
    labels: z.record(z.string(), z.string()),
  }),
  source: z.looseObject({ kind: z.string(), path: z.string(), root: z.string().optional() }),
  plugins: z.array(z.looseObject({ package: z.string(), version: z.string().nullable() })),
  bill: billSchema,
});

const cell = {
  STRING: z.string(),
  INT32: z.number().int(),
  INT64: z.number().int(),
  BOOLEAN: z.boolean(),
  DOUBLE: z.number(),
  TIMESTAMP: z.string().refine((s) => !Number.isNaN(Date.parse(s)), "not a time"),
} as const;

const rowSchema = z.looseObject(
  Object.fromEntries(
    billColumns.map((c) => [c.name, c.nullable ? cell[c.type].nullable() : cell[c.type]]),
  ) as Record<string, z.ZodType>,
);

const known = new Set(billColumns.map((c) => c.name));
/** A label's column: `label_` and a label key. Only names of this shape ever reach SQL text. */
export const labelColumnPattern = /^label_[a-z][a-z0-9_]{0,63}$/;

/** Reads a text file whole (regular files only, capped). */
export function readText(path: string): string {
  const fd = openSync(path, constants.O_RDONLY | constants.O_NONBLOCK);
  try {
    const st = fstatSync(fd);
    if (!st.isFile()) throw new Error("not a regular file");
    if (st.size > maxTextInput) throw new Error(`${st.size} bytes, more than ${maxTextInput}`);
    const buf = Buffer.allocUnsafe(st.size);
    let at = 0;
    while (at < st.size) {
      const n = readSync(fd, buf, at, st.size - at, at);
      if (n === 0) break;
      at += n;
    }
    return buf.subarray(0, at).toString("utf8");
  } finally {
    closeSync(fd);
  }
}

const issue = (e: z.ZodError) => {
  const i = e.issues[0]!;
  return `${i.path.length ? i.path.join(".") : "the top level"}: ${i.message}`;
};

/** A `memdesc survey --json` document as bill rows, or why not. */
export function surveyJsonRows(text: string): { rows: BillRow[] } | { problem: string } {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (err) {
    return { problem: `not JSON (${(err as Error).message})` };
  }
  const version = (json as { schemaVersion?: unknown } | null)?.schemaVersion;
  if (version !== surveySchemaVersion)
    return {
      problem:
        version === undefined
          ? "no schemaVersion: not the JSON of `memdesc survey --json` from a memdesc that writes one"
          : `schemaVersion ${JSON.stringify(version)}, where this memdesc reads ${surveySchemaVersion}`,
    };
  const parsed = surveyDocumentSchema.safeParse(json);
  if (!parsed.success) return { problem: `not a memdesc survey: ${issue(parsed.error)}` };
  const d = parsed.data;
  const names: string[] = [];
  for (const p of d.plugins) {
    const n = `${p.package}${p.version ? `@${p.version}` : ""}`;
    if (!names.includes(n)) names.push(n);
  }
  return {
    rows: billRows({ ...d.host, capturedAt: isoTime(d.host.capturedAt ?? undefined) }, d.bill, {
      memdescVersion: d.memdesc,
      sourceKind: d.source.kind,
      source: d.source.kind === "proc" ? (d.source.root ?? "/") : d.source.path,
      descriptorSet: names.join(", "),
    }),
  };
}

/** NDJSON bill rows (`survey --format ndjson`, or many hosts' concatenated), each checked, or why not. */
export function ndjsonRows(text: string): { rows: BillRow[] } | { problem: string } {
  const rows: BillRow[] = [];
  const lines = text.split("\n");
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!.trim();
    if (line === "") continue;
    let json: unknown;
    try {
      json = JSON.parse(line);
    } catch (err) {
      return { problem: `line ${i + 1}: not JSON (${(err as Error).message})` };
    }
    const version = (json as { schema_version?: unknown } | null)?.schema_version;
    if (version !== surveySchemaVersion)
      return {
        problem: `line ${i + 1}: schema_version ${JSON.stringify(version)}, where this memdesc reads ${surveySchemaVersion}`,
      };
    const parsed = rowSchema.safeParse(json);
    if (!parsed.success) return { problem: `line ${i + 1}: ${issue(parsed.error)}` };
    for (const [k, v] of Object.entries(parsed.data)) {
      if (known.has(k)) continue;
      if (!labelColumnPattern.test(k))
        return { problem: `line ${i + 1}: ${JSON.stringify(k.slice(0, 80))} is not a column of a bill row` };
      if (v !== null && typeof v !== "string") return { problem: `line ${i + 1}: ${k} is not a string` };
    }
    rows.push(parsed.data as BillRow);
  }
  if (rows.length === 0) return { problem: "no rows" };
  return { rows };
}
