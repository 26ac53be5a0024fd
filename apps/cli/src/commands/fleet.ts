import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { bill } from "@memdesc/core";
import type { Context } from "../context.js";
import { CheckFailed, UserError } from "../errors.js";
import { type Engine, openEngine } from "../fleet/engine.js";
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
    const files = parquet.map((p) => p.path);
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
    await loadBills(engine, files, bad);
    const loaded = await engine.query("SELECT COUNT(*) AS n FROM bills");
    if (files.length === 0 || Number(loaded[0]?.n ?? 0) === 0)
      throw new UserError(
        found.inputs.length + found.bad.length === 0
          ? "no inputs found"
          : `no usable inputs: ${bad.length} skipped (${bad[0]?.file}: ${bad[0]?.problem})`,
        "give snapshots (.mdsnap), capture archives (.tar.gz), survey JSON/NDJSON or Parquet files, or directories of them",
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
    writeOutput(ctx, data);
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

const sqlList = (paths: readonly string[]) =>
  `[${paths.map((f) => `'${f.replace(/'/g, "''")}'`).join(", ")}]`;

/** DuckDB's column type for each row column type. */
const duckType: Record<string, string> = {
  STRING: "VARCHAR",
  INT32: "INTEGER",
  INT64: "BIGINT",
  BOOLEAN: "BOOLEAN",
  TIMESTAMP: "TIMESTAMP",
  DOUBLE: "DOUBLE",
};

/**
 * Reads every input's rows into one DuckDB table, `bills`, in one pass (each file's footer and columns once;
 * the questions then run in memory), and checks them there: a file DuckDB cannot read, whose columns have other
 * types, or whose rows lack a column or carry another schema_version, is named, left out, and counted.
 */
async function loadBills(engine: Engine, files: readonly string[], bad: Problem[]): Promise<void> {
  let usable = [...files];
  for (;;) {
    const create = `CREATE OR REPLACE TABLE bills AS SELECT * FROM read_parquet(${sqlList(usable)}, union_by_name = true, hive_partitioning = false, filename = true)`;
    try {
      if (usable.length === 0) {
        await engine.run(`CREATE OR REPLACE TABLE bills AS SELECT NULL AS filename WHERE false`);
        return;
      }
      await engine.run(create);
    } catch {
      // Some file cannot be read: find which, alone, and read the rest.
      const unreadable = await unreadableFiles(engine, usable);
      if (unreadable.length === 0)
        throw new UserError(
          "DuckDB could not read the inputs together",
          "run again with fewer inputs to find the one at fault",
        );
      for (const u of unreadable) bad.push(u);
      const out = new Set(unreadable.map((u) => u.file));
      usable = usable.filter((f) => !out.has(f));
      continue;
    }
    const types = new Map(
      (await engine.query("DESCRIBE bills")).map((r) => [String(r.column_name), String(r.column_type)]),
    );
    const wrong = billColumns.filter((c) => types.has(c.name) && types.get(c.name) !== duckType[c.type]);
    if (wrong.length > 0) {
      // A column of another type in some file widened the table's: find those files by their schemas.
      const schema = await engine.query(
        `SELECT file_name, name, type, converted_type FROM parquet_schema(${sqlList(usable)})`,
      );
      const culprits = new Map<string, string>();
      for (const r of schema) {
        const c = wrong.find((w) => w.name === r.name);
        if (!c) continue;
        const want = {
          STRING: ["BYTE_ARRAY"],
          INT32: ["INT32"],
          INT64: ["INT64"],
          BOOLEAN: ["BOOLEAN"],
          TIMESTAMP: ["INT64"],
          DOUBLE: ["DOUBLE"],
        }[c.type];
        if (!want.includes(String(r.type)))
          culprits.set(String(r.file_name), `column ${c.name} is ${r.type}, not ${c.type}`);
      }
      if (culprits.size === 0)
        throw new UserError(
          `the inputs' column ${wrong[0]!.name} is ${types.get(wrong[0]!.name)}`,
          "check the inputs are memdesc survey rows",
        );
      for (const [file, problem] of culprits) bad.push({ file, problem });
      usable = usable.filter((f) => !culprits.has(f));
      continue;
    }
    // Rows of another schema version, or missing a column the rows must have (union_by_name made it null).
    const required = billColumns.filter((c) => !c.nullable);
    const checks = required.map((c) =>
      types.has(c.name)
        ? `COUNT(*) FILTER (WHERE ${c.name} IS NULL) AS "${c.name}"`
        : `COUNT(*) AS "${c.name}"`,
    );
    const perFile = await engine.query(
      `SELECT filename, ${types.has("schema_version") ? "MIN(schema_version) AS lo, MAX(schema_version) AS hi" : "NULL AS lo, NULL AS hi"}, ${checks.join(", ")} FROM bills GROUP BY filename`,
    );
    const drop: string[] = [];
    for (const r of perFile) {
      const file = String(r.filename);
      const missing = required.filter((c) => Number(r[c.name]) > 0).map((c) => c.name);
      let problem: string | undefined;
      if (r.lo !== null && (r.lo !== 1 || r.hi !== 1))
        problem = `schema_version ${r.lo === 1 ? r.hi : r.lo}, where this memdesc reads 1`;
      else if (missing.length > 0)
        problem = `not survey rows: no ${missing.slice(0, 3).join(", ")}${missing.length > 3 ? ", …" : ""}`;
      if (problem) {
        bad.push({ file, problem });
        drop.push(file);
      }
    }
    if (drop.length > 0)
      await engine.run(
        `DELETE FROM bills WHERE filename IN (${drop.map((f) => `'${f.replace(/'/g, "''")}'`).join(", ")})`,
      );
    return;
  }
}

/** The files DuckDB cannot read (a Parquet file cut short, or not Parquet at all), found by halving. */
async function unreadableFiles(engine: Engine, paths: readonly string[]): Promise<Problem[]> {
  try {
    await engine.query(
      `SELECT COUNT(*) FROM read_parquet(${sqlList(paths)}, union_by_name = true, hive_partitioning = false)`,
    );
    return [];
  } catch (err) {
    if (paths.length === 1)
      return [
        {
          file: paths[0]!,
          problem: `not a Parquet file DuckDB can read (${(err as Error).message.split("\n")[0]})`,
        },
      ];
    const half = Math.ceil(paths.length / 2);
    return [
      ...(await unreadableFiles(engine, paths.slice(0, half))),
      ...(await unreadableFiles(engine, paths.slice(half))),
    ];
  }
}

/** `--save DIR`: the fleet's bill rows as a Parquet dataset partitioned by capture date and host. */
async function save(engine: Engine, dir: string): Promise<void> {
  mkdirSync(dir, { recursive: true });
  const host = "regexp_replace(COALESCE(hostname, source), '[^A-Za-z0-9._-]', '_', 'g')";
  await engine.run(
    `COPY (SELECT * EXCLUDE (filename), CAST(CAST(captured_at AS DATE) AS VARCHAR) AS capture_date, ${host} AS host FROM bills) TO '${dir.replace(/'/g, "''")}' (FORMAT parquet, PARTITION_BY (capture_date, host), OVERWRITE_OR_IGNORE true)`,
  );
}
