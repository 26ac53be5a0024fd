// The yardstick for `memdesc fleet`'s bench: DuckDB alone, in a fresh node process, answering the same SQL over
// the same Parquet files (the statements of docs/fleet.md, as memdesc fleet runs them), printing the answers as
// JSON. `node bench/duckdb-alone.js DIR [--by kernel]`
import { DuckDBInstance } from "@duckdb/node-api";
import {
  distributionQuery,
  grouping,
  hostsQuery,
  hostsView,
  savingsView,
  totalsQuery,
} from "../dist/fleet/sql.js";

const [dir, ...rest] = process.argv.slice(2);
const by = rest[rest.indexOf("--by") + 1];
const db = await DuckDBInstance.create(":memory:", { threads: "2" });
const c = await db.connect();
// As docs/fleet.md sets DuckDB up: the files read once into a table, then the questions.
await c.run(
  `CREATE TABLE bills AS SELECT * FROM read_parquet('${dir}/**/*.parquet', union_by_name = true, hive_partitioning = false)`,
);
const labels = (await c.runAndReadAll("DESCRIBE bills"))
  .getRowObjectsJson()
  .map((r) => String(r.column_name))
  .filter((n) => /^label_[a-z][a-z0-9_]*$/.test(n));
await c.run(hostsView(labels));
await c.run(savingsView(labels));
const out = {};
for (const [name, sql] of [
  ["totals", totalsQuery],
  ["distribution", distributionQuery(by ? [grouping(by)] : [])],
  ["hosts", hostsQuery(labels)],
])
  out[name] = (await c.runAndReadAll(sql)).getRowObjectsJson();
process.stdout.write(JSON.stringify(out));
