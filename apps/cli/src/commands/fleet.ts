import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { bill } from "@memdesc/core";
import type { Context } from "../context.js";
import { CheckFailed, UserError } from "../errors.js";
import { openEngine, type Row } from "../fleet/engine.js";
import { findInputs, type Input, type Problem } from "../fleet/inputs.js";
import { labelColumnPattern, ndjsonRows, readText, surveyJsonRows } from "../fleet/load.js";
import { type FleetFormat, type FleetResult, fleetOutput } from "../fleet/report.js";
import {
  distributionQuery,
  type Grouping,
  grouping,
  hostsQuery,
  hostsView,
  savingsView,
  totalsQuery,
} from "../fleet/sql.js";
import { isoTime } from "../formats/identity.js";
import { type BillRow, billColumns, billRows } from "../formats/rows.js";
import { writeOutput } from "../output/write.js";
import { memdescVersion } from "../version.js";
import { composeFrom, hvoOption } from "./shared.js";
import { descriptorSet, parquetMetadata, rowColumns } from "./survey-formats.js";

/**
 * `memdesc fleet INPUT…`: many hosts' bills, from snapshots, capture archives, survey JSON/NDJSON or Parquet,
 * asked of DuckDB in SQL: the fleet's total per design, and the distribution of the saving per host, by group.
 */
export default async function fleet(
  ctx: Context,
  opts: Record<string, unknown>,
  ...args: string[]
): Promise<void> {
  const inputsGiven = (args[0] as unknown as string[] | undefined) ?? [];
  const format = fleetFormat(opts);
  const groups = groupsOption(opts);
  const engine = await openEngine();
  const staging = mkdtempSync(join(tmpdir(), "memdesc-fleet-"));
  try {
    const found = findInputs(inputsGiven, ctx.cwd);
    const bad: Problem[] = [...found.bad];
    const comp = await composeFrom(ctx.cwd, opts);
    const design = (opts.design as string | undefined) ?? comp.design.name;
    const rows: BillRow[] = [];
    const parquet: Input[] = [];
    const surveyed: Input[] = [];
    for (const input of found.inputs) {
      if (input.kind === "parquet") parquet.push(input);
      else if (input.kind === "snapshot" || input.kind === "archive") surveyed.push(input);
      else {
        let loaded: { rows: BillRow[] } | { problem: string };
        try {
          const text = readText(input.path);
          loaded = input.kind === "json" ? surveyJsonRows(text) : ndjsonRows(text);
        } catch (err) {
          loaded = { problem: (err as Error).message };
        }
        if ("problem" in loaded) bad.push({ file: input.path, problem: loaded.problem });
        else rows.push(...loaded.rows);
      }
    }
    if (surveyed.length > 0) {
      const { surveyAll } = await import("../fleet/pool.js");
      const set = descriptorSet(comp);
      await surveyAll(
        surveyed.map((s, id) => ({ id, kind: s.kind as "snapshot" | "archive", path: s.path })),
        (r) => {
          const input = surveyed[r.id]!;
          if (!r.ok) {
            bad.push({ file: input.path, problem: r.problem });
            return;
          }
          const b = bill(comp.registry, r.picture, hvoOption(opts));
          rows.push(
            ...billRows(
              {
                hostname: r.hostname,
                kernelRelease: r.kernelRelease,
                arch: r.arch,
                pageSize: b.pageSize,
                ramPages: b.ramPages,
                ramBytes: b.ramBytes,
                capturedAt: isoTime(r.capturedAt ?? undefined),
                labels: r.labels,
              },
              b,
              { memdescVersion, sourceKind: input.kind, source: input.path, descriptorSet: set },
            ),
          );
        },
      );
    }
    const files = parquet.length > 0 ? await checkParquet(engine, parquet, bad) : [];
    if (rows.length > 0) {
      // The inputs that were not Parquet already, written as Parquet for DuckDB to read beside the others.
      const { toParquet } = await import("../formats/parquet.js");
      const staged = join(staging, "converted.parquet");
      writeFileSync(
        staged,
        toParquet(rowColumns(rows), rows, parquetMetadata(memdescVersion), `memdesc ${memdescVersion}`),
      );
      files.push(staged);
    }
    if (files.length === 0)
      throw new UserError(
        found.inputs.length + found.bad.length === 0
          ? "no inputs found"
          : `no usable inputs: ${bad.length} skipped (${bad[0]?.file}: ${bad[0]?.problem})`,
        "give snapshots (.mdsnap), capture archives (.tar.gz), survey JSON/NDJSON or Parquet files, or directories of them",
      );
    const list = `[${files.map((f) => `'${f.replace(/'/g, "''")}'`).join(", ")}]`;
    await engine.run(
      `CREATE VIEW bills AS SELECT * FROM read_parquet(${list}, union_by_name = true, hive_partitioning = false)`,
    );
    const columns = (await engine.query("DESCRIBE bills")).map((r) => String(r.column_name));
    const labels = columns.filter((c) => labelColumnPattern.test(c)).sort();
    for (const g of groups)
      if (g.column.startsWith("label_") && !labels.includes(g.column))
        throw new UserError(
          `--by ${g.name}: no input has the label ${g.name}`,
          labels.length > 0
            ? `the labels are: ${labels.map((l) => l.slice(6)).join(", ")}; or --by kernel, arch or ram`
            : "no input has labels: --by kernel, arch or ram",
        );
    await engine.run(hostsView(labels));
    await engine.run(savingsView(labels));
    const totals = await engine.query(totalsQuery);
    if (!totals.some((t) => t.design === design))
      throw new UserError(
        `--design ${design}: no input was billed under it`,
        `the designs are: ${totals.map((t) => t.design).join(", ")}`,
      );
    const distribution = await engine.query(distributionQuery(groups));
    const hosts = await engine.query(hostsQuery(labels));
    const sets = await engine.query("SELECT DISTINCT descriptor_set FROM bills ORDER BY descriptor_set");
    const captures = await engine.query(
      "SELECT COUNT(*) AS captures, MIN(captured_at) AS first, MAX(captured_at) AS last FROM (SELECT DISTINCT host, source, captured_at FROM captures) c",
    );
    if (typeof opts.save === "string") await save(engine, resolve(ctx.cwd, opts.save));
    const result: FleetResult = {
      design,
      groups,
      labels: labels.map((l) => l.slice(6)),
      inputs: {
        files: found.inputs.length + found.bad.length,
        used: found.inputs.length - (bad.length - found.bad.length),
        ignored: found.ignored,
        skipped: bad,
      },
      captures: Number(captures[0]?.captures ?? 0),
      firstCapture: (captures[0]?.first as string | null) ?? null,
      lastCapture: (captures[0]?.last as string | null) ?? null,
      descriptorSets: sets.map((s) => String(s.descriptor_set)),
      totals,
      distribution,
      hosts,
    };
    for (const b of bad) ctx.err(`memdesc fleet: skipped ${b.file}: ${b.problem}\n`);
    const data = await fleetOutput(format, result, ctx.c);
    writeOutput(ctx, opts.output as string | undefined, data);
    if (bad.length > 0 && opts.skipBad !== true)
      throw new CheckFailed(`${bad.length} input${bad.length === 1 ? "" : "s"} skipped`);
  } finally {
    engine.close();
    rmSync(staging, { recursive: true, force: true });
  }
}

