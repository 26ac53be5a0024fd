import { readdirSync, readFileSync } from "node:fs";
import { release } from "node:os";
import { join } from "node:path";
import { PAGE_SIZE } from "@memdesc/core";
import { SlabError } from "./errors.js";
import { parseSlabinfo, parseSlubBootParams, type SlabMachine, type SysSlabCache } from "./slabinfo.js";

/*
 * Reading a live machine's slab state (Node only, so the main entry stays usable in a browser). /proc/slabinfo
 * is readable by root only.
 */

/** `0-3,8-11` (a sysfs CPU list) → the CPU numbers. */
export function parseCpuList(text: string, source: string): number[] {
  const cpus: number[] = [];
  for (const part of text.trim().split(",")) {
    const m = /^(\d+)(?:-(\d+))?$/.exec(part);
    if (!m) throw new SlabError("BAD_SNAPSHOT", `${source}: cannot read CPU list "${text.trim()}"`);
    const lo = Number(m[1]);
    const hi = m[2] === undefined ? lo : Number(m[2]);
    for (let c = lo; c <= hi; c++) cpus.push(c);
  }
  return cpus;
}

const read = (root: string, path: string) => {
  const full = join(root, path);
  try {
    return readFileSync(full, "utf8");
  } catch (e) {
    throw new SlabError("BAD_SNAPSHOT", `${full}: ${(e as NodeJS.ErrnoException).code ?? String(e)}`);
  }
};

const SYS_NUMBERS = ["object_size", "slab_size", "align", "order", "objs_per_slab"] as const;
const SYS_FLAGS = ["destroy_by_rcu", "hwcache_align", "red_zone", "poison", "store_user"] as const;

/** One cache's attributes from /sys/kernel/slab/<cache>/. */
export function readSysSlabCache(root: string, name: string): SysSlabCache {
  const dir = join("sys/kernel/slab", name);
  const value = (attr: string) => read(root, join(dir, attr)).trim();
  const number = (attr: string) => {
    const v = Number(value(attr).split(/\s/)[0]);
    if (!Number.isInteger(v)) throw new SlabError("BAD_SNAPSHOT", `${join(root, dir, attr)}: not a number`);
    return v;
  };
  const cache: Record<string, unknown> = {};
  for (const a of SYS_NUMBERS) cache[a] = number(a);
  for (const a of SYS_FLAGS) cache[a] = number(a) === 1;
  // ctor prints "name+0x0/0x10" or nothing.
  cache.ctor = value("ctor").split("+")[0] ?? "";
  return cache as SysSlabCache;
}

/** The kernel's page size, from the first mapping in /proc/self/smaps (KernelPageSize), else x86-64's 4 KiB. */
function kernelPageSize(root: string): number {
  try {
    const m = /KernelPageSize:\s+(\d+) kB/.exec(readFileSync(join(root, "proc/self/smaps"), "utf8"));
    return m ? Number(m[1]) * 1024 : PAGE_SIZE;
  } catch {
    return PAGE_SIZE;
  }
}

/**
 * The raw /proc/slabinfo and everything SLUB's geometry depends on, from a live machine (or a copy of its /proc
 * and /sys under `root`).
 */
export function readSlabMachine(root = "/"): { slabinfo: string; machine: SlabMachine } {
  const slabinfo = read(root, "proc/slabinfo");
  const entries = parseSlabinfo(slabinfo, join(root, "proc/slabinfo"));
  const present = parseCpuList(read(root, "sys/devices/system/cpu/present"), "cpu/present");
  const possible = parseCpuList(read(root, "sys/devices/system/cpu/possible"), "cpu/possible");
  const caches: Record<string, SysSlabCache> = {};
  const sysNames = new Set(readdirSync(join(root, "sys/kernel/slab")));
  for (const e of entries) if (sysNames.has(e.name)) caches[e.name] = readSysSlabCache(root, e.name);
  return {
    slabinfo,
    machine: {
      source: `${root === "/" ? release() : root}: /proc/slabinfo and /sys/kernel/slab`,
      pageSize: kernelPageSize(root),
      cpus: { present: present.length, possible: Math.max(...possible) + 1 },
      bootParams: parseSlubBootParams(read(root, "proc/cmdline")),
      caches,
    },
  };
}
