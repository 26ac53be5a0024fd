import { createRegistry, SimulationError } from "@memdesc/core";
import { refFolio, refSlab } from "@memdesc/core/testing";
import { describe, expect, it } from "vitest";
import { referenceWorkload, testRegistry, widget } from "../../test/helpers.js";
import { check } from "../memmap/check.js";
import { simulationResultSchema } from "./result.js";
import { createSimulation, runWorkload } from "./runner.js";

describe("workload runner", () => {
  it.each(["memdesc-8", "buddy-16", "path-32"])(
    "runs the reference workload at 256 MiB in %s: consistent memmap, a bill per phase, valid report",
    (design) => {
      const sim = createSimulation(testRegistry(design), referenceWorkload, { memory: "256M", nodes: 1 });
      let steps = 0;
      while (!sim.step(4096)) steps++;
      expect(steps).toBeGreaterThan(0);
      check(sim.memmap);
      const r = sim.result();
      expect(simulationResultSchema.safeParse(r).success).toBe(true);
      expect(r.machine).toMatchObject({ pages: 65536, design });
      expect(r.samples.map((s) => s.phase)).toEqual(["boot", "session", "reclaim"]);
      for (const s of r.samples)
        expect(s.designs.map((d) => d.design)).toEqual(["today", "path-32", "buddy-16", "memdesc-8"]);
      const used = Object.values(r.picture.uses).reduce((s, e) => s + (e?.pages ?? 0), 0);
      expect(used + r.descriptorMemory.slabPages).toBe(65536);
      expect(r.buddyinfo.text).toMatch(/^Node 0, zone {3}Normal( +\d+){11} \n$/);
      expect(r.descriptorMemory.allocatedBytes).toBeGreaterThanOrEqual(r.descriptorMemory.usedBytes);
    },
  );

  it("reports every behaviour it modelled with its source, and the options it ran with", () => {
    const r = runWorkload(testRegistry(), referenceWorkload, { memory: "128M" });
    expect(r.machine).toMatchObject({ descriptorFree: "typesafe-by-rcu", thp: true, hvo: false });
    const by = new Map(r.behaviours.map((b) => [b.name, b]));
    expect(by.get("descriptor free: SLAB_TYPESAFE_BY_RCU")!.provenance).toMatchObject({
      basis: "kernel",
      release: "6.18",
    });
    expect(by.get("buddy allocator: the 8-byte word's encoding")!.provenance.basis).toBe("proposal");
    expect(r.behaviours.every((b) => b.by === "@memdesc/memmap")).toBe(true);
    // Nothing waited for a grace period: freed descriptors went straight back to their slabs.
    expect(r.descriptorMemory.caches.every((c) => c.rcuObjects === 0)).toBe(true);
    const k = runWorkload(testRegistry("buddy-16"), referenceWorkload, {
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
    const a = runWorkload(testRegistry(), referenceWorkload, { memory: "128M" });
    const b = runWorkload(testRegistry(), referenceWorkload, { memory: "128M" });
    const c = runWorkload(testRegistry(), { ...referenceWorkload, seed: 8 }, { memory: "128M" });
    expect(b.picture).toEqual(a.picture);
    expect(b.buddyinfo).toEqual(a.buddyinfo);
    expect(c.picture).not.toEqual(a.picture);
  });

  it("reports what did not fit", () => {
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
        ],
      },
      { memory: "64M" },
    );
    expect(r.actions[1]!.failures).toBeGreaterThan(0);
    expect(r.warnings.some((w) => /fill: pagecache had \d+ failed allocations/.test(w))).toBe(true);
  });

  it("runs a plugin's own action for its own use, which reclaim then frees", () => {
    const registry = createRegistry({ plugins: [refFolio, refSlab, widget] });
    const sim = createSimulation(
      registry,
      {
        name: "widgets",
        phases: [
          { name: "make", actions: [{ action: "widgets", count: 16, order: 2 }] },
          { name: "free", actions: [{ action: "reclaim", use: "widget", share: 1 }] },
        ],
      },
      { memory: "64M" },
    );
    while (!sim.step()) {}
    check(sim.memmap);
    const r = sim.result();
    expect(r.actions[0]).toMatchObject({ action: "widgets", kind: "widget", pages: 64, failures: 0 });
    expect(r.samples[0]!.pages.widget).toBe(64);
    expect(r.samples[1]!.pages.widget).toBeUndefined();
    expect(r.actions[1]).toMatchObject({ action: "reclaim", pages: 64 });
    // The bill prices the plugin's use with its descriptors, after core's uses with descriptors.
    const uses = registry.uses;
    expect(uses.indexOf("widget")).toBe(uses.indexOf("hugetlb") + 1);
  });

  it("refuses a plugin action named like a built-in one, or like another plugin's", () => {
    const clash = {
      ...widget,
      kind: "widget2",
      simulation: { actions: [{ ...widget.simulation!.actions![0]!, name: "slab" }] },
    };
    expect(() =>
      runWorkload(createRegistry({ plugins: [refFolio, refSlab, clash] }), referenceWorkload),
    ).toThrow(SimulationError);
    const twice = {
      ...widget,
      kind: "widget2",
      simulation: { actions: [{ ...widget.simulation!.actions![0]! }] },
    };
    expect(() =>
      runWorkload(createRegistry({ plugins: [refFolio, refSlab, widget, twice] }), referenceWorkload),
    ).toThrow(
      expect.objectContaining({
        code: "ACTION_CONFLICT",
        subject: 'plugin "memdesc-plugin-widget" (kind widget2)',
      }),
    );
  });
});
