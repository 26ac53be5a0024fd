import { spawnSync } from "node:child_process";
import { cpSync, mkdirSync, readdirSync, readFileSync, truncateSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { DuckDBInstance } from "@duckdb/node-api";
import { parquetReadObjects } from "hyparquet";
import { beforeAll, describe, expect, it } from "vitest";
// @ts-expect-error: a plain JavaScript module of the bench, without types
import { generateSnapshots, generateSurveys } from "../bench/fleet-gen.js";
import { bin, cliRoot, expectUserError, repoRoot, run, tempDir, validJson } from "./helpers.js";

/*
 * `memdesc fleet` over a small generated fleet (the 10,000-host figures are the bench's): every input kind, bad
 * inputs among good ones, totals against the hosts' own bills summed here without DuckDB, and every SQL block
 * of docs/fleet.md run in DuckDB against the same files, compared with what `memdesc fleet` answers.
 */

const dir = tempDir("memdesc-fleet-");
const surveys = join(dir, "surveys");
const mixed = join(dir, "mixed");
type Row = Record<string, unknown>;
interface FleetJson {
  schemaVersion: number;
  design: string;
  inputs: { files: number; used: number; ignored: number; skipped: { file: string; problem: string }[] };
  totals: Row[];
  distribution: Row[];
  hosts: Row[];
}

const fleet = (...args: string[]) => {
  const r = run(["fleet", ...args], { timeout: 120_000 });
  return { ...r, json: r.stdout.startsWith("{") ? (JSON.parse(r.stdout) as FleetJson) : undefined };
};

async function readRows(file: string): Promise<Row[]> {
  const bytes = readFileSync(file);
  return (await parquetReadObjects({
    file: bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength),
  })) as Row[];
}

const walk = (d: string): string[] =>
  readdirSync(d, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? walk(join(d, e.name)) : [join(d, e.name)],
  );

beforeAll(async () => {
  await generateSurveys({ out: surveys, count: 240, seed: 7, cwd: cliRoot });
  // The mixed fleet: the same Parquet hosts, NDJSON hosts, snapshots, a survey JSON, and bad inputs.
  cpSync(surveys, join(mixed, "parquet"), { recursive: true });
  await generateSurveys({
    out: join(mixed, "ndjson"),
    count: 30,
    seed: 8,
    format: "ndjson",
    prefix: "nd-",
    cwd: cliRoot,
  });
  await generateSnapshots({ out: join(mixed, "snapshots"), count: 4, seed: 9, prefix: "snap-" });
  const sample = run(["survey", "--sample", "--json", "-l", "team=storage"]);
  writeFileSync(join(mixed, "sample.json"), sample.stdout);
  mkdirSync(join(mixed, "bad"));
  const doc = JSON.parse(sample.stdout) as Row;
  writeFileSync(join(mixed, "bad/old.json"), JSON.stringify({ ...doc, schemaVersion: 2 }));
  const snap = readdirSync(join(mixed, "snapshots"))[0]!;
  cpSync(join(mixed, "snapshots", snap), join(mixed, "bad/cut.mdsnap"));
  truncateSync(join(mixed, "bad/cut.mdsnap"), 3000);
  const pq = walk(surveys)[0]!;
  cpSync(pq, join(mixed, "bad/cut.parquet"));
  truncateSync(join(mixed, "bad/cut.parquet"), 200);
  writeFileSync(join(mixed, "bad/rows.ndjson"), '{"schema_version":1,"hostname":"x"}\n');
  // Parquet that DuckDB reads but memdesc must not take: rows of another schema version; a column of another type.
  const { toParquet } = await import(join(cliRoot, "dist/formats/parquet.js"));
  const { billColumns } = await import(join(cliRoot, "dist/formats/rows.js"));
  const good = await readRows(pq);
  const plain = good.map((r) =>
    Object.fromEntries(
      Object.entries(r).map(([k, v]) => [
        k,
        typeof v === "bigint" ? Number(v) : v instanceof Date ? v.toISOString() : v,
      ]),
    ),
  );
  writeFileSync(
    join(mixed, "bad/v2.parquet"),
    toParquet(
      billColumns,
      plain.map((r) => ({ ...r, schema_version: 2, hostname: "v2-host" })),
      { "memdesc.schema_version": "2" },
      "test",
    ),
  );
  writeFileSync(
    join(mixed, "bad/strings.parquet"),
    toParquet(
      billColumns.map((c: { name: string }) => (c.name === "total_bytes" ? { ...c, type: "STRING" } : c)),
      plain.map((r) => ({ ...r, total_bytes: String(r.total_bytes), hostname: "str-host" })),
      {},
      "test",
    ),
  );
  writeFileSync(join(mixed, "bad/junk.json"), "[1, 2");
  writeFileSync(join(mixed, "README.txt"), "not an input\n");
}, 300_000);

