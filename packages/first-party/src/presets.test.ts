import { createRegistry, type MemdescError } from "@memdesc/core";
import {
  check,
  createSimulation,
  parseWorkload,
  simulationResultSchema,
  vocabularyOf,
} from "@memdesc/memmap";
import { describe, expect, it } from "vitest";
import { preset, presets } from "./presets.js";
import { firstPartyPackages, firstPartyPlugins, firstPartySet } from "./set.js";

const registry = (design = "memdesc-8") => createRegistry({ design, plugins: firstPartyPlugins() });

describe("the first-party set", () => {
  it("lists each plugin once, by package and export, in the order memdesc composes them", () => {
    expect(firstPartySet.map((p) => `${p.package}#${p.export}`)).toEqual([
      "@memdesc/folio#folio",
      "@memdesc/folio#anonFolio",
      "@memdesc/slab#slab",
      "@memdesc/ptdesc#ptdesc",
      "@memdesc/ioptdesc#ioptdesc",
      "@memdesc/zpdesc#zpdesc",
      "@memdesc/netmem#netmem",
    ]);
    expect(firstPartyPackages).toHaveLength(6);
    expect(registry().kinds).toEqual([
      "buddy",
      "misc",
      "folio",
      "anon",
      "slab",
      "ptdesc",
      "ioptdesc",
      "zpdesc",
      "netmem",
    ]);
    // The uses the plugins declare come after core's uses with descriptors, in the set's order.
    expect(registry().uses).toEqual([
      "free",
      "pcp",
      "file",
      "anon",
      "ksm",
      "slab",
      "largeKmalloc",
      "pagetable",
      "hugetlb",
      "iommu",
      "zsmalloc",
      "netmem",
      "reserved",
      "zero",
      "offline",
      "hwpoison",
      "compound",
      "kernel",
      "uninit",
      "hole",
    ]);
  });
});

describe("the presets", () => {
  it("are valid workloads of the set's actions; an unknown name is an error naming the presets", () => {
    for (const name of Object.keys(presets))
      expect(parseWorkload(preset(name), vocabularyOf(registry()), `preset ${name}`).name).toBe(name);
    expect(() => preset("laptop")).toThrow(
      expect.objectContaining<Partial<MemdescError>>({
        code: "UNKNOWN_PRESET",
        subject: 'workload preset "laptop"',
      }),
    );
    expect(() => preset("toString")).toThrow(/no such preset/);
  });

  it.each(Object.keys(presets))(
    "runs %s at 256 MiB: consistent memmap, a bill per phase, every action's kind, a valid report",
    (name) => {
      const sim = createSimulation(registry(), preset(name), { memory: "256M", nodes: 1 });
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
      // The page-table and IOMMU actions are the plugins' own, run by their kinds.
      const kinds = new Map(r.actions.map((a) => [a.action, a.kind]));
      expect([kinds.get("pagetables"), kinds.get("iommu")]).toEqual(["ptdesc", "ioptdesc"]);
      expect(r.picture.uses.pagetable!.pages).toBeGreaterThan(0);
      expect(r.picture.uses.iommu!.pages).toBeGreaterThan(0);
      expect(new Set(r.behaviours.map((b) => b.by))).toEqual(
        new Set([
          "@memdesc/memmap",
          "@memdesc/folio",
          "@memdesc/slab",
          "@memdesc/ptdesc",
          "@memdesc/ioptdesc",
        ]),
      );
    },
  );

  it("is deterministic for a seed, and another seed gives another run", () => {
    const run = (seed?: number) =>
      createSimulation(registry(), seed === undefined ? preset("desktop") : { ...preset("desktop"), seed }, {
        memory: "128M",
      }).runToEnd();
    const a = run();
    expect(run().picture).toEqual(a.picture);
    expect(run(8).picture).not.toEqual(a.picture);
  });

  it("names the plugin a preset needs when the composed set lacks it", () => {
    const withoutPtdesc = createRegistry({
      plugins: firstPartyPlugins().filter((p) => p.kind !== "ptdesc"),
    });
    expect(() => createSimulation(withoutPtdesc, preset("desktop"))).toThrow(
      expect.objectContaining({
        code: "BAD_WORKLOAD",
        issues: [
          expect.objectContaining({
            path: ["phases", 1, "actions", 3, "action"],
            message: expect.stringMatching(/^no action "pagetables": the actions are .*iommu/),
          }),
        ],
      }),
    );
  });
});
