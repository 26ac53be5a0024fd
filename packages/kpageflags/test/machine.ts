import { mkdirSync, statSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import {
  formatBuddyinfo,
  formatSlabinfo,
  formatVmstat,
  formatZoneinfo,
  type SlabSpec,
  type ZoneSpec,
} from "./kernel-format.js";

/** A machine this one is not: what `--root` should find in its `proc/` and `sys/`. */
export interface MachineSpec {
  /** kpageflags, one word per PFN from 0. */
  readonly words: readonly (bigint | number)[];
  /** Memory cgroups (paths under the cgroup2 mount) and the PFN ranges charged to each; the rest read 0. */
  readonly cgroups?: readonly { readonly path: string; readonly ranges: readonly [number, number][] }[];
  /** System RAM as PFN ranges (the /proc/iomem written from them). */
  readonly ram: readonly [number, number][];
  readonly vmstat: Readonly<Record<string, number>>;
  readonly zones?: readonly ZoneSpec[];
  readonly buddy?: readonly { node: number; zone: string; blocks: readonly number[] }[];
  readonly slabinfo?: readonly SlabSpec[];
  readonly hugepages?: readonly { kB: number; total: number; free: number }[];
  /** The sysctl as written (a test may write what no kernel would). */
  readonly hugetlbOptimizeVmemmap?: number;
  readonly release?: string;
}

const hex = (n: bigint) => n.toString(16).padStart(8, "0");

/** /proc/iomem with "System RAM" lines for the PFN ranges (4 KiB pages) and a reserved line between them. */
export function iomemOf(ram: readonly [number, number][]): string {
  return ram
    .map(([s, e]) => `${hex(BigInt(s) * 4096n)}-${hex(BigInt(e) * 4096n - 1n)} : System RAM\n`)
    .join("");
}

function put(root: string, path: string, data: string | Uint8Array): void {
  const full = join(root, path);
  mkdirSync(dirname(full), { recursive: true });
  writeFileSync(full, data);
}

const words64 = (w: readonly (bigint | number)[]) =>
  new Uint8Array(BigUint64Array.from(w, (x) => BigInt(x)).buffer);

/**
 * Writes the machine's files under `root` and returns the inode numbers its cgroups got (the tests' cgroup
 * directories are real directories, so their inodes are what a kpagecgroup of that machine would hold).
 */
export function writeMachine(root: string, m: MachineSpec): { inodes: ReadonlyMap<string, number> } {
  put(root, "proc/kpageflags", words64(m.words));
  put(root, "proc/iomem", iomemOf(m.ram));
  put(root, "proc/vmstat", formatVmstat(m.vmstat));
  put(root, "proc/sys/kernel/osrelease", `${m.release ?? "6.18.0-test"}\n`);
  put(root, "proc/sys/kernel/arch", "x86_64\n");
  if (m.zones) put(root, "proc/zoneinfo", formatZoneinfo(m.zones));
  if (m.buddy) put(root, "proc/buddyinfo", formatBuddyinfo(m.buddy));
  if (m.slabinfo) put(root, "proc/slabinfo", formatSlabinfo(m.slabinfo));
  if (m.hugetlbOptimizeVmemmap !== undefined)
    put(root, "proc/sys/vm/hugetlb_optimize_vmemmap", `${m.hugetlbOptimizeVmemmap}\n`);
  for (const h of m.hugepages ?? []) {
    const d = `sys/kernel/mm/hugepages/hugepages-${h.kB}kB`;
    put(root, `${d}/nr_hugepages`, `${h.total}\n`);
    put(root, `${d}/free_hugepages`, `${h.free}\n`);
    put(root, `${d}/resv_hugepages`, "0\n");
    put(root, `${d}/surplus_hugepages`, "0\n");
  }
  const inodes = new Map<string, number>();
  if (m.cgroups) {
    put(root, "proc/self/mountinfo", "41 31 0:38 / /sys/fs/cgroup rw,relatime - cgroup2 cgroup2 rw\n");
    put(root, "sys/fs/cgroup/cgroup.controllers", "cpu io memory pids\n");
    inodes.set("/", statSync(join(root, "sys/fs/cgroup")).ino);
    for (const c of m.cgroups) {
      const d = join(root, "sys/fs/cgroup", c.path);
      mkdirSync(d, { recursive: true });
      writeFileSync(join(d, "memory.stat"), "anon 0\n");
      inodes.set(c.path, statSync(d).ino);
    }
    const cg = new Array<bigint>(m.words.length).fill(0n);
    for (const c of m.cgroups)
      for (const [s, e] of c.ranges) for (let p = s; p < e; p++) cg[p] = BigInt(inodes.get(c.path)!);
    put(root, "proc/kpagecgroup", words64(cg));
  }
  return { inodes };
}
