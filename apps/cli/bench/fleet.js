// `memdesc fleet` at scale, against DuckDB alone answering the same SQL over the same Parquet (the yardstick).
//
//   node bench/fleet.js [--hosts 10000] [--snapshots 1000] [--runs 5] [--live]   (0 hosts or snapshots: that part is not run)
//
// 1. 10,000 host surveys (bench/fleet-gen.js: the shipped sample, and this machine with --live, re-mixed by
//    workload and RAM class), one Parquet file each in the partitioned layout. Timed in turn, A B A B …:
//    `memdesc fleet DIR --by kernel --json` (a fresh process: start-up, DuckDB's checks of every file, the
//    views and queries, the JSON) and `node bench/duckdb-alone.js DIR --by kernel` (a fresh process: DuckDB and
//    the same statements over the same files). Wall time, peak memory (maxrss, from /usr/bin/time) and bill rows
//    per second, medians, and the ratio run by run.
// 2. 1,000 snapshots (page maps of the captures' real memory sections, 2–16 GiB each): `memdesc fleet` surveys
//    every one and then asks DuckDB; the yardstick is DuckDB alone over the Parquet those surveys make
//    (`--save`). The ratio here is mostly the surveys', which DuckDB alone does not do.
//
// The generated inputs are kept under the temp directory for later runs (delete it to make them again).
import { spawnSync } from "node:child_process";
import { existsSync, readdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { generateSnapshots, generateSurveys } from "./fleet-gen.js";

const here = dirname(fileURLToPath(import.meta.url));
const cli = join(here, "../bin/memdesc.cjs");
const args = process.argv.slice(2);
const opt = (name, def) => (args.includes(`--${name}`) ? Number(args[args.indexOf(`--${name}`) + 1]) : def);
const hosts = opt("hosts", 10000);
const snapshots = opt("snapshots", 1000);
const runs = opt("runs", 5);
const base = join(tmpdir(), "memdesc-fleet-bench");

const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};

/** Runs a command once, output thrown away; wall seconds and peak memory (KiB) as /usr/bin/time reports them. */
function timed(cmd) {
  const r = spawnSync("/usr/bin/time", ["-f", "%e %M", ...cmd], {
    encoding: "utf8",
    stdio: ["ignore", "ignore", "pipe"],
    maxBuffer: 1 << 26,
  });
  const last = r.stderr.trimEnd().split("\n").pop();
  const [wall, kb] = last.split(" ").map(Number);
  if (r.status !== 0) throw new Error(`${cmd.join(" ")}: exit ${r.status}\n${r.stderr.slice(0, 2000)}`);
  return { wall, kb };
}

function compare(label, a, b, rows, note) {
  timed(a);
  timed(b); // warm-up: the files in the page cache, node's and DuckDB's code loaded once
  const A = [];
  const B = [];
  for (let i = 0; i < runs; i++) {
    A.push(timed(a));
    B.push(timed(b));
  }
  const wa = median(A.map((x) => x.wall));
  const wb = median(B.map((x) => x.wall));
  const ratios = A.map((x, i) => x.wall / B[i].wall);
  console.log(`\n${label} (${rows.toLocaleString("en-US")} bill rows; medians of ${runs} interleaved runs)`);
  console.log(
    `  memdesc fleet    ${wa.toFixed(2)} s  ${(median(A.map((x) => x.kb)) / 1024).toFixed(0)} MiB peak  ${Math.round(rows / wa).toLocaleString("en-US")} rows/s`,
  );
  console.log(
    `  DuckDB alone     ${wb.toFixed(2)} s  ${(median(B.map((x) => x.kb)) / 1024).toFixed(0)} MiB peak  ${Math.round(rows / wb).toLocaleString("en-US")} rows/s`,
  );
  console.log(
    `  ratio            ${median(ratios).toFixed(2)}× (run by run ${Math.min(...ratios).toFixed(2)}–${Math.max(...ratios).toFixed(2)}; ${note})`,
  );
}

const rowsOf = (dir) => {
  const r = spawnSync(
    process.execPath,
    [
      "-e",
      `const {DuckDBInstance}=await import("@duckdb/node-api");const d=await DuckDBInstance.create();const c=await d.connect();console.log(String((await c.runAndReadAll("SELECT COUNT(*) n FROM read_parquet('${dir}/**/*.parquet', hive_partitioning=false)")).getRowObjectsJson()[0].n))`,
      "--input-type=module",
    ],
    { cwd: here, encoding: "utf8" },
  );
  return Number(r.stdout.trim());
};

const count = (dir) =>
  existsSync(dir)
    ? readdirSync(dir, { recursive: true }).filter((f) => /\.(parquet|mdsnap)$/.test(String(f))).length
    : 0;

console.log(`memdesc fleet bench on ${process.arch}, node ${process.version}; inputs under ${base}`);
const surveys = join(base, `surveys-${hosts}`);
if (hosts > 0 && count(surveys) !== hosts) {
  rmSync(surveys, { recursive: true, force: true });
  const t = performance.now();
  await generateSurveys({ out: surveys, count: hosts, live: args.includes("--live") });
  console.log(`generated ${hosts} host surveys in ${((performance.now() - t) / 1000).toFixed(1)} s`);
}
if (hosts > 0)
  compare(
    `${hosts.toLocaleString("en-US")} host surveys (Parquet, one file a host)`,
    [process.execPath, cli, "fleet", surveys, "--by", "kernel", "--json"],
    [process.execPath, join(here, "duckdb-alone.js"), surveys, "--by", "kernel"],
    rowsOf(surveys),
    "goal ≤ 1.5×",
  );

if (snapshots > 0) {
  const snaps = join(base, `snapshots-${snapshots}`);
  if (count(snaps) !== snapshots) {
    rmSync(snaps, { recursive: true, force: true });
    const t = performance.now();
    await generateSnapshots({ out: snaps, count: snapshots });
    console.log(`\ngenerated ${snapshots} snapshots in ${((performance.now() - t) / 1000).toFixed(1)} s`);
  }
  const saved = join(base, `snapshots-${snapshots}-bills`);
  rmSync(saved, { recursive: true, force: true });
  const made = spawnSync(process.execPath, [cli, "fleet", snaps, "--json", "--save", saved], {
    stdio: "ignore",
  });
  if (made.status !== 0) throw new Error(`memdesc fleet --save: exit ${made.status}`);
  compare(
    `${snapshots.toLocaleString("en-US")} snapshots (each surveyed, then asked)`,
    [process.execPath, cli, "fleet", snaps, "--by", "kernel", "--json"],
    [process.execPath, join(here, "duckdb-alone.js"), saved, "--by", "kernel"],
    rowsOf(saved),
    "memdesc fleet also surveys every page map, which DuckDB alone does not",
  );
}
