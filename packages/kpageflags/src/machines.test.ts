import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createRegistry } from "@memdesc/core";
import { folio } from "@memdesc/folio";
import { ptdesc } from "@memdesc/ptdesc";
import { slab } from "@memdesc/slab";
import { afterAll, describe, expect, it } from "vitest";
import type { ZoneSpec } from "../test/kernel-format.js";
import { writeMachine } from "../test/machine.js";
import { bits, folio as folioOf, KPF, times } from "../test/pagemap.js";
import { KpageflagsError } from "./errors.js";
import { surveyReport } from "./report.js";
import { readSnapshot } from "./snapshot/read.js";
import { captureSnapshot } from "./snapshot/write.js";
import { surveyMachine } from "./survey.js";
import { survey } from "./survey-core.js";
import { billedUses } from "./uses.js";

/*
 * Machines this one is not, given to the survey with --root: IOMMU page tables, zsmalloc, hugetlb with HVO,
 * two NUMA nodes, a container without most counter files. Their files are written with the kernel's own
 * formats (test/kernel-format.ts).
 */

const dir = mkdtempSync(join(tmpdir(), "kpf-machines-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const file = bits(KPF.UPTODATE, KPF.LRU);
const free = bits(KPF.BUDDY);
const compoundHead = bits(KPF.HEAD);
const compoundTail = bits(KPF.TAIL);
const huge = bits(KPF.HUGE);
const registry = () => createRegistry({ plugins: [folio(), slab(), ptdesc()] });
const zone = (z: Partial<ZoneSpec> & Pick<ZoneSpec, "node" | "zone" | "startPfn" | "spanned">): ZoneSpec => ({
  present: z.spanned,
  managed: z.spanned,
  free: 0,
  pcp: [0, 0],
  ...z,
});
let n = 0;
const machineDir = () => mkdtempSync(join(dir, `m${n++}-`));

describe("a machine with IOMMU page tables (nr_iommu_pages)", () => {
  // 1,000 free pages, 12,001 zero pages (plain page allocations), 100 untyped order-2 compound pages, page cache.
  const words = [
    ...times(free, 1000),
    ...times(0n, 12_001),
    ...times(file, 3),
    ...Array.from({ length: 100 }, () => folioOf(0n, 2)).flat(),
  ];
  words.push(...times(file, 65536 - words.length));
  const root = machineDir();
  writeMachine(root, {
    words,
    ram: [[0, 65536]],
    vmstat: {
      nr_free_pages: 1000,
      nr_file_pages: 65536 - 13_404,
      nr_iommu_pages: 12_345,
      nr_memmap_pages: 0,
      nr_memmap_boot_pages: 1024,
    },
    zones: [zone({ node: 0, zone: "Normal", startPfn: 0, spanned: 65536, free: 1000 })],
  });

  it("bills 12,345 pages as IOMMU page tables, taken from kernel and compound, attributed from nr_iommu_pages", async () => {
    const s = await surveyMachine({ root });
    expect(s.uses.kernel.pages).toBe(12_001);
    expect(s.uses.compound).toMatchObject({ pages: 400, descriptors: 100 });
    expect(s.billed.iommu).toEqual({
      pages: 12_345,
      descriptors: 12_001 + 86,
      orders: [12_001, 0, 86],
      counted: { counter: "nr_iommu_pages", file: "/proc/vmstat" },
    });
    expect(s.attributions.find((a) => a.use === "iommu")?.taken).toEqual([
      { from: "kernel", pages: 12_001, descriptors: 12_001 },
      { from: "compound", pages: 344, descriptors: 86 },
    ]);
    expect(s.billed.kernel.pages).toBe(0);
    expect(s.billed.compound.pages).toBe(56);
    expect(s.unseen.map((u) => u.use)).not.toContain("iommu");
    // Attribution moves pages between uses; the machine's total stays the page map's.
    expect(billedUses.reduce((a, u) => a + s.billed[u].pages, 0)).toBe(65536);
    const report = surveyReport(s, registry());
    expect(report.picture.uses.iommu).toEqual({
      pages: 12_345,
      descriptors: 12_087,
      orders: { "0": 12_001, "2": 86 },
    });
    const memmap = report.crossCheck.find((r) => r.what === "today's memmap")!;
    expect(memmap).toMatchObject({ pageMap: 65536 * 64, kernel: 1024 * 4096, agrees: true, difference: 0 });
  });
});

describe("a machine with zsmalloc and hugetlb pages optimised by HVO", () => {
  const hugeFolio = [huge | compoundHead, ...times(huge | compoundTail, 511)];
  const words = [
    ...Array.from({ length: 4 }, () => hugeFolio).flat(),
    ...times(0n, 300),
    ...times(file, 1000),
  ];
  words.push(...times(free, 65536 - words.length));
  const root = machineDir();
  writeMachine(root, {
    words,
    ram: [[0, 65536]],
    vmstat: {
      nr_free_pages: 65536 - 3348,
      nr_file_pages: 1000,
      nr_zspages: 300,
      nr_memmap_pages: 0,
      // HVO keeps one of the eight memmap pages of each 2 MiB hugetlb folio (mm/hugetlb_vmemmap.c).
      nr_memmap_boot_pages: 1024 - 4 * 7,
    },
    zones: [
      zone({
        node: 0,
        zone: "Normal",
        startPfn: 0,
        spanned: 65536,
        free: 65536 - 3348,
        stats: { nr_free_pages: 65536 - 3348, nr_zspages: 300 },
      }),
    ],
    hugepages: [{ kB: 2048, total: 4, free: 4 }],
    hugetlbOptimizeVmemmap: 1,
  });

  it("bills zsmalloc pages as zpdesc, one per page, from kernel", async () => {
    const s = await surveyMachine({ root });
    expect(s.billed.zsmalloc).toEqual({
      pages: 300,
      descriptors: 300,
      orders: [300],
      counted: { counter: "nr_zspages", file: "/proc/vmstat" },
    });
    expect(s.kernel?.hugetlbOptimizeVmemmap).toBe(1);
    expect(s.kernel?.hugetlb).toEqual([{ kB: 2048, total: 4, free: 4, reserved: 0, surplus: 0 }]);
  });

  it("reads HVO with the counters, bills today with it, and so agrees with the kernel's memmap count", async () => {
    const s = await surveyMachine({ root });
    expect(s.hugetlb).toEqual({
      hvo: true,
      hvoPath: "/proc/sys/vm/hugetlb_optimize_vmemmap",
      pools: [{ sizeKiB: 2048, order: 9, pages: 4, free: 4 }],
    });
    expect(s.kernel?.read).toContain("/proc/sys/vm/hugetlb_optimize_vmemmap");
    const report = surveyReport(s, registry());
    expect(report.picture.hvo).toBe(true);
    expect(report.bill.hvo).toBe(true);
    const rows = report.crossCheck;
    expect(rows.find((r) => r.what === "hugetlb pages")).toMatchObject({
      pageMap: 2048,
      kernel: 2048,
      agrees: true,
    });
    // 65,536 struct pages of 64 bytes are 1,024 memmap pages; HVO freed 7 of each folio's 8.
    expect(rows.find((r) => r.what === "today's memmap")).toMatchObject({
      pageMap: 996 * 4096,
      kernel: 996 * 4096,
      agrees: true,
    });
  });

  it("keeps HVO in a capture: the snapshot surveys as the machine did", async () => {
    const path = join(dir, "hvo.mdsnap");
    await captureSnapshot(path, { root });
    const snap = readSnapshot(path);
    const again = await survey(snap.source, { root: snap.root() });
    expect(again.hugetlb).toEqual((await surveyMachine({ root })).hugetlb);
    expect(again.hugetlb?.hvo).toBe(true);
    expect(surveyReport(again, registry()).crossCheck.find((r) => r.what === "today's memmap")).toMatchObject(
      {
        agrees: true,
      },
    );
  });

  it("says why today's memmap differs when the bill is told HVO was off", async () => {
    const s = await surveyMachine({ root });
    const memmap = surveyReport(s, registry(), { hvo: false }).crossCheck.find(
      (r) => r.what === "today's memmap",
    )!;
    expect(memmap).toMatchObject({ pageMap: 1024 * 4096, kernel: 996 * 4096, agrees: false });
    expect(memmap.reason).toMatch(/hugetlb_optimize_vmemmap is 1 and today's bill is without HVO/);
  });

  it("refuses a sysctl the kernel would not write, naming the file", async () => {
    const bad = machineDir();
    writeMachine(bad, {
      words: times(free, 1024),
      ram: [[0, 1024]],
      vmstat: { nr_free_pages: 1024 },
      hugetlbOptimizeVmemmap: 2,
    });
    await expect(surveyMachine({ root: bad })).rejects.toMatchObject({
      code: "BAD_SYSCTL",
      message: expect.stringMatching(/hugetlb_optimize_vmemmap: expected 0 or 1, got 2$/),
    });
  });
});

describe("a machine with two NUMA nodes", () => {
  // node 0: DMA32 [0, 32768) and Normal [32768, 65536); node 1: Normal [65536, 131072).
  const words: bigint[] = [];
  for (const [zeros, frees] of [
    [1000, 3000],
    [2000, 5000],
    [4000, 9000],
  ] as const) {
    const start = words.length;
    words.push(...times(0n, zeros).map(BigInt), ...times(free, frees).map(BigInt));
    while (words.length < start + (start >= 65536 ? 65536 : 32768)) words.push(file);
  }
  const root = machineDir();
  writeMachine(root, {
    words,
    ram: [[0, 131072]],
    vmstat: { nr_free_pages: 17_000, nr_iommu_pages: 600, nr_memmap_boot_pages: 2048 },
    zones: [
      zone({
        node: 0,
        zone: "DMA32",
        startPfn: 0,
        spanned: 32768,
        free: 3000,
        pcp: [100, 0],
        nodeStats: { nr_iommu_pages: 100 },
      }),
      zone({ node: 0, zone: "Normal", startPfn: 32768, spanned: 32768, free: 5000, pcp: [0, 200] }),
      zone({
        node: 1,
        zone: "Normal",
        startPfn: 65536,
        spanned: 65536,
        free: 9000,
        pcp: [300, 300],
        nodeStats: { nr_iommu_pages: 500 },
      }),
    ],
    buddy: [
      { node: 0, zone: "DMA32", blocks: [0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 2] },
      { node: 0, zone: "Normal", blocks: [0, 0, 0, 2, 0, 0, 0, 0, 0, 1, 4] },
      { node: 1, zone: "Normal", blocks: [0, 0, 0, 8, 0, 0, 0, 0, 0, 1, 8] },
    ],
  });

  it("bills each node: its per-CPU pages and free blocks from its zones, its IOMMU pages from its own counter", async () => {
    const s = await surveyMachine({ root, by: "node" });
    const rows = s.groups!.rows;
    expect(rows.map((r) => r.label)).toEqual(["node 0", "node 1"]);
    expect(rows.map((r) => r.billed.pcp.pages)).toEqual([300, 600]);
    expect(rows.map((r) => r.billed.iommu.pages)).toEqual([100, 500]);
    expect(rows.map((r) => r.billed.free.descriptors)).toEqual([9, 17]);
    // The nodes add up to the machine, use by use (vmstat's totals are the nodes' sums here).
    for (const u of billedUses)
      expect(
        rows.reduce((a, r) => a + r.billed[u].pages, 0),
        u,
      ).toBe(s.billed[u].pages);
  });

  it("bills each zone, a node's IOMMU pages in its highest zone first (the allocator's fallback order)", async () => {
    const s = await surveyMachine({ root, by: "zone" });
    const byLabel = Object.fromEntries(s.groups!.rows.map((r) => [r.label, r]));
    expect(Object.keys(byLabel)).toEqual(["node 0 DMA32", "node 0 Normal", "node 1 Normal"]);
    expect(byLabel["node 0 Normal"]!.billed.iommu.pages).toBe(100);
    expect(byLabel["node 0 DMA32"]!.billed.iommu.pages).toBe(0);
    expect(byLabel["node 0 DMA32"]!.billed.pcp.pages).toBe(100);
    expect(byLabel["node 1 Normal"]!.billed.free.orders).toEqual([0, 0, 0, 8, 0, 0, 0, 0, 0, 1, 8]);
    const report = surveyReport(s, registry());
    const today = (label: string) =>
      report.groups!.rows.find((r) => r.label === label)!.designs.find((d) => d.design === "today")!.total;
    expect(today("node 1 Normal")).toBe(65536 * 64);
    expect(report.groups!.rows.reduce((a, r) => a + r.ramPages, 0)).toBe(report.bill.ramPages);
  });
});

describe("a machine with memory cgroups", () => {
  const words = [...times(file, 3000), ...times(free, 1000)];
  words.push(...times(0n, 65536 - words.length));
  const root = machineDir();
  const { inodes } = writeMachine(root, {
    words,
    ram: [[0, 65536]],
    vmstat: { nr_free_pages: 1000 },
    zones: [zone({ node: 0, zone: "Normal", startPfn: 0, spanned: 65536, pcp: [50, 0] })],
    cgroups: [
      { path: "/db", ranges: [[0, 2000]] },
      { path: "/web/frontend", ranges: [[2000, 2500]] },
    ],
  });

  it("bills each cgroup by the inode kpagecgroup gives, named by its path; per-CPU pages are nobody's", async () => {
    const s = await surveyMachine({ root, by: "cgroup" });
    const byLabel = Object.fromEntries(s.groups!.rows.map((r) => [r.label, r]));
    expect(byLabel["/db"]!.billed.file.pages).toBe(2000);
    expect(byLabel["/web/frontend"]!.billed.file.pages).toBe(500);
    expect(byLabel["(not charged to a memcg)"]!.billed.pcp.pages).toBe(50);
    expect(s.kernel!.cgroups).toMatchObject({ version: "v2", mountPoint: "/sys/fs/cgroup" });
    expect(s.kernel!.cgroups!.paths).toContainEqual({
      inode: inodes.get("/web/frontend"),
      path: "/web/frontend",
    });
  });
});

describe("a machine (a container) without most counter files", () => {
  const root = machineDir();
  writeMachine(root, {
    words: times(file, 4096).map(BigInt),
    ram: [[0, 4096]],
    vmstat: { nr_free_pages: 0 },
  });

  it("names each unreadable file once and goes on with what it has", async () => {
    const s = await surveyMachine({ root });
    const paths = s.kernel!.unreadable.map((u) => u.path);
    expect(new Set(paths).size).toBe(paths.length);
    for (const p of [
      "/proc/zoneinfo",
      "/proc/buddyinfo",
      "/proc/slabinfo",
      "/proc/pagetypeinfo",
      "/proc/vmstat: nr_iommu_pages",
    ])
      expect(paths).toContain(p);
    expect(s.unseen.find((u) => u.use === "iommu")?.counter).toMatch(
      /^nr_iommu_pages in \/proc\/vmstat: not there \(a kernel without CONFIG_IOMMU_SUPPORT/,
    );
    expect(s.billed.file.pages).toBe(4096);
  });

  it("rejects a counter file that is not what the kernel writes, naming the file and line", async () => {
    writeFileSync(join(root, "proc/zoneinfo"), "Node 0, zone   Normal\n  something else\n");
    const err = await surveyMachine({ root }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(KpageflagsError);
    expect(err).toMatchObject({
      code: "BAD_COUNTERS",
      message: `${join(root, "proc/zoneinfo")} line 2: not a zoneinfo line: "  something else"`,
    });
  });
});
