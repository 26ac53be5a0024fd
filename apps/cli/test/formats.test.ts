import { spawnSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { DuckDBInstance } from "@duckdb/node-api";
import { needs } from "@memdesc/testkit";
import { parquetMetadata, parquetReadObjects } from "hyparquet";
import { describe, expect, it } from "vitest";
import { expectUserError, repoRoot, run, tempDir, validJson } from "./helpers.js";

/*
 * `memdesc survey --format`: the machine formats of one bill, each checked against the JSON bill of the same
 * survey (the oracle) and read back by an independent reader: hyparquet and DuckDB for Parquet, Prometheus's
 * own Python client (its OpenMetrics parser, and the classic text parser node_exporter's collector follows) for
 * OpenMetrics.
 */

const dir = tempDir("memdesc-formats-");

interface Json {
  schemaVersion: number;
  memdesc: string;
  host: { hostname: string | null; kernelRelease: string; arch: string; ramBytes: number; labels: object };
  bill: {
    ramBytes: number;
    designs: {
      design: string;
      total: number;
      outsideBytes: number;
      savingVsToday: number;
      uses: { use: string; total: number; pages: number; descriptors: number }[];
    }[];
  };
}

const json = validJson("survey", run(["survey", "--sample", "--json", "-l", "team=storage"])) as Json;

/** The columns docs/fleet.md documents: its table under "## The rows". */
function documentedColumns(): { name: string; type: string }[] {
  const doc = readFileSync(join(repoRoot, "docs/fleet.md"), "utf8");
  const from = doc.indexOf("## The rows");
  const section = doc.slice(from, doc.indexOf("\n## ", from + 1));
  const rows = [...section.matchAll(/^\| `([a-z_<>]+)`\s*\| (\w+)\s*\|/gm)];
  return rows.map((m) => ({ name: m[1]!, type: m[2]! }));
}

const python = "/usr/bin/python3";
const prometheusProbe = spawnSync(python, ["-c", "import prometheus_client"], { encoding: "utf8" });
/** Prometheus's Python client, whose parsers are the oracle for the OpenMetrics output. */
const withPrometheus = needs(
  "prometheus_client",
  prometheusProbe.status === 0
    ? undefined
    : `Prometheus's Python client is not installed (Debian: python3-prometheus-client): ${(prometheusProbe.stderr ?? String(prometheusProbe.error)).trim()}`,
);

describe("memdesc survey --format", () => {
  it("json: the host's identity, the memdesc version and the schema version; the schema has an $id", () => {
    expect(json.schemaVersion).toBe(1);
    expect(json.memdesc).toMatch(/^\d+\.\d+\.\d+/);
    expect(json.host).toMatchObject({
      kernelRelease: "6.18.44-fc-v1300",
      arch: "x86_64",
      labels: { team: "storage" },
    });
    expect(json.host.ramBytes).toBe(json.bill.ramBytes);
    const schema = JSON.parse(readFileSync(join(repoRoot, "apps/cli/schemas/survey.schema.json"), "utf8"));
    expect(schema.$id).toBe("https://unpkg.com/memdesc/schemas/survey.schema.json");
  });

  it("ndjson: a row per use × design (and the outside memmap), adding up to each design's total", () => {
    const r = run(["survey", "--sample", "--format", "ndjson", "-l", "team=storage"]);
    expect(r.status).toBe(0);
    const rows = r.stdout
      .trimEnd()
      .split("\n")
      .map((l) => JSON.parse(l) as Record<string, unknown>);
    for (const d of json.bill.designs) {
      const mine = rows.filter((x) => x.design === d.design);
      expect(mine.reduce((s, x) => s + (x.total_bytes as number), 0)).toBe(d.total);
      expect(mine.length).toBe(d.uses.length + (d.outsideBytes > 0 ? 1 : 0));
    }
    expect(rows[0]).toMatchObject({
      schema_version: 1,
      memdesc_version: json.memdesc,
      kernel_release: "6.18.44-fc-v1300",
      arch: "x86_64",
      ram_bytes: json.bill.ramBytes,
      label_team: "storage",
      source_kind: "snapshot",
    });
  });

  it("parquet: the rows, typed, read back by hyparquet and by DuckDB with the documented columns", async () => {
    const file = join(dir, "host.parquet");
    const r = run(["survey", "--sample", "--format", "parquet", "-o", file, "-l", "team=storage"]);
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toBe("");
    const bytes = readFileSync(file);
    const buffer = bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength);
    const rows = (await parquetReadObjects({ file: buffer })) as Record<string, unknown>[];
    const nd = run(["survey", "--sample", "--format", "ndjson", "-l", "team=storage"])
      .stdout.trimEnd()
      .split("\n")
      .map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(rows.length).toBe(nd.length);
    rows.forEach((row, i) => {
      for (const [k, v] of Object.entries(nd[i]!)) {
        const got = row[k];
        if (typeof got === "bigint") expect(Number(got), k).toBe(v);
        else if (got instanceof Date) expect(got.toISOString(), k).toBe(v);
        else expect(got, k).toBe(v);
      }
    });
    const meta = parquetMetadata(buffer);
    expect(meta.key_value_metadata).toEqual(
      expect.arrayContaining([{ key: "memdesc.schema_version", value: "1" }]),
    );
    const db = await DuckDBInstance.create(":memory:");
    const c = await db.connect();
    const described = (
      await c.runAndReadAll(`DESCRIBE SELECT * FROM read_parquet('${file}')`)
    ).getRowObjectsJson();
    const duck: Record<string, string> = {
      STRING: "VARCHAR",
      INT32: "INTEGER",
      INT64: "BIGINT",
      BOOLEAN: "BOOLEAN",
      TIMESTAMP: "TIMESTAMP",
    };
    const documented = documentedColumns();
    expect(documented.length).toBeGreaterThan(15);
    const fixed = documented.filter((d) => !d.name.includes("<"));
    expect(described.slice(0, fixed.length).map((d) => [d.column_name, d.column_type])).toEqual(
      fixed.map((d) => [d.name, duck[d.type]]),
    );
    expect(described.slice(fixed.length).map((d) => [d.column_name, d.column_type])).toEqual([
      ["label_team", "VARCHAR"],
    ]);
    const totals = (
      await c.runAndReadAll(
        `SELECT design, SUM(total_bytes)::BIGINT AS total FROM read_parquet('${file}') GROUP BY design ORDER BY design`,
      )
    ).getRowObjectsJson();
    expect(totals).toEqual(
      [...json.bill.designs]
        .sort((a, b) => (a.design < b.design ? -1 : 1))
        .map((d) => ({ design: d.design, total: String(d.total) })),
    );
    c.closeSync();
  });

  withPrometheus.it(
    "openmetrics: parsed by Prometheus's Python client (OpenMetrics and the classic text format), values as billed",
    () => {
      const file = join(dir, "memdesc.prom");
      const r = run(["survey", "--sample", "--format", "openmetrics", "-o", file, "-l", "team=storage"]);
      expect(r.status, r.stderr).toBe(0);
      const parse = (module: string) => {
        const p = spawnSync(
          python,
          [
            "-c",
            `import json, sys\nfrom ${module} import text_string_to_metric_families as parse\nout = []\nfor f in parse(open(sys.argv[1]).read()):\n  out.append({"name": f.name, "type": f.type, "unit": getattr(f, "unit", ""), "samples": [{"name": s.name, "labels": s.labels, "value": s.value} for s in f.samples]})\nprint(json.dumps(out))`,
            file,
          ],
          { encoding: "utf8" },
        );
        expect(p.status, p.stderr).toBe(0);
        return JSON.parse(p.stdout) as {
          name: string;
          type: string;
          unit: string;
          samples: { name: string; labels: Record<string, string>; value: number }[];
        }[];
      };
      for (const module of ["prometheus_client.openmetrics.parser", "prometheus_client.parser"]) {
        const families = parse(module);
        const family = (name: string) => families.find((f) => f.name === name)!;
        expect(families.every((f) => f.type === "gauge")).toBe(true);
        const memmap = family("memdesc_memmap_bytes");
        for (const d of json.bill.designs)
          for (const u of d.uses.filter((x) => x.use !== "hole"))
            expect(
              memmap.samples.find((s) => s.labels.design === d.design && s.labels.use === u.use)?.value,
              `${d.design} ${u.use}`,
            ).toBe(u.total);
        for (const d of json.bill.designs) {
          expect(
            family("memdesc_metadata_bytes").samples.find((s) => s.labels.design === d.design)?.value,
          ).toBe(d.total);
          expect(
            family("memdesc_saving_bytes").samples.find((s) => s.labels.design === d.design)?.value,
          ).toBe(d.savingVsToday);
        }
        expect(family("memdesc_ram_bytes").samples[0]!.value).toBe(json.bill.ramBytes);
        const info = family("memdesc_survey_info").samples[0]!;
        expect(info.labels).toMatchObject({ kernel_release: "6.18.44-fc-v1300", team: "storage" });
        const memory = family("memdesc_memory_bytes").samples.reduce((s, x) => s + x.value, 0);
        expect(memory).toBe(json.bill.ramBytes);
        if (module.includes("openmetrics")) expect(memmap.unit).toBe("bytes");
      }
    },
  );

  it("refuses two formats at once, a label it cannot carry, and Parquet it cannot write", () => {
    expectUserError(
      run(["survey", "--sample", "--json", "--format", "parquet"]),
      /--json and --format parquet ask for two formats/,
    );
    expectUserError(run(["survey", "--sample", "-l", "Team=x"]), /--label: label key "Team"/);
    expectUserError(run(["survey", "--sample", "-l", "job=x"]), /--label: label key job is reserved/);
    expectUserError(run(["survey", "--sample", "--format", "yaml"]), /argument 'yaml' is invalid/);
  });
});
