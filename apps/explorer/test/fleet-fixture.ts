import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { cliBin, repoRoot } from "./harness.js";

/*
 * A small fleet for the Fleet view's tests, made as a user makes one: snapshots of hosts built from the real
 * sample's memory sections (the CLI's bench/fleet-gen.js), then `memdesc fleet` (DuckDB) over them. What the
 * view shows is checked against `memdesc fleet --json`: DuckDB's answers, not the view's own code.
 */

export interface CliFleet {
  readonly dir: string;
  readonly snapshots: string;
  readonly parquet: string;
  readonly json: string;
  /** `memdesc fleet SNAPSHOTS --json [--by BY]`, parsed. */
  fleetJson(by?: string): FleetJson;
  /** Runs the CLI; throws with its stderr when it fails. */
  cli(...args: string[]): string;
  remove(): void;
}

export interface FleetJson {
  readonly design: string;
  readonly labels: string[];
  readonly distribution: Record<string, string | number | null>[];
  readonly hosts: Record<string, string | number | null>[];
}

export function makeCliFleet(hosts = 16): CliFleet {
  const dir = mkdtempSync(join(tmpdir(), "memdesc-explorer-fleet-"));
  const snapshots = join(dir, "snapshots");
  const run = (args: string[]) => {
    const r = spawnSync(process.execPath, args, { cwd: dir, encoding: "utf8", timeout: 120_000 });
    if (r.status !== 0) throw new Error(`${args.join(" ")}: exit ${r.status}\n${r.stderr}`);
    return r.stdout;
  };
  run([
    join(repoRoot, "apps/cli/bench/fleet-gen.js"),
    "snapshots",
    "--out",
    snapshots,
    "--hosts",
    String(hosts),
  ]);
  const cli = (...args: string[]) => run([cliBin, ...args]);
  const parquet = join(dir, "fleet.parquet");
  const json = join(dir, "fleet.json");
  cli("fleet", snapshots, "--format", "parquet", "-o", parquet);
  cli("fleet", snapshots, "--format", "json", "-o", json);
  const cache = new Map<string, FleetJson>();
  return {
    dir,
    snapshots,
    parquet,
    json,
    cli,
    fleetJson(by) {
      const key = by ?? "";
      if (!cache.has(key)) {
        const text = by ? cli("fleet", snapshots, "--json", "--by", by) : readFileSync(json, "utf8");
        cache.set(key, JSON.parse(text) as FleetJson);
      }
      return cache.get(key)!;
    },
    remove: () => rmSync(dir, { recursive: true, force: true }),
  };
}
