import { CounterReader } from "../counters/kernel.js";
import { hugepagesDir, hvoSysctl, readHugetlbPools, readHvo } from "../counters/sysfs.js";
import { type HugetlbState, hugetlbStateOf } from "../hugetlb.js";
import { dirRoot } from "../root/dir.js";
import type { SystemRoot } from "../root/root.js";

/*
 * The HugeTLB state a bill of today's memmap needs, on its own: whether the HugeTLB vmemmap optimisation is on
 * (/proc/sys/vm/hugetlb_optimize_vmemmap, Documentation/admin-guide/sysctl/vm.rst) and the hugetlb pools
 * (/sys/kernel/mm/hugepages/hugepages-<size>kB). A survey reads the same files once, with its other counters,
 * through the same readers (counters/sysfs.ts); this is for a caller that wants only these.
 */

/** The sysctl, relative to the root. */
export const HVO_SYSCTL = hvoSysctl.slice(1);
/** The pools' directory, relative to the root. */
export const HUGEPAGES_DIR = hugepagesDir.slice(1);

/**
 * Reads the HugeTLB state under `root` (a directory, default `/`, or any {@link SystemRoot}): HVO on or off (null
 * when the kernel has no such sysctl: built without CONFIG_HUGETLB_PAGE_OPTIMIZE_VMEMMAP), and every pool's size,
 * pages and free pages. A file that does not hold what the kernel writes there is BAD_SYSCTL.
 */
export function readHugetlbState(root: string | SystemRoot = "/", pageSize = 4096): HugetlbState {
  const tree = typeof root === "string" ? dirRoot(root) : root;
  const reader = new CounterReader(tree);
  return hugetlbStateOf(
    {
      hugetlb: readHugetlbPools(tree, reader.missing),
      hugetlbOptimizeVmemmap: readHvo(tree, reader.missing),
    },
    pageSize,
  );
}
