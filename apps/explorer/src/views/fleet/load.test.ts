import { spawnSync } from "node:child_process";
import { readFileSync, truncateSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import fc from "fast-check";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type CliFleet, makeCliFleet } from "../../../test/fleet-fixture.js";
import { cliBin } from "../../../test/harness.js";
import { LoadError } from "../survey/worker-client.js";
import { checkFleetSize, type FleetHost, fleetFromJson, loadFleetBytes, maxFleetBytes } from "./load.js";
import { distribution, ends, type GroupBy, histogram, percentiles, underDesign } from "./stats.js";

const buffer = (path: string) => {
  const b = readFileSync(path);
  return b.buffer.slice(b.byteOffset, b.byteOffset + b.byteLength) as ArrayBuffer;
};
const bytes = (text: string) => new TextEncoder().encode(text).buffer as ArrayBuffer;

async function fails(p: Promise<unknown> | (() => unknown)): Promise<LoadError> {
  try {
    await (typeof p === "function" ? p() : p);
  } catch (err) {
    expect(err).toBeInstanceOf(LoadError);
    return err as LoadError;
  }
  throw new Error("no error");
}

let fleet: CliFleet;
beforeAll(() => {
  fleet = makeCliFleet(16);
}, 180_000);
afterAll(() => fleet?.remove());

/** The CLI's groupings (`--by`) and the view's. */
const groupings: [string | undefined, GroupBy, string | undefined][] = [
  [undefined, "none", undefined],
  ["kernel", "kernel", "kernel_release"],
  ["arch", "arch", "arch"],
  ["ram", "ram", "ram_class_gib"],
  ["team", "label:team", "label_team"],
  ["region", "label:region", "label_region"],
];

describe("a fleet file in the Fleet view", () => {
  it("reads `memdesc fleet --format parquet` and `--format json` to the same hosts", async () => {
    const fromParquet = await loadFleetBytes(buffer(fleet.parquet), "fleet.parquet");
    const fromJson = await loadFleetBytes(buffer(fleet.json), "fleet.json");
    expect(fromParquet.format).toBe("parquet");
    expect(fromJson.format).toBe("json");
    expect(fromParquet.hosts.length).toBe(16 * 3);
    expect(fromParquet.hosts).toEqual(fromJson.hosts);
    expect(fromParquet.labels).toEqual(["region", "team", "workload"]);
    expect(fromJson.labels).toEqual(fromParquet.labels);
    expect(fromParquet.design).toBe("memdesc-8");
    // Every row as the CLI's JSON has it (DuckDB's numbers), field by field.
    const cli = fleet.fleetJson();
    expect(
      fromParquet.hosts.map((h) => [h.host, h.design, h.savingBytes, h.savingPercent, h.todayBytes]),
    ).toEqual(cli.hosts.map((h) => [h.host, h.design, h.saving_bytes, h.saving_percent, h.today_bytes]));
  });

  it("gives each group's distribution exactly as `memdesc fleet --by` (DuckDB) does, under every design", async () => {
    const f = await loadFleetBytes(buffer(fleet.parquet), "fleet.parquet");
    for (const [cliBy, by, column] of groupings) {
      const cli = fleet.fleetJson(cliBy);
      for (const design of new Set(f.hosts.map((h) => h.design))) {
        const mine = distribution(underDesign(f.hosts, design), by);
        const theirs = cli.distribution.filter((r) => r.design === design);
        expect(mine.length, `${cliBy} ${design}`).toBe(theirs.length);
        for (const d of mine) {
          const r = theirs.find((x) => {
            if (column === undefined) return true;
            const v = x[column];
            if (column === "ram_class_gib")
              return `≤ ${Number(v) >= 1024 ? `${Number(v) / 1024} TiB` : `${v} GiB`}` === d.group;
            return (v ?? "(none)") === d.group;
          });
          expect(r, `${cliBy} ${design} ${d.group}`).toBeDefined();
          expect({ hosts: d.hosts, ram: d.ramBytes, saving: d.savingBytes, ...d.bytes }).toEqual({
            hosts: r!.hosts,
            ram: r!.ram_bytes,
            saving: r!.saving_bytes,
            min: r!.min_bytes,
            p10: r!.p10_bytes,
            p50: r!.p50_bytes,
            p90: r!.p90_bytes,
            max: r!.max_bytes,
          });
          expect(d.percent).toEqual({
            min: r!.min_percent,
            p10: r!.p10_percent,
            p50: r!.p50_percent,
            p90: r!.p90_percent,
            max: r!.max_percent,
          });
        }
      }
    }
  });

  it("lists the hosts at either end as the CLI orders them, and bins every host once", async () => {
    const f = await loadFleetBytes(buffer(fleet.json), "fleet.json");
    const mine = underDesign(f.hosts, "memdesc-8");
    // The CLI's hosts come ordered by design, saving_percent, host.
    const cli = fleet.fleetJson().hosts.filter((h) => h.design === "memdesc-8");
    const e = ends(mine, "percent", 5);
    expect(e.least.map((h) => h.host)).toEqual(cli.slice(0, 5).map((h) => h.host));
    expect(e.most.map((h) => h.host)).toEqual(
      cli
        .slice(-5)
        .reverse()
        .map((h) => h.host),
    );
    for (const [, by] of groupings)
      for (const m of ["percent", "bytes"] as const) {
        const hist = histogram(mine, by, m);
        const counts = [...hist.counts.values()];
        expect(counts.flat().reduce((s, n) => s + n, 0)).toBe(mine.length);
        expect(counts.map((c) => c.reduce((s, n) => s + n, 0))).toEqual(
          distribution(mine, by).map((d) => d.hosts),
        );
      }
  });

  it("percentiles are nearest ranks: p of n hosts is the value with ⌈p·n/100⌉ hosts at or below it", () => {
    const host = (i: number, saving: number): FleetHost => ({
      host: `h${String(i).padStart(4, "0")}`,
      source: "/",
      capturedAt: null,
      kernelRelease: null,
      arch: null,
      ramBytes: 1 << 30,
      ramClassGib: 1,
      design: "memdesc-8",
      totalBytes: 0,
      todayBytes: saving,
      savingBytes: saving,
      savingPercent: saving / 1e6,
      labels: {},
    });
    fc.assert(
      fc.property(
        fc.array(fc.integer({ min: -1000, max: 1000 }), { minLength: 1, maxLength: 300 }),
        (values) => {
          const hosts = values.map((v, i) => host(i, v));
          const p = percentiles(hosts, "bytes");
          const sorted = [...values].sort((a, b) => a - b);
          expect(p.min).toBe(sorted[0]);
          expect(p.max).toBe(sorted[sorted.length - 1]);
          for (const [q, v] of [
            [10, p.p10],
            [50, p.p50],
            [90, p.p90],
          ] as const) {
            const rank = Math.max(1, Math.ceil((q * values.length) / 100));
            expect(sorted.filter((x) => x <= v).length).toBeGreaterThanOrEqual(rank);
            expect(sorted.filter((x) => x < v).length).toBeLessThan(rank);
          }
        },
      ),
    );
  });
});

