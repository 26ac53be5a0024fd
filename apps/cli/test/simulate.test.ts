import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { presets } from "@memdesc/first-party";
import type { SimulationResult } from "@memdesc/memmap";
import { Ajv2020 } from "ajv/dist/2020.js";
import { describe, expect, it } from "vitest";
import { cliRoot, expectUserError, run, tempDir, validJson } from "./helpers.js";

interface SimulateJson {
  workload: { preset: string | null; path: string | null };
  design: string;
  simulation: SimulationResult;
}

describe("memdesc simulate WORKLOAD|PRESET", () => {
  const dir = tempDir();

  it("runs the database preset on 1 GiB: the bill over time, the final bill, buddyinfo and descriptor memory", () => {
    const r = run(["simulate", "database", "--memory", "1G"]);
    expect(r.status).toBe(0);
    expect(r.stderr).toBe("");
    const out = r.stdout;
    expect(out).toMatch(/^memdesc simulate: preset database \(A database server: .*\), seed 42$/m);
    expect(out).toMatch(
      /^machine: 1\.0 GiB \(262,144 pages\), 2 nodes, 64 CPUs; simulated in memdesc-8 \(8 bytes a page\)/m,
    );
    expect(out).toMatch(
      /^phase\s+time ms\s+free MiB\s+today MiB\s+path-32 MiB\s+buddy-16 MiB\s+memdesc-8 MiB\s+desc slabs MiB$/m,
    );
    for (const phase of ["boot", "buffer pool", "warm-up", "steady state"])
      expect(out).toMatch(new RegExp(`^${phase}\\s+\\d`, "m"));
    expect(out).toMatch(/^hugetlb\s+folio\s+183,296\s+358\s/m);
    expect(out).toMatch(/^memdesc-8: [\d,]+ bytes = [\d.]+ MiB, [\d.]+% of RAM, saves/m);
    expect(out).toMatch(/^Descriptor memory \(slab caches in memdesc-8\): [\d,]+ slab pages/m);
    expect(out).toMatch(/^folio_large\s+128\s+0\s+32\s/m);
    // Hugetlb folios keep their hugetlb fields: their own cache of 160-byte descriptors.
    expect(out).toMatch(/^folio_hugetlb\s+160\s/m);
    // What is modelled, each with its source.
    expect(out).toMatch(/^options: descriptor free typesafe-by-rcu, THP on, HVO off \(today's bill\)$/m);
    expect(out).toMatch(
      /^descriptor free: SLAB_TYPESAFE_BY_RCU\s+@memdesc\/memmap\s+kernel: include\/linux\/slab\.h .*\(Linux 6\.18\)$/m,
    );
    expect(out).toMatch(
      /^buddy allocator: the 8-byte word's encoding\s+@memdesc\/memmap\s+proposal \(memdesc\): /m,
    );
    expect(out).toMatch(/^iommu_put_pages_list \(today\)\s+@memdesc\/ioptdesc\s+kernel: /m);
    expect(out).toMatch(/^Node 0, zone {3}Normal( +\d+){11} $/m);
    expect(out).toMatch(/^Node 1, zone {3}Normal( +\d+){11} $/m);
  });

  it("--json validates against schemas/simulate.schema.json and its numbers add up", () => {
    const j = validJson(
      "simulate",
      run(["simulate", "database", "--memory", "1G", "--json"]),
    ) as SimulateJson;
    const s = j.simulation;
    expect(j.workload).toEqual({ preset: "database", path: null });
    expect(s.machine).toMatchObject({ pages: 262_144, nodes: 2, design: "memdesc-8" });
    expect(s.samples.map((x) => x.phase)).toEqual(["boot", "buffer pool", "warm-up", "steady state"]);
    const pages = Object.values(s.picture.uses).reduce((t, e) => t + (e?.pages ?? 0), 0);
    expect(pages + s.descriptorMemory.slabPages).toBe(262_144);
    for (const d of s.bill.designs)
      expect(d.uses.reduce((t, u) => t + u.total, 0) + d.outsideBytes).toBe(d.total);
    expect(
      s.behaviours.every((b) => ["kernel", "plan", "inferred", "proposal"].includes(b.provenance.basis)),
    ).toBe(true);
    // The explicit choices: kfree_rcu for descriptors, HVO in today's bill.
    const k = validJson(
      "simulate",
      run([
        "simulate",
        "database",
        "--memory",
        "1G",
        "--json",
        "--descriptor-free",
        "kfree-rcu",
        "--hvo",
        "on",
      ]),
    ) as SimulateJson;
    expect(k.simulation.machine).toMatchObject({ descriptorFree: "kfree-rcu", hvo: true });
    expect(
      k.simulation.behaviours.find((b) => b.name === "descriptor free: kfree_rcu")!.provenance.basis,
    ).toBe("proposal");
    const today = (x: SimulationResult) => x.bill.designs.find((d) => d.design === "today")!;
    const huge = s.picture.uses.hugetlb!;
    expect(today(s).total - today(k.simulation).total).toBe(huge.descriptors * (512 * 64 - 4096));
    const free = s.buddyinfo.counts.flat().length;
    expect(free).toBe(2 * 11);
    // The same seed, the same run.
    const again = validJson(
      "simulate",
      run(["simulate", "database", "--memory", "1G", "--json"]),
    ) as SimulateJson;
    expect(again.simulation.picture).toEqual(s.picture);
  });

  it.each(["desktop", "hypervisor", "accelerator"])("runs the %s preset", (name) => {
    const j = validJson("simulate", run(["simulate", name, "--memory", "1G", "--json"])) as SimulateJson;
    expect(j.simulation.workload.name).toBe(name);
    expect(j.simulation.samples.length).toBeGreaterThan(1);
  });

  it("runs a workload file, in another design", () => {
    const p = join(dir, "small.json");
    writeFileSync(
      p,
      JSON.stringify({
        name: "small",
        seed: 3,
        phases: [
          { name: "fill", actions: [{ action: "pagecache", share: 0.5, orders: { "0": 1, "4": 1 } }] },
        ],
      }),
    );
    const j = validJson(
      "simulate",
      run(["simulate", p, "--memory", "64M", "--design", "buddy-16", "--json"]),
    ) as SimulateJson;
    expect(j.workload).toEqual({ preset: null, path: p });
    expect(j.simulation.machine).toMatchObject({ design: "buddy-16", entryBytes: 16, pages: 16_384 });
  });

  it("ships schemas/workload.schema.json, which every preset satisfies and a bad workload does not", () => {
    const schema = JSON.parse(readFileSync(join(cliRoot, "schemas/workload.schema.json"), "utf8")) as object;
    const validate = new Ajv2020({ strict: false }).compile(schema);
    for (const w of Object.values(presets)) expect(validate(w)).toBe(true);
    expect(validate({ name: "x", phases: [{ name: "p", actions: [{ action: "swap" }] }] })).toBe(false);
  });

  it("names the file and key of a bad workload, and rejects what cannot run, in one line", () => {
    const p = join(dir, "bad.json");
    writeFileSync(
      p,
      JSON.stringify({ name: "bad", phases: [{ name: "p", actions: [{ action: "anon", share: 2 }] }] }),
    );
    expectUserError(
      run(["simulate", p]),
      /bad\.json: phases\[0\]\.actions\[0\]\.share: a share is between 0 and 1$/,
    );
    const q = join(dir, "broken.json");
    writeFileSync(q, "{ name: ");
    expectUserError(run(["simulate", q]), /broken\.json: not valid JSON/);
    expectUserError(
      run(["simulate", "laptop"]),
      /laptop is neither a preset nor a file \(presets: desktop, database, hypervisor, accelerator\)/,
    );
    expectUserError(run(["simulate", "database", "--memory", "lots"]), /--memory: "lots" is not a size/);
    expectUserError(
      run(["simulate", "database", "--memory", "2T"]),
      /pages must be a whole number from 1 to 2\^28/,
    );
    expectUserError(
      run(["simulate", "database", "--design", "today"]),
      /design today has no memdesc word to simulate/,
    );
  });
});
