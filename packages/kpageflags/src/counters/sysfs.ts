import { KpageflagsError } from "../errors.js";
import { joinPath, type RootErrorCode, readText, type SystemRoot } from "../root/root.js";
import { badCounters, whole } from "./parse.js";

/** Reports a file that could not be read (or what is missing from it), once; the reader goes on without it. */
export type Unreadable = (path: string, why: RootErrorCode | string) => void;

/** Bytes of a one-number file: a u64 in decimal and a newline fit. */
const maxNumberFile = 32;

/** A /proc/sys or /sys file that does not hold what the kernel writes there. */
export function badSysctl(root: SystemRoot, path: string, message: string): KpageflagsError {
  const shown = root.localPath(path) ?? `${path} (in ${root.label})`;
  return new KpageflagsError(
    "BAD_SYSCTL",
    `${shown}: ${message}`,
    "point --root at a real /proc and /sys, or leave it out",
    { path: shown },
  );
}

/**
 * A sysfs or sysctl file holding one non-negative whole number (`%lu`, `%d`, with its newline), or undefined
 * when it cannot be read (named once); BAD_SYSCTL when it holds anything else.
 */
export function readNumber(root: SystemRoot, path: string, unreadable: Unreadable): number | undefined {
  const r = readText(root, path);
  if (!r.ok) {
    unreadable(path, r.code);
    return undefined;
  }
  if (r.value.length > maxNumberFile)
    throw badSysctl(root, path, `more than ${maxNumberFile} bytes, where the kernel writes one number`);
  const m = /^(\d{1,16})\n?$/.exec(r.value);
  if (!m) throw badSysctl(root, path, `expected a whole number, got ${JSON.stringify(r.value.slice(0, 20))}`);
  return Number(m[1]);
}

/** The `hugepages-<size>kB` directories of a sysfs directory, with their size in kB, smallest first. */
function sizeDirs(root: SystemRoot, dir: string, unreadable: Unreadable): { name: string; kB: number }[] {
  const r = root.list(dir);
  if (!r.ok) {
    unreadable(dir, r.code);
    return [];
  }
  return r.value
    .flatMap((name) => {
      const m = /^hugepages-(\d+)kB$/.exec(name);
      if (!m) return [];
      const kB = whole(m[1]!, dir, undefined, name);
      if (kB <= 0 || (kB & (kB - 1)) !== 0)
        throw badCounters(dir, undefined, `${name}: not a power-of-two size`);
      return [{ name, kB }];
    })
    .sort((a, b) => a.kB - b.kB);
}

/** One hugetlb pool (Documentation/admin-guide/mm/hugetlbpage.rst, /sys/kernel/mm/hugepages). */
export interface HugetlbPool {
  readonly kB: number;
  /** `nr_hugepages`: every huge page of the pool, free or in use, surplus included (`h->nr_huge_pages`). */
  readonly total: number;
  readonly free: number;
  readonly reserved: number;
  /** `surplus_hugepages`: pages over the persistent pool (overcommit). */
  readonly surplus: number;
}

export const hugepagesDir = "/sys/kernel/mm/hugepages";

/** Where HVO is switched (Documentation/admin-guide/sysctl/vm.rst, hugetlb_optimize_vmemmap). */
export const hvoSysctl = "/proc/sys/vm/hugetlb_optimize_vmemmap";

/** hugetlb_optimize_vmemmap: 0 or 1, or undefined when it cannot be read (named once). */
export function readHvo(root: SystemRoot, unreadable: Unreadable): number | undefined {
  const v = readNumber(root, hvoSysctl, unreadable);
  if (v !== undefined && v > 1) throw badSysctl(root, hvoSysctl, `expected 0 or 1, got ${v}`);
  return v;
}

/** Pool sizes looked at: x86-64 has two, arm64 up to four. */
const maxPools = 16;

/** The hugetlb pools, one per huge page size the machine supports. */
export function readHugetlbPools(root: SystemRoot, unreadable: Unreadable): HugetlbPool[] | undefined {
  const dirs = sizeDirs(root, hugepagesDir, unreadable);
  if (dirs.length === 0) return undefined;
  if (dirs.length > maxPools) throw badSysctl(root, hugepagesDir, `more than ${maxPools} hugetlb pool sizes`);
  const pools: HugetlbPool[] = [];
  for (const d of dirs) {
    const at = (f: string) => readNumber(root, joinPath(joinPath(hugepagesDir, d.name), f), unreadable);
    const total = at("nr_hugepages");
    const free = at("free_hugepages");
    const reserved = at("resv_hugepages");
    const surplus = at("surplus_hugepages");
    if (total === undefined || free === undefined) continue;
    pools.push({ kB: d.kB, total, free, reserved: reserved ?? 0, surplus: surplus ?? 0 });
  }
  return pools;
}

/** Anonymous THP of one size (Documentation/admin-guide/mm/transhuge.rst, per-size `stats/`). */
export interface ThpSize {
  readonly kB: number;
  /** `nr_anon`: anonymous THP of this size in the system, mapped whole or in part. */
  readonly nrAnon: number;
  readonly nrAnonPartiallyMapped: number | undefined;
}

export const thpDir = "/sys/kernel/mm/transparent_hugepage";

/**
 * The per-size mTHP counters. A size with no `stats/nr_anon` (a kernel older than the counter, or a size anon
 * memory cannot use, such as order 1, which has shmem counters only) is skipped, not reported.
 */
export function readThpSizes(root: SystemRoot, unreadable: Unreadable): ThpSize[] | undefined {
  const dirs = sizeDirs(root, thpDir, unreadable);
  const sizes: ThpSize[] = [];
  for (const d of dirs) {
    const stats = joinPath(joinPath(thpDir, d.name), "stats");
    const names = root.list(stats);
    if (!names.ok || !names.value.includes("nr_anon")) continue;
    const nrAnon = readNumber(root, joinPath(stats, "nr_anon"), unreadable);
    if (nrAnon === undefined) continue;
    sizes.push({
      kB: d.kB,
      nrAnon,
      nrAnonPartiallyMapped: names.value.includes("nr_anon_partially_mapped")
        ? readNumber(root, joinPath(stats, "nr_anon_partially_mapped"), unreadable)
        : undefined,
    });
  }
  return sizes.length > 0 ? sizes : undefined;
}
