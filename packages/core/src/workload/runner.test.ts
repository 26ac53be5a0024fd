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

  it("reports every behaviour it modelled with its source, and the options it ran with", () => {
    const r = runWorkload(testRegistry(), presets.desktop!, { memory: "128M" });
    expect(r.machine).toMatchObject({ descriptorFree: "typesafe-by-rcu", thp: true, hvo: false });
    const by = new Map(r.behaviours.map((b) => [b.name, b]));
    expect(by.get("descriptor free: SLAB_TYPESAFE_BY_RCU")!.provenance).toMatchObject({
      basis: "kernel",
      release: "6.18",
    });
    expect(by.get("buddy allocator: the 8-byte word's encoding")!.provenance.basis).toBe("proposal");
    expect(r.behaviours.every((b) => b.by === "@memdesc/core")).toBe(true);
    // Nothing waited for a grace period: freed descriptors went straight back to their slabs.
    expect(r.descriptorMemory.caches.every((c) => c.rcuObjects === 0)).toBe(true);
    const k = runWorkload(testRegistry("buddy-16"), presets.desktop!, {
      memory: "128M",
      descriptorFree: "kfree-rcu",
      thp: false,
    });
    expect(k.machine).toMatchObject({ descriptorFree: "kfree-rcu", thp: false, design: "buddy-16" });
    const names = k.behaviours.map((b) => b.name);
    expect(names).toContain("descriptor free: kfree_rcu");
    expect(names).toContain("buddy allocator: struct buddy { next, prev }");
    expect(k.behaviours.find((b) => b.name === "descriptor free: kfree_rcu")!.provenance.basis).toBe(
      "proposal",
    );
  });

  it("bills today with HVO when asked: hugetlb folios keep one page of struct pages", () => {
    const w = {
      name: "huge",
      phases: [{ name: "pool", actions: [{ action: "hugetlb" as const, share: 0.5 }] }],
    };
    const off = runWorkload(testRegistry(), w, { memory: "256M" });
    const on = runWorkload(testRegistry(), { ...w, hvo: true }, { memory: "256M" });
    const today = (r: typeof off) => r.bill.designs.find((d) => d.design === "today")!;
    const folios = on.picture.uses.hugetlb!.descriptors;
    expect(folios).toBe(on.picture.uses.hugetlb!.pages / 512);
    expect(today(off).total - today(on).total).toBe(folios * (512 * 64 - 4096));
    expect(on.bill.hvo).toBe(true);
    expect(on.samples.at(-1)!.designs.find((d) => d.design === "today")!.total).toBe(today(on).total);
  });

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
