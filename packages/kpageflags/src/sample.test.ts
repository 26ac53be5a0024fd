import { existsSync, readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { crossCheck } from "./account/crosscheck.js";
import { sampleSnapshotPath } from "./sample.js";
import { readSnapshot } from "./snapshot/read.js";
import { survey } from "./survey.js";
import { surveyUses } from "./uses.js";

describe("the shipped sample snapshot", () => {
  it("ships with the package", () => {
    const path = sampleSnapshotPath();
    expect(existsSync(path)).toBe(true);
    const pkg = JSON.parse(readFileSync(new URL("../package.json", import.meta.url), "utf8"));
    expect(pkg.files).toContain("fixtures/sample.mdsnap");
    expect(path.endsWith("/fixtures/sample.mdsnap")).toBe(true);
  });

  it("is a real Linux 6.18 x86-64 machine, read with all three files in lockstep, and its counters", () => {
    const { header, bytes, tree } = readSnapshot(sampleSnapshotPath());
    expect(header.version).toBe(2);
    expect(header.kernelRelease).toMatch(/^6\.18\./);
    const read = new Set(tree!.filter((e) => e.op === "read" && "data" in e).map((e) => e.path));
    for (const f of [
      "/proc/vmstat",
      "/proc/zoneinfo",
      "/proc/buddyinfo",
      "/proc/pagetypeinfo",
      "/proc/slabinfo",
      "/proc/iomem",
    ])
      expect(read, f).toContain(f);
    expect(header.machine).toBe("x86_64");
    expect(header.files).toEqual({ kpageflags: true, kpagecount: true, kpagecgroup: true });
    expect(header.pfnCount).toBe(6_553_600);
    expect(header.iomem).toEqual([
      [0x1, 0x9f],
      [0x100, 0xc0000],
      [0x100000, 0x640000],
    ]);
    expect(bytes).toBeLessThan(4 * 1024 * 1024);
  });

  it("surveys to the kinds a busy 6.18 machine shows", async () => {
    const snap = readSnapshot(sampleSnapshotPath());
    const s = await survey(snap.source, { root: snap.root() });
    expect(surveyUses.reduce((n, u) => n + s.uses[u].pages, 0)).toBe(s.pfnCount);
    for (const u of [
      "free",
      "file",
      "anon",
      "slab",
      "pagetable",
      "hugetlb",
      "reserved",
      "zero",
      "compound",
      "kernel",
      "uninit",
      "hole",
    ] as const)
      expect(s.uses[u].pages, u).toBeGreaterThan(0);
    // Large folios: page cache of several orders, anonymous THP, 2 MiB hugetlb pages, multi-page slabs.
    expect(s.uses.file.orders.length).toBeGreaterThan(4);
    expect(s.uses.anon.orders[9]).toBeGreaterThan(0);
    expect(s.uses.hugetlb.orders[9]).toBe(4);
    expect(s.uses.slab.orders[1]! + s.uses.slab.orders[2]! + s.uses.slab.orders[3]!).toBeGreaterThan(0);
    expect(s.uses.zero).toEqual({ pages: 1, descriptors: 1, orders: [1] });
    expect(s.uses.hole.pages).toBe(262_144);
    expect(s.quirks.slabAnon).toBeGreaterThan(0);
    expect(s.quirks.reportedFree).toBeGreaterThan(0);
    // The counters read with it: per-CPU pages and large kmalloc billed apart, free blocks by order.
    expect(s.unseen.map((u) => u.use)).toEqual(["netmem"]);
    expect(s.billed.pcp.pages).toBeGreaterThan(0);
    expect(s.billed.largeKmalloc.pages).toBeGreaterThan(0);
    expect(s.billed.free.descriptorsFrom).toEqual({ counter: "free_area nr_free", file: "/proc/buddyinfo" });
    expect(s.kernel?.unreadable).toEqual([]);
    // Slab descriptors against /proc/slabinfo, in total and order by order: an independent count of the slabs.
    const rows = crossCheck(s);
    for (const what of ["slabs", "slab pages", "slabs of order 0", "slabs of order 1", "slabs of order 2"])
      expect(rows.find((r) => r.what === what)?.agrees, what).toBe(true);
  });
});
