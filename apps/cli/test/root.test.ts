import { mkdirSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { describe, expect, it } from "vitest";
import { expectUserError, run, tempDir, validJson } from "./helpers.js";

/*
 * `memdesc survey --root DIR`: another machine's /proc and /sys, as a copy made with `cat` would hold them. The
 * files here are written out literally, in the kernel's formats.
 */

const BUDDY = 1n << 10n;
const LRU_UPTODATE = (1n << 5n) | (1n << 3n);
const HEAD = 1n << 15n;
const TAIL = 1n << 16n;
const HUGE = 1n << 17n;

function machine(root: string, words: bigint[], files: Record<string, string>): void {
  const put = (path: string, data: string | Uint8Array) => {
    mkdirSync(dirname(join(root, path)), { recursive: true });
    writeFileSync(join(root, path), data);
  };
  put("proc/kpageflags", new Uint8Array(BigUint64Array.from(words).buffer));
  put("proc/iomem", `00000000-${(words.length * 4096 - 1).toString(16).padStart(8, "0")} : System RAM\n`);
  put("proc/sys/kernel/osrelease", "6.18.0-test\n");
  for (const [path, text] of Object.entries(files)) put(path, text);
}

const zone = (
  node: number,
  name: string,
  start: number,
  spanned: number,
  free: number,
  pcp: number,
  nodeStats = "",
) =>
  `Node ${node}, zone ${name.padStart(8)}${nodeStats}
  pages free     ${free}
        boost    0
        min      10
        low      12
        high     14
        promo    16
        spanned  ${spanned}
        present  ${spanned}
        managed  ${spanned}
        cma      0
        protection: (0, 0, 0, 0, 0)
      nr_free_pages ${free}
  pagesets
    cpu: 0
              count:    ${pcp}
              high:     100
              batch:    63
              high_min: 20
              high_max: 240
  vm stats threshold: 4
  node_unreclaimable:  0
  start_pfn:           ${start}
`;

describe("memdesc survey --root DIR", () => {
  const dir = tempDir();

  // 12,001 zero pages and 100 untyped order-2 compound pages; the kernel says 12,345 IOMMU page-table pages.
  const iommu = join(dir, "iommu");
  const words: bigint[] = [
    ...Array(1000).fill(BUDDY),
    ...Array(12_001).fill(0n),
    ...Array(3).fill(LRU_UPTODATE),
  ];
  for (let i = 0; i < 100; i++) words.push(HEAD, TAIL, TAIL, TAIL);
  while (words.length < 65536) words.push(LRU_UPTODATE);
  machine(iommu, words, {
    "proc/vmstat": "nr_free_pages 1000\nnr_iommu_pages 12345\nnr_memmap_pages 0\nnr_memmap_boot_pages 1024\n",
    "proc/zoneinfo": zone(0, "Normal", 0, 65536, 1000, 0),
  });

  it("bills nr_iommu_pages as ioptdesc, taken from kernel and compound, and says so", () => {
    const r = run(["survey", "--root", iommu]);
    expect(r.status).toBe(0);
    expect(r.stderr).toBe("");
    expect(r.stdout).toMatch(
      /^memdesc survey: \S*iommu\/proc\/kpageflags, a copy of another machine \(Linux 6\.18\.0-test\)/m,
    );
    expect(r.stdout).toMatch(/^iommu\s+ioptdesc\s+nr_iommu_pages\s+12,345\s+12,087\s/m);
    expect(r.stdout).toMatch(
      /^ {2}iommu: 12,345 pages \(12,001 from kernel, 344 from compound; 12,087 descriptors\) from nr_iommu_pages in \/proc\/vmstat$/m,
    );
    expect(r.stdout).toMatch(/^ {2}today's memmap\s+4\.00 MiB\s+4\.00 MiB\s+0 bytes \(0\.00%\)\s+yes\s/m);
    const j = validJson("survey", run(["survey", "--root", iommu, "--json"])) as {
      source: { kind: string; root: string };
      survey: { billed: { iommu: { pages: number; counted: unknown } } };
      picture: { uses: Record<string, { pages: number }> };
      bill: { designs: { design: string; uses: { use: string; kind?: string; pages: number }[] }[] };
    };
    expect(j.source).toMatchObject({ kind: "proc", root: iommu });
    expect(j.survey.billed.iommu).toMatchObject({
      pages: 12_345,
      counted: { counter: "nr_iommu_pages", file: "/proc/vmstat" },
    });
    expect(j.picture.uses.iommu!.pages).toBe(12_345);
    const m8 = j.bill.designs.find((d) => d.design === "memdesc-8")!;
    expect(m8.uses.find((u) => u.use === "iommu")).toMatchObject({ kind: "ioptdesc", pages: 12_345 });
  });

  it("reads HVO and the hugetlb pools through the root, bills today with HVO, and agrees with the kernel", () => {
    // 4 hugetlb folios of 2 MiB; with HVO the kernel keeps 1 of each folio's 8 memmap pages.
    const hvo = join(dir, "hvo");
    const huge: bigint[] = [];
    for (let f = 0; f < 4; f++) huge.push(HEAD | HUGE, ...Array<bigint>(511).fill(TAIL | HUGE));
    machine(hvo, [...huge, ...Array(65536 - huge.length).fill(BUDDY)], {
      "proc/vmstat": `nr_free_pages ${65536 - huge.length}\nnr_memmap_pages 0\nnr_memmap_boot_pages ${1024 - 4 * 7}\n`,
      "proc/sys/vm/hugetlb_optimize_vmemmap": "1\n",
      "sys/kernel/mm/hugepages/hugepages-2048kB/nr_hugepages": "4\n",
      "sys/kernel/mm/hugepages/hugepages-2048kB/free_hugepages": "4\n",
      "sys/kernel/mm/hugepages/hugepages-2048kB/surplus_hugepages": "0\n",
    });
    const r = run(["survey", "--root", hvo]);
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(/^ {2}hugetlb pages\s+2,048\s+2,048\s+0 \(0\.00%\)\s+yes\s/m);
    expect(r.stdout).toMatch(/^ {2}today's memmap\s+3\.89 MiB\s+3\.89 MiB\s+0 bytes \(0\.00%\)\s+yes\s/m);
    expect(r.stdout).toMatch(
      /^note: \/proc\/sys\/vm\/hugetlb_optimize_vmemmap is 1: today's memmap is billed with HVO/m,
    );
    const j = validJson("survey", run(["survey", "--root", hvo, "--json"])) as {
      survey: { hugetlb: unknown };
      picture: { hvo?: boolean };
    };
    expect(j.survey.hugetlb).toEqual({
      hvo: true,
      hvoPath: "/proc/sys/vm/hugetlb_optimize_vmemmap",
      pools: [{ sizeKiB: 2048, order: 9, pages: 4, free: 4 }],
    });
    expect(j.picture.hvo).toBe(true);
    // --hvo off bills every hugetlb page at 64 bytes, and the row says why it then differs.
    const off = run(["survey", "--root", hvo, "--hvo", "off"]);
    expect(off.stdout).toMatch(/^ {2}today's memmap\s+4\.00 MiB\s+3\.89 MiB\s.*\sno\s/m);
    expect(off.stdout).toMatch(
      /today's memmap: hugetlb_optimize_vmemmap is 1 and today's bill is without HVO/,
    );
    writeFileSync(join(hvo, "proc/sys/vm/hugetlb_optimize_vmemmap"), "2\n");
    expectUserError(run(["survey", "--root", hvo]), /hugetlb_optimize_vmemmap: expected 0 or 1, got 2/);
  });

  it("bills each NUMA node (--by node) and each zone (--by zone)", () => {
    const numa = join(dir, "numa");
    machine(numa, [...Array(32768).fill(BUDDY), ...Array(32768).fill(LRU_UPTODATE)], {
      "proc/vmstat": "nr_free_pages 32768\n",
      "proc/zoneinfo":
        zone(0, "Normal", 0, 32768, 32768, 0, "\n  per-node stats\n      nr_iommu_pages 0") +
        zone(1, "Normal", 32768, 32768, 0, 0, "\n  per-node stats\n      nr_iommu_pages 0"),
    });
    const r = run(["survey", "--root", numa, "--by", "node"]);
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(/^by node:$/m);
    expect(r.stdout).toMatch(/^ {2}node\s+RAM pages\s+today MiB\s+memdesc-8 MiB\s+saving MiB\s+saving$/m);
    expect(r.stdout).toMatch(/^ {2}node 0\s+32,768\s+2\.00\s/m);
    expect(r.stdout).toMatch(/^ {2}node 1\s+32,768\s+2\.00\s/m);
    const j = validJson("survey", run(["survey", "--root", numa, "--by", "zone", "--json"])) as {
      groups: { by: string; rows: { label: string; ramPages: number }[] };
    };
    expect(j.groups.by).toBe("zone");
    expect(j.groups.rows.map((g) => [g.label, g.ramPages])).toEqual([
      ["node 0 Normal", 32768],
      ["node 1 Normal", 32768],
    ]);
  });

  it("says what it needs, in one line, when it cannot split as asked", () => {
    const bare = join(dir, "bare");
    machine(bare, Array(4096).fill(LRU_UPTODATE), { "proc/vmstat": "nr_free_pages 0\n" });
    expectUserError(
      run(["survey", "--root", bare, "--by", "zone"]),
      /--by zone needs \/proc\/zoneinfo, which could not be read/,
    );
    expectUserError(run(["survey", "--root", bare, "--by", "cgroup"]), /kpagecgroup .*does not exist/);
    expectUserError(
      run(["survey", "--root", bare, "--snapshot", "x.mdsnap"]),
      /--snapshot and --root both name a machine/,
    );
    expectUserError(
      run(["survey", "--root", join(dir, "nowhere")]),
      /nowhere\/proc\/kpageflags does not exist/,
    );
  });
});
