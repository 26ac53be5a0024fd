import { describe, expect, it } from "vitest";
import { testRegistry } from "../../test/memmap-helpers.js";
import { check } from "../memmap/check.js";
import { presets } from "./presets.js";
import { simulationResultSchema } from "./result.js";
import { createSimulation, runWorkload } from "./runner.js";

describe("workload runner", () => {
  it.each(Object.keys(presets))(
    "runs the %s preset at 256 MiB: consistent memmap, a bill per phase, valid report",
    (name) => {
      const sim = createSimulation(testRegistry(), presets[name]!, { memory: "256M", nodes: 1 });
      let steps = 0;
      while (!sim.step(4096)) steps++;
      expect(steps).toBeGreaterThan(0);
      check(sim.memmap);
      const r = sim.result();
      expect(simulationResultSchema.safeParse(r).success).toBe(true);
      expect(r.machine).toMatchObject({ pages: 65536, design: "memdesc-8", entryBytes: 8 });
      expect(r.samples.map((s) => s.phase)).toEqual(presets[name]!.phases.map((p) => p.name));
      for (const s of r.samples)
        expect(s.designs.map((d) => d.design)).toEqual(["today", "path-32", "buddy-16", "memdesc-8"]);
      const used = Object.values(r.picture.uses).reduce((s, e) => s + (e?.pages ?? 0), 0);
      expect(used + r.descriptorMemory.slabPages).toBe(65536);
      expect(r.buddyinfo.text).toMatch(/^Node 0, zone {3}Normal( +\d+){11} \n$/);
      expect(r.descriptorMemory.allocatedBytes).toBeGreaterThanOrEqual(r.descriptorMemory.usedBytes);
    },
  );

  it("is deterministic for a seed, and another seed gives another run", () => {
    const a = runWorkload(testRegistry(), presets.desktop!, { memory: "128M" });
    const b = runWorkload(testRegistry(), presets.desktop!, { memory: "128M" });
    const c = runWorkload(testRegistry(), { ...presets.desktop!, seed: 8 }, { memory: "128M" });
    expect(b.picture).toEqual(a.picture);
    expect(b.buddyinfo).toEqual(a.buddyinfo);
    expect(c.picture).not.toEqual(a.picture);
  });

  it("reports what did not fit and what no plugin describes", () => {
    const r = runWorkload(
      testRegistry(),
      {
        name: "too much",
        phases: [
          {
            name: "fill",
            actions: [
              { action: "hugetlb", share: 0.9 },
              { action: "pagecache", share: 0.5 },
            ],
          },
          { name: "io", actions: [{ action: "iommu", domains: 1, size: "64M" }] },
        ],
      },
      { memory: "64M" },
    );
    expect(r.actions[1]!.failures).toBeGreaterThan(0);
    expect(r.warnings.some((w) => /fill: pagecache had \d+ failed allocations/.test(w))).toBe(true);
    expect(r.warnings).toContain(
      "no plugin describes iommu pages; they were allocated as untyped kernel pages",
    );
  });
});
