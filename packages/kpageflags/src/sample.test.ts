import { existsSync, readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { crossCheck } from "./account/crosscheck.js";
import { KpageflagsError } from "./errors.js";
import { sampleSnapshotPath } from "./sample.js";
import { defaultSampleName, sampleInfo, samples } from "./samples.js";
import { readSnapshot } from "./snapshot/read.js";
import { survey } from "./survey.js";
import { surveyUses } from "./uses.js";

describe("the build machine's sample", () => {
  const buildVm = () => sampleSnapshotPath("build-vm");

  it("is a real Linux 6.18 x86-64 machine, read with all three files in lockstep, and its counters", () => {
    const { header, bytes, tree } = readSnapshot(buildVm());
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
    const snap = readSnapshot(buildVm());
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

describe("the sample catalogue", () => {
  it("names every shipped sample once, each file in the package with the note its snapshot carries", () => {
    const pkg = JSON.parse(readFileSync(new URL("../package.json", import.meta.url), "utf8"));
    expect(new Set(samples.map((s) => s.name)).size).toBe(samples.length);
    expect(samples[0]!.name).toBe(defaultSampleName);
    for (const s of samples) {
      const path = sampleSnapshotPath(s.name);
      expect(existsSync(path), s.name).toBe(true);
      expect(pkg.files, s.name).toContain(`fixtures/${s.file}`);
      // One source for what ran: the catalogue repeats the snapshot's own note, word for word.
      expect(readSnapshot(path).header.note, s.name).toBe(s.note);
      expect(sampleInfo(s.name)).toBe(s);
    }
    expect(sampleSnapshotPath()).toBe(sampleSnapshotPath(defaultSampleName));
  });

  it("refuses a name it does not have, listing the ones it has", () => {
    expect(sampleInfo("nope")).toBeUndefined();
    let err: KpageflagsError | undefined;
    try {
      sampleSnapshotPath("nope");
    } catch (e) {
      err = e as KpageflagsError;
    }
    expect(err).toBeInstanceOf(KpageflagsError);
    expect(err!.code).toBe("BAD_OPTION");
    expect(err!.message).toBe('there is no sample named "nope"');
    expect(err!.hint).toContain(`${defaultSampleName} (`);
  });
});

describe("the samples worth exploring", () => {
  /** A sample surveyed with the counters it recorded, and the page map's uses against the kernel's counters. */
  const surveyed = async (name: string) => {
    const snap = readSnapshot(sampleSnapshotPath(name));
    const s = await survey(snap.source, { root: snap.root() });
    const ram = s.pfnCount - s.uses.hole.pages;
    const share = (u: keyof typeof s.uses) => s.uses[u].pages / ram;
    const checks = Object.fromEntries(crossCheck(s).map((r) => [r.what, r]));
    return { snap, s, ram, share, checks };
  };

  it("each is a version-2 capture of a machine whose memmap was initialised, with its counters", async () => {
    for (const name of ["pagecache", "thp-anon", "slab"]) {
      const { snap, s, checks } = await surveyed(name);
      expect(snap.header.version, name).toBe(2);
      expect(snap.header.producer, name).toBe("memdesc capture");
      // The workload touched the memory first: no memmap left uninitialised.
      expect(s.uses.uninit.pages, name).toBe(0);
      expect(s.kernel?.unreadable, name).toEqual([]);
      // The page map agrees with the kernel's own counts, read in the same capture, for what the workloads made:
      // page cache and slab (anonymous memory and free pages moved with the machine's other work as it was read).
      for (const what of ["file pages", "slab pages", "slabs"])
        expect(checks[what]?.agrees, `${name}: ${what}`).toBe(true);
    }
  });

  it("pagecache: most of RAM is page cache, much of it in large folios", async () => {
    const { s, share } = await surveyed("pagecache");
    expect(share("file")).toBeGreaterThan(0.6);
    const large = s.uses.file.orders.reduce((n, c, k) => n + (k > 0 ? c * 2 ** k : 0), 0);
    expect(large / s.uses.file.pages).toBeGreaterThan(0.5);
  });

  it("thp-anon: 8 GiB of anonymous memory, nearly all in 2 MiB folios", async () => {
    const { s } = await surveyed("thp-anon");
    expect(s.uses.anon.pages * 4096).toBeGreaterThan(8 * 2 ** 30);
    expect((s.uses.anon.orders[9] ?? 0) * 512).toBeGreaterThanOrEqual((8 * 2 ** 30) / 4096 - 512);
  });

  it("slab: slab pages many times a quiet machine's, in slabs of several orders", async () => {
    const { s, share } = await surveyed("slab");
    expect(share("slab")).toBeGreaterThan(0.1);
    expect(s.uses.slab.orders.filter((c) => c > 0).length).toBeGreaterThan(1);
  });
});
