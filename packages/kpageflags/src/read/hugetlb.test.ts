import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { hugetlbNotes } from "../hugetlb.js";
import { readHugetlbState } from "./hugetlb.js";

const roots: string[] = [];
afterAll(() => {
  for (const r of roots) rmSync(r, { recursive: true, force: true });
});

/** A fake root with the sysctl and the pools as the kernel writes them. */
function fakeRoot(hvo: string | undefined, pools: Record<string, [string, string]>): string {
  const root = mkdtempSync(join(tmpdir(), "memdesc-hugetlb-"));
  roots.push(root);
  if (hvo !== undefined) {
    mkdirSync(join(root, "proc/sys/vm"), { recursive: true });
    writeFileSync(join(root, "proc/sys/vm/hugetlb_optimize_vmemmap"), hvo);
  }
  for (const [name, [nr, free]] of Object.entries(pools)) {
    const dir = join(root, "sys/kernel/mm/hugepages", name);
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, "nr_hugepages"), nr);
    writeFileSync(join(dir, "free_hugepages"), free);
  }
  return root;
}

describe("the HugeTLB state: hugetlb_optimize_vmemmap and the pools", () => {
  it("reads HVO and each pool's size, order, pages and free pages", () => {
    const root = fakeRoot("1\n", {
      "hugepages-2048kB": ["512\n", "12\n"],
      "hugepages-1048576kB": ["2\n", "0\n"],
    });
    expect(readHugetlbState(root)).toEqual({
      hvo: true,
      hvoPath: "/proc/sys/vm/hugetlb_optimize_vmemmap",
      pools: [
        { sizeKiB: 2048, order: 9, pages: 512, free: 12 },
        { sizeKiB: 1048576, order: 18, pages: 2, free: 0 },
      ],
    });
    expect(readHugetlbState(fakeRoot("0\n", {})).hvo).toBe(false);
  });

  it("says HVO is unknown where the kernel has no such sysctl, and no pools where there is no hugetlbfs", () => {
    expect(readHugetlbState(fakeRoot(undefined, {}))).toMatchObject({ hvo: null, pools: [] });
  });

  it("refuses what the kernel would not write, naming the file", () => {
    for (const [bad, why] of [
      ["2\n", /expected 0 or 1, got 2/],
      ["yes\n", /expected a whole number, got "yes\\n"/],
      ["1".repeat(40), /more than 32 bytes/],
    ] as const) {
      const root = fakeRoot(bad, {});
      expect(() => readHugetlbState(root)).toThrow(
        expect.objectContaining({
          code: "BAD_SYSCTL",
          message: expect.stringMatching(
            new RegExp(`^${join(root, "proc/sys/vm/hugetlb_optimize_vmemmap")}: ${why.source}`),
          ),
        }),
      );
    }
    const pool = fakeRoot("0\n", { "hugepages-2048kB": ["-1\n", "0\n"] });
    expect(() => readHugetlbState(pool)).toThrow(/nr_hugepages: expected a whole number/);
  });

  it("notes what the bill does with it, and pools that disagree with kpageflags", () => {
    const state = {
      hvo: true,
      hvoPath: "/proc/sys/vm/hugetlb_optimize_vmemmap",
      pools: [{ sizeKiB: 2048, order: 9, pages: 4, free: 0 }],
    };
    expect(hugetlbNotes(state, 2048)).toEqual([
      "/proc/sys/vm/hugetlb_optimize_vmemmap is 1: today's memmap is billed with HVO, one page of struct pages per hugetlb folio (folios allocated before it was switched on keep all theirs)",
    ]);
    expect(hugetlbNotes(state, 1024)[1]).toMatch(
      /the hugetlb pools hold 2,048 pages, kpageflags showed 1,024/,
    );
    expect(hugetlbNotes(undefined, 0)).toEqual([]);
    expect(hugetlbNotes(undefined, 512)[0]).toMatch(/was not recorded with this page map/);
  });

  const live = "/proc/sys/vm/hugetlb_optimize_vmemmap";
  it.runIf(existsSync(live))(
    "reads this machine's state, which /proc/meminfo's HugePages_Total agrees with",
    () => {
      const state = readHugetlbState();
      expect(state.hvo).toBe(readFileSync(live, "utf8").trim() === "1");
      // An independent count of the default-size pool: /proc/meminfo.
      const meminfo = readFileSync("/proc/meminfo", "utf8");
      const total = Number(/^HugePages_Total:\s+(\d+)/m.exec(meminfo)![1]);
      const sizeKiB = Number(/^Hugepagesize:\s+(\d+) kB/m.exec(meminfo)![1]);
      expect(state.pools.find((p) => p.sizeKiB === sizeKiB)?.pages ?? 0).toBe(total);
    },
  );
  it.skipIf(existsSync(live))(`skips the live read: ${live} does not exist here`, () => {});
});
