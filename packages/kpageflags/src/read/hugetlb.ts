import { closeSync, openSync, readdirSync, readSync } from "node:fs";
import { join } from "node:path";
import { fsError, KpageflagsError } from "../errors.js";
import type { HugetlbState } from "../hugetlb.js";

/*
 * The HugeTLB state a bill of today's memmap needs: whether the HugeTLB vmemmap optimisation is on
 * (/proc/sys/vm/hugetlb_optimize_vmemmap, Documentation/admin-guide/sysctl/vm.rst) and the hugetlb pools
 * (/sys/kernel/mm/hugepages/hugepages-<size>kB/{nr,free}_hugepages). Each file is small and read with a bound, as
 * anything memdesc reads as root is treated as hostile.
 */

/** The sysctl, relative to the root. */
export const HVO_SYSCTL = "proc/sys/vm/hugetlb_optimize_vmemmap";
/** The pools' directory, relative to the root. */
export const HUGEPAGES_DIR = "sys/kernel/mm/hugepages";
/** Bytes read of a one-number file: a u64 in decimal and a newline fit. */
const MAX_NUMBER_FILE = 32;
/** Pool directories looked at: x86-64 has two sizes, arm64 four. */
const MAX_POOLS = 16;

/** Reads at most `max` bytes of a file; undefined when it does not exist. */
function readSmall(path: string, max: number): string | undefined {
  let fd: number;
  try {
    fd = openSync(path, "r");
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === "ENOENT" || code === "ENOTDIR") return undefined;
    throw fsError(err, path, "open");
  }
  try {
    const buf = Buffer.alloc(max + 1);
    const n = readSync(fd, buf, 0, max + 1, 0);
    if (n > max)
      throw new KpageflagsError(
        "BAD_SYSCTL",
        `${path}: more than ${max} bytes, where the kernel writes one number`,
        "point --root at a real /proc and /sys, or leave it out",
        { path },
      );
    return buf.toString("latin1", 0, n);
  } catch (err) {
    if (err instanceof KpageflagsError) throw err;
    throw fsError(err, path, "read");
  } finally {
    closeSync(fd);
  }
}

/** A non-negative decimal the kernel wrote, with its newline; BAD_SYSCTL otherwise. */
function number(text: string, path: string): number {
  const m = /^(\d{1,16})\n?$/.exec(text);
  if (!m)
    throw new KpageflagsError(
      "BAD_SYSCTL",
      `${path}: expected a whole number, got ${JSON.stringify(text.slice(0, 20))}`,
      "point --root at a real /proc and /sys, or leave it out",
      { path },
    );
  return Number(m[1]);
}

/**
 * Reads the HugeTLB state under `root` (default `/`): HVO on or off (undefined when the kernel has no such
 * sysctl: built without CONFIG_HUGETLB_PAGE_OPTIMIZE_VMEMMAP), and every pool's size, pages and free pages.
 */
export function readHugetlbState(root = "/", pageSize = 4096): HugetlbState {
  const hvoPath = join(root, HVO_SYSCTL);
  const text = readSmall(hvoPath, MAX_NUMBER_FILE);
  let hvo: boolean | null = null;
  if (text !== undefined) {
    const v = number(text, hvoPath);
    if (v > 1)
      throw new KpageflagsError(
        "BAD_SYSCTL",
        `${hvoPath}: expected 0 or 1, got ${v}`,
        "point --root at a real /proc, or leave it out",
        { path: hvoPath },
      );
    hvo = v === 1;
  }
  const dir = join(root, HUGEPAGES_DIR);
  let names: string[] = [];
  try {
    names = readdirSync(dir);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code !== "ENOENT" && code !== "ENOTDIR") throw fsError(err, dir, "read");
  }
  const pools: HugetlbState["pools"][number][] = [];
  for (const name of names.sort()) {
    const m = /^hugepages-(\d{1,12})kB$/.exec(name);
    if (!m) continue;
    if (pools.length === MAX_POOLS)
      throw new KpageflagsError(
        "BAD_SYSCTL",
        `${dir}: more than ${MAX_POOLS} hugetlb pool sizes`,
        "point --root at a real /sys, or leave it out",
        { path: dir },
      );
    const sizeKiB = Number(m[1]);
    const order = Math.log2((sizeKiB * 1024) / pageSize);
    if (!Number.isInteger(order) || order < 1) continue;
    const read = (file: string) => {
      const path = join(dir, name, file);
      const t = readSmall(path, MAX_NUMBER_FILE);
      return t === undefined ? 0 : number(t, path);
    };
    pools.push({ sizeKiB, order, pages: read("nr_hugepages"), free: read("free_hugepages") });
  }
  return { hvo, hvoPath: `/${HVO_SYSCTL}`, pools };
}