describe("memdesc fleet", () => {
  it("names every bad input, skips it, counts it, and exits 1 unless --skip-bad", () => {
    const r = fleet(mixed, "--json");
    expect(r.status).toBe(1);
    const j = r.json!;
    const skipped = j.inputs.skipped.map((s) => s.file.slice(mixed.length + 1)).sort();
    expect(skipped).toEqual([
      "bad/cut.mdsnap",
      "bad/cut.parquet",
      "bad/junk.json",
      "bad/old.json",
      "bad/rows.ndjson",
      "bad/strings.parquet",
      "bad/v2.parquet",
    ]);
    const why = Object.fromEntries(j.inputs.skipped.map((s) => [s.file.slice(mixed.length + 1), s.problem]));
    expect(why["bad/old.json"]).toMatch(/schemaVersion 2, where this memdesc reads 1/);
    expect(why["bad/cut.mdsnap"]).toMatch(/cut\.mdsnap/);
    expect(why["bad/cut.parquet"]).toMatch(/Parquet/);
    expect(why["bad/rows.ndjson"]).toMatch(/line 1: memdesc_version/);
    expect(why["bad/v2.parquet"]).toBe("schema_version 2, where this memdesc reads 1");
    expect(why["bad/strings.parquet"]).toBe("column total_bytes is BYTE_ARRAY, not INT64");
    for (const f of skipped) expect(r.stderr).toContain(`memdesc fleet: skipped ${join(mixed, f)}: `);
    expect(j.inputs).toMatchObject({ files: 240 + 30 + 4 + 1 + 7, used: 240 + 30 + 4 + 1, ignored: 1 });
    const ok = fleet(mixed, "--json", "--skip-bad", "--by", "kernel,team");
    expect(ok.status).toBe(0);
    // The JSON is what schemas/fleet.schema.json publishes (grouped, labels, skipped inputs and all).
    validJson("fleet", ok);
    const text = fleet(mixed, "--skip-bad");
    expect(text.stdout).toMatch(
      /^memdesc fleet: 275 hosts \(275 captures\) from 275 of 282 inputs, 7 skipped, 1 other files ignored: /,
    );
  });

  it("totals each design as the sum of the hosts' own bills (read here, without DuckDB)", async () => {
    const want: Record<string, number> = {};
    const add = (design: string, bytes: number) => {
      want[design] = (want[design] ?? 0) + bytes;
    };
    for (const f of walk(join(mixed, "parquet")))
      for (const r of await readRows(f)) add(String(r.design), Number(r.total_bytes));
    for (const f of walk(join(mixed, "ndjson")))
      for (const line of readFileSync(f, "utf8").trimEnd().split("\n")) {
        const r = JSON.parse(line) as Row;
        add(String(r.design), Number(r.total_bytes));
      }
    const billOf = (args: string[]) =>
      (
        JSON.parse(run(["survey", "--json", ...args]).stdout) as {
          bill: { designs: { design: string; total: number }[] };
        }
      ).bill.designs;
    for (const s of readdirSync(join(mixed, "snapshots")))
      for (const d of billOf(["--snapshot", join(mixed, "snapshots", s)])) add(d.design, d.total);
    for (const d of billOf(["--sample"])) add(d.design, d.total);
    const j = fleet(mixed, "--json", "--skip-bad").json!;
    const got = Object.fromEntries(j.totals.map((t) => [t.design, t.total_bytes]));
    expect(got).toEqual(want);
    expect(j.totals.every((t) => t.hosts === 275)).toBe(true);
  });

  it("runs every SQL block of docs/fleet.md in DuckDB, and gets memdesc fleet's answers", async () => {
    const doc = readFileSync(join(repoRoot, "docs/fleet.md"), "utf8");
    const blocks = [...doc.matchAll(/```(duckdb|sql)\n([\s\S]*?)```/g)].map((m) => ({
      lang: m[1]!,
      sql: m[2]!,
    }));
    expect(blocks[0]!.lang).toBe("duckdb");
    expect(blocks.filter((b) => b.lang === "sql").length).toBe(7);
    // The doc's statements are the ones memdesc fleet runs (with the label it uses).
    const sql = await import(join(cliRoot, "dist/fleet/sql.js"));
    const L = ["label_team"];
    expect(blocks.slice(1).map((b) => b.sql.trim())).toEqual(
      [
        sql.hostsView(L),
        sql.savingsView(L),
        sql.totalsQuery,
        sql.distributionQuery([sql.grouping("kernel")]),
        sql.distributionQuery([sql.grouping("team")]),
        sql.distributionQuery([sql.grouping("ram")]),
        sql.hostsQuery(L),
      ].map((s: string) => s.trim()),
    );
    const db = await DuckDBInstance.create(":memory:");
    const c = await db.connect();
    const answers: Row[][] = [];
    for (const b of blocks) {
      const text = b.sql.replace("fleet/bills/**/*.parquet", `${surveys}/**/*.parquet`);
      const statements = text.split(/;\s*\n/).filter((s) => s.trim());
      for (const s of statements) {
        const r = await c.runAndReadAll(s);
        if (/^\s*(SELECT|WITH)/.test(s)) answers.push(r.getRowObjectsJS() as Row[]);
      }
    }
    c.closeSync();
    const plain = (rows: Row[]) =>
      rows.map((r) =>
        Object.fromEntries(
          Object.entries(r).map(([k, v]) => [
            k,
            typeof v === "bigint" ? Number(v) : v instanceof Date ? v.toISOString() : v,
          ]),
        ),
      );
    const [totals, byKernel, byTeam, byRam, hosts] = answers.map(plain);
    expect(fleet(surveys, "--json").json!.totals).toEqual(totals);
    expect(fleet(surveys, "--json", "--by", "kernel").json!.distribution).toEqual(byKernel);
    expect(fleet(surveys, "--json", "--by", "team").json!.distribution).toEqual(byTeam);
    const ram = fleet(surveys, "--json", "--by", "ram").json!;
    expect(ram.distribution).toEqual(byRam);
    // The document's hosts carry the one label it names; memdesc fleet's carry every label the inputs have.
    expect(ram.hosts.map(({ label_region: _, label_workload: __, ...h }) => h)).toEqual(hosts);
    expect(byKernel!.length).toBeGreaterThan(8);
    // A nearest-rank percentile is a host's own value: p50 of each group is one of its hosts' savings.
    for (const g of byKernel!) {
      const mine = hosts!.filter((h) => h.kernel_release === g.kernel_release && h.design === g.design);
      expect(mine.length).toBe(g.hosts);
      const sorted = mine.map((h) => h.saving_bytes as number).sort((a, b) => a - b);
      expect(g.p50_bytes).toBe(sorted[Math.ceil(0.5 * sorted.length) - 1]);
      expect(g.p10_bytes).toBe(sorted[Math.ceil(0.1 * sorted.length) - 1]);
      expect(g.min_bytes).toBe(sorted[0]);
    }
  });

  it("writes the hosts as Parquet that DuckDB reads with the documented columns, and the dataset with --save", async () => {
    const out = join(dir, "fleet.parquet");
    const save = join(dir, "dataset/bills");
    const r = run(["fleet", surveys, "--format", "parquet", "-o", out, "--save", save]);
    expect(r.status, r.stderr).toBe(0);
    const db = await DuckDBInstance.create(":memory:");
    const c = await db.connect();
    const described = (await c.runAndReadAll(`DESCRIBE SELECT * FROM '${out}'`)).getRowObjectsJson();
    const doc = readFileSync(join(repoRoot, "docs/fleet.md"), "utf8");
    const from = doc.indexOf("## `memdesc fleet`'s output");
    const section = doc.slice(from, doc.indexOf("\n## ", from + 1));
    const documented = [...section.matchAll(/^\| `([a-z_]+)`\s*\| (\w+)\s*\|/gm)].map((m) => [m[1], m[2]]);
    const duck: Record<string, string> = {
      STRING: "VARCHAR",
      INT64: "BIGINT",
      DOUBLE: "DOUBLE",
      TIMESTAMP: "TIMESTAMP",
    };
    expect(described.map((d) => [d.column_name, d.column_type])).toEqual([
      ...documented.map(([n, t]) => [n, duck[t!]]),
      ["label_region", "VARCHAR"],
      ["label_team", "VARCHAR"],
      ["label_workload", "VARCHAR"],
    ]);
    const count = (await c.runAndReadAll(`SELECT COUNT(*)::INTEGER AS n FROM '${out}'`)).getRowObjectsJson();
    expect(count).toEqual([{ n: 240 * 3 }]);
    // The saved dataset: Hive partitions by date and host, the same rows as the inputs.
    const parts = walk(save).map((f) => f.slice(save.length + 1));
    expect(
      parts.every((p) => /^capture_date=2026-12-0[12]\/host=[a-z]+-\d{5}\/data_0\.parquet$/.test(p)),
    ).toBe(true);
    expect(parts.length).toBe(240);
    const rows = (
      await c.runAndReadAll(
        `SELECT COUNT(*)::INTEGER AS n FROM read_parquet('${save}/**/*.parquet', hive_partitioning = true)`,
      )
    ).getRowObjectsJson();
    const inputs = (
      await c.runAndReadAll(`SELECT COUNT(*)::INTEGER AS n FROM read_parquet('${surveys}/**/*.parquet')`)
    ).getRowObjectsJson();
    expect(rows).toEqual(inputs);
    c.closeSync();
  });

  it("says in one line how to install DuckDB when it is missing", () => {
    const r = spawnSync(
      process.execPath,
      ["--import", join(cliRoot, "test/no-duckdb.mjs"), bin, "fleet", surveys],
      {
        encoding: "utf8",
      },
    );
    expectUserError(
      { status: r.status, stdout: r.stdout, stderr: r.stderr },
      /memdesc fleet needs DuckDB, which is not installed \(@duckdb\/node-api, an optional peer dependency\)/,
    );
    expect(r.stderr).toMatch(/hint: install it beside memdesc: npm install -g @duckdb\/node-api@\^1\.5/);
  });

  it("refuses a grouping or design it cannot answer, in one line", () => {
    expectUserError(run(["fleet", surveys, "--by", "colour"]), /--by colour: no input has the label colour/);
    expectUserError(run(["fleet", surveys, "--by", "Kernel!"]), /--by Kernel!: not a grouping/);
    expectUserError(run(["fleet", join(dir, "nowhere")]), /no usable inputs: 1 skipped .*does not exist/);
  });
});