function fleetFormat(opts: Record<string, unknown>): FleetFormat {
  const format = opts.format as FleetFormat | undefined;
  if (opts.json === true && format !== undefined && format !== "json")
    throw new UserError(
      `--json and --format ${format} ask for two formats`,
      "give one: --format json is --json",
    );
  return opts.json === true ? "json" : (format ?? "table");
}

function groupsOption(opts: Record<string, unknown>): Grouping[] {
  const by = typeof opts.by === "string" ? opts.by.split(",").map((s) => s.trim()) : [];
  return by.map((name) => {
    const g = grouping(name);
    if (!g)
      throw new UserError(
        `--by ${name}: not a grouping`,
        "kernel, arch, ram (RAM size class), or a label key such as team; several with commas: --by kernel,team",
      );
    return g;
  });
}

/**
 * Checks Parquet inputs before DuckDB reads them together: each must be survey rows (its key-value metadata says
 * memdesc and the schema version, and it has every column). A file DuckDB cannot read is found alone.
 */
async function checkParquet(
  engine: Awaited<ReturnType<typeof openEngine>>,
  inputs: readonly Input[],
  bad: Problem[],
): Promise<string[]> {
  const ok: string[] = [];
  const lit = (paths: readonly string[]) => `[${paths.map((f) => `'${f.replace(/'/g, "''")}'`).join(", ")}]`;
  const inspect = async (paths: readonly string[]): Promise<void> => {
    let meta: Row[];
    let schema: Row[];
    try {
      meta = await engine.query(
        `SELECT file_name, decode(key) AS key, decode(value) AS value FROM parquet_kv_metadata(${lit(paths)})`,
      );
      schema = await engine.query(`SELECT file_name, name, type FROM parquet_schema(${lit(paths)})`);
    } catch (err) {
      if (paths.length === 1) {
        bad.push({
          file: paths[0]!,
          problem: `not a Parquet file DuckDB can read (${(err as Error).message.split("\n")[0]})`,
        });
        return;
      }
      const half = Math.ceil(paths.length / 2);
      await inspect(paths.slice(0, half));
      await inspect(paths.slice(half));
      return;
    }
    const versions = new Map<string, string>();
    for (const m of meta)
      if (m.key === "memdesc.schema_version") versions.set(String(m.file_name), String(m.value));
    const cols = new Map<string, Map<string, string>>();
    for (const s of schema) {
      const f = String(s.file_name);
      if (!cols.has(f)) cols.set(f, new Map());
      cols.get(f)!.set(String(s.name), String(s.type));
    }
    for (const p of paths) {
      const v = versions.get(p);
      const c = cols.get(p) ?? new Map<string, string>();
      const missing = billColumns.filter((b) => !c.has(b.name)).map((b) => b.name);
      if (v === undefined)
        bad.push({ file: p, problem: "not survey rows (no memdesc.schema_version in its metadata)" });
      else if (v !== "1") bad.push({ file: p, problem: `schema version ${v}, where this memdesc reads 1` });
      else if (missing.length > 0) bad.push({ file: p, problem: `no column ${missing.join(", ")}` });
      else ok.push(p);
    }
  };
  // DuckDB reads footers of many files per call; a few thousand to a call keeps each statement's text small.
  for (let i = 0; i < inputs.length; i += 2000) await inspect(inputs.slice(i, i + 2000).map((x) => x.path));
  return ok;
}

/** `--save DIR`: the fleet's bill rows as a Parquet dataset partitioned by capture date and host. */
async function save(engine: Awaited<ReturnType<typeof openEngine>>, dir: string): Promise<void> {
  mkdirSync(dir, { recursive: true });
  const host = "regexp_replace(COALESCE(hostname, source), '[^A-Za-z0-9._-]', '_', 'g')";
  await engine.run(
    `COPY (SELECT *, CAST(CAST(captured_at AS DATE) AS VARCHAR) AS capture_date, ${host} AS host FROM bills) TO '${dir.replace(/'/g, "''")}' (FORMAT parquet, PARTITION_BY (capture_date, host), OVERWRITE_OR_IGNORE true)`,
  );
}