describe("a bad fleet file", () => {
  it("names the file and the first wrong field, and says what it is when it is another memdesc file", async () => {
    const good = JSON.parse(readFileSync(fleet.json, "utf8"));
    const bad = structuredClone(good);
    bad.hosts[3].ram_bytes = "lots";
    expect((await fails(loadFleetBytes(bytes(JSON.stringify(bad)), "f.json"))).message).toMatch(
      /^f\.json: not a memdesc fleet: field hosts\.3\.ram_bytes: /,
    );
    const v2 = { ...good, schemaVersion: 2 };
    expect((await fails(loadFleetBytes(bytes(JSON.stringify(v2)), "v2.json"))).message).toMatch(
      /^v2\.json: not a memdesc fleet: field schemaVersion: /,
    );
    const label = structuredClone(good);
    label.hosts[0].label_team = 7;
    expect((await fails(loadFleetBytes(bytes(JSON.stringify(label)), "l.json"))).message).toMatch(
      /field hosts\.0\.label_team/,
    );
    // One machine's survey, in JSON and in Parquet: told apart from a fleet, and pointed at the right tool.
    const survey = spawnSync(process.execPath, [cliBin, "survey", "--sample", "--json"], {
      encoding: "utf8",
    });
    const e = await fails(loadFleetBytes(bytes(survey.stdout), "host.json"));
    expect([e.code, e.message]).toEqual([
      "NOT_FLEET",
      "host.json: one machine's survey (memdesc survey --json), not a fleet",
    ]);
    const rows = join(fleet.dir, "host.parquet");
    fleet.cli("survey", "--sample", "--format", "parquet", "-o", rows);
    expect((await fails(loadFleetBytes(buffer(rows), "host.parquet"))).message).toBe(
      "host.parquet: one machine's survey rows (memdesc survey --format parquet), not a fleet",
    );
    expect((await fails(loadFleetBytes(bytes("a,b\n1,2\n"), "x.csv"))).code).toBe("UNKNOWN_FORMAT");
    expect((await fails(loadFleetBytes(bytes(""), "empty.json"))).code).toBe("EMPTY");
    expect((await fails(() => checkFleetSize(maxFleetBytes + 1, "huge.parquet"))).code).toBe("TOO_BIG");
  });

  it("a Parquet file cut short, or its footer changed anywhere, ends in one LoadError, never another exception", async () => {
    const cut = join(fleet.dir, "cut.parquet");
    writeFileSync(cut, readFileSync(fleet.parquet));
    truncateSync(cut, 3000);
    expect((await fails(loadFleetBytes(buffer(cut), "cut.parquet"))).code).toBe("BAD_PARQUET");
    // The footer (the schema, the row groups, the key-value metadata) is read on this thread. Bytes changed in
    // the pages can make the Parquet reader loop for minutes; the page decodes in a worker it stops (the
    // Chromium test shows it), so here only the footer is changed.
    const original = new Uint8Array(buffer(fleet.parquet));
    const footer = new DataView(original.buffer).getUint32(original.length - 8, true);
    const from = original.length - 8 - footer;
    await fc.assert(
      fc.asyncProperty(
        fc.array(
          fc.tuple(fc.integer({ min: from, max: original.length - 9 }), fc.integer({ min: 1, max: 255 })),
          {
            minLength: 1,
            maxLength: 8,
          },
        ),
        async (edits) => {
          const b = new Uint8Array(original);
          for (const [at, x] of edits) b[at]! ^= x;
          try {
            const f = await loadFleetBytes(b.buffer, "mutated.parquet");
            // Bytes in a value that still decode: the rows passed the schema.
            for (const h of f.hosts) expect(Number.isSafeInteger(h.ramBytes)).toBe(true);
          } catch (err) {
            expect(err).toBeInstanceOf(LoadError);
          }
        },
      ),
      { numRuns: 400, seed: 19 },
    );
  });

  it("reads the JSON's rows by name: a row with a field of another type is refused", () => {
    const good = JSON.parse(readFileSync(fleet.json, "utf8"));
    good.hosts[1].saving_percent = null;
    expect(() => fleetFromJson(JSON.stringify(good), "n.json")).toThrow(/field hosts\.1\.saving_percent/);
  });
});
