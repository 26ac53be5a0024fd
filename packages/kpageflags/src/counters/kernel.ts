import { describeRootError, type RootErrorCode, readText, type SystemRoot } from "../root/root.js";
import { parseBuddyinfo, parsePagetypeinfo, type TypedFreeBlocks, type ZoneFreeBlocks } from "./buddyinfo.js";
import { type CgroupPath, readCgroupTree } from "./cgroups.js";
import { parseSlabinfo, type SlabCache } from "./slabinfo.js";
import {
  type HugetlbPool,
  hvoSysctl,
  readHugetlbPools,
  readHvo,
  readThpSizes,
  type ThpSize,
} from "./sysfs.js";
import { parseMeminfo, parseVmstat } from "./vmstat.js";
import { parseZoneinfo, pcpPages } from "./zoneinfo.js";

/**
 * The /proc/vmstat counters the survey uses, and why each may be missing. All are in pages (mm/vmstat.c prints
 * the byte-kept slab counters in pages).
 */
export const vmstatCounters = {
  nr_free_pages: "",
  nr_file_pages: "",
  nr_shmem: "",
  nr_anon_pages: "",
  nr_mapped: "",
  nr_slab_reclaimable: "",
  nr_slab_unreclaimable: "",
  nr_page_table_pages: "",
  nr_kernel_stack: "",
  nr_swapcached: "a kernel without CONFIG_SWAP",
  nr_sec_page_table_pages: "a kernel older than the counter",
  nr_iommu_pages: "a kernel without CONFIG_IOMMU_SUPPORT, or older than the counter",
  nr_zspages: "a kernel without CONFIG_ZSMALLOC",
  nr_hugetlb: "a kernel without CONFIG_HUGETLB_PAGE, or older than the counter",
  nr_memmap_pages: "a kernel older than the counter",
  nr_memmap_boot_pages: "a kernel older than the counter",
  nr_anon_transparent_hugepages: "",
  nr_balloon_pages: "",
} as const;

export type VmstatCounter = keyof typeof vmstatCounters;

/** Node counters kept from zoneinfo's `per-node stats`, for bills by node and zone. */
const nodeCounters = ["nr_iommu_pages", "nr_slab_reclaimable", "nr_slab_unreclaimable"] as const;

/** /proc/meminfo lines kept: what the kernel says of the memory kpageflags shows as untyped. */
const meminfoKeys = ["MemTotal", "MemFree", "KernelStack", "VmallocUsed", "Percpu", "SecPageTables"] as const;

/** A zone as the survey keeps it. */
export interface ZoneCounters {
  readonly node: number;
  readonly zone: string;
  readonly startPfn: number | undefined;
  readonly spanned: number;
  readonly present: number;
  readonly managed: number;
  /** NR_FREE_PAGES of the zone. */
  readonly free: number;
  /** Pages on the zone's per-CPU lists, all CPUs (`pagesets` `count`). */
  readonly pcpPages: number;
  /** NR_ZSPAGES of the zone, when the kernel has zsmalloc. */
  readonly zspages: number | undefined;
}

/** What the kernel's own counters say, as read around the page map. */
export interface KernelCounters {
  /** Files read, sorted (a file read before and after the page map is listed once). */
  readonly read: readonly string[];
  /** Files (or counters in them) that could not be read, each named once, with why; sorted by path. */
  readonly unreadable: readonly { readonly path: string; readonly why: string }[];
  /** `uname -r` and `uname -m` as /proc/sys/kernel tells them. */
  readonly release: string | undefined;
  readonly arch: string | undefined;
  /**
   * The machine's name (/proc/sys/kernel/hostname, `uname -n` in its UTS namespace), when the tree has it: a
   * fleet tells hosts apart by it. Older snapshots did not record it; its absence is not reported.
   */
  readonly hostname?: string | undefined;
  /** /proc/vmstat before the page map was read, and after: the change is churn during the read. */
  readonly vmstat: Partial<Record<VmstatCounter, number>> | undefined;
  readonly vmstatAfter: Partial<Record<VmstatCounter, number>> | undefined;
  /** /proc/meminfo, kB. */
  readonly meminfo: Partial<Record<(typeof meminfoKeys)[number], number>> | undefined;
  readonly zones: readonly ZoneCounters[] | undefined;
  readonly nodes:
    | readonly {
        readonly node: number;
        readonly stats: Partial<Record<(typeof nodeCounters)[number], number>>;
      }[]
    | undefined;
  /** Free blocks per zone and order, /proc/buddyinfo. */
  readonly buddy: readonly ZoneFreeBlocks[] | undefined;
  /** Free blocks per zone, migrate type and order, /proc/pagetypeinfo (root only). */
  readonly pagetype:
    | { readonly pageblockOrder: number; readonly free: readonly TypedFreeBlocks[] }
    | undefined;
  readonly slabinfo: readonly SlabCache[] | undefined;
  readonly hugetlb: readonly HugetlbPool[] | undefined;
  /** /proc/sys/vm/hugetlb_optimize_vmemmap: 1 when HVO frees the memmap of new hugetlb folios (0 or 1). */
  readonly hugetlbOptimizeVmemmap: number | undefined;
  readonly thp: readonly ThpSize[] | undefined;
  /** The memory cgroup hierarchy, when asked for (`--by cgroup`). */
  readonly cgroups:
    | {
        readonly version: "v1" | "v2";
        readonly mountPoint: string;
        readonly truncated: boolean;
        readonly paths: readonly CgroupPath[];
      }
    | undefined;
}

export interface ReadCountersOptions {
  /** Walk the memory cgroup hierarchy for inode numbers (for bills by cgroup). */
  readonly cgroups?: boolean | undefined;
}

/**
 * /proc/pagetypeinfo: the kernel walks every free list under the zone lock to build it (tens of ms), so the
 * survey reads it while the page map is read.
 */
export function readPagetypeLater(reader: CounterReader): Promise<KernelCounters["pagetype"]> {
  return reader
    .fileLater("/proc/pagetypeinfo", parsePagetypeinfo)
    .then((p) => p && { pageblockOrder: p.pageblockOrder, free: p.free });
}

const pick = <K extends string>(from: ReadonlyMap<string, number>, keys: readonly K[]) => {
  const out: Partial<Record<K, number>> = {};
  for (const k of keys) {
    const v = from.get(k);
    if (v !== undefined) out[k] = v;
  }
  return out;
};

/** A reader of counter files through a tree, collecting what it could not read. */
export class CounterReader {
  readonly read: string[] = [];
  readonly unreadable: { path: string; why: string }[] = [];

  constructor(readonly root: SystemRoot) {}

  /** Notes a file or counter that could not be read, once. */
  readonly missing = (path: string, why: RootErrorCode | string): void => {
    if (this.unreadable.some((u) => u.path === path)) return;
    const codes: readonly string[] = ["ENOENT", "EACCES", "NOT_REGULAR", "TOO_BIG", "EIO"];
    this.unreadable.push({ path, why: codes.includes(why) ? describeRootError(why as RootErrorCode) : why });
  };

  /** A text file, parsed, or undefined (and named once) when it cannot be read. */
  file<T>(path: string, parse: (text: string, path: string) => T): T | undefined {
    const r = readText(this.root, path);
    if (!r.ok) {
      this.missing(path, r.code);
      return undefined;
    }
    if (!this.read.includes(path)) this.read.push(path);
    // Errors name the file where the user can find it: on disk, or in the snapshot it came from.
    return parse(r.value, this.root.localPath(path) ?? `${path} (in ${this.root.label})`);
  }

  /** {@link file}, read off the main thread where the tree can: for files the kernel is slow to build. */
  async fileLater<T>(path: string, parse: (text: string, path: string) => T): Promise<T | undefined> {
    const r = this.root.readLater ? await this.root.readLater(path) : this.root.read(path);
    if (!r.ok) {
      this.missing(path, r.code);
      return undefined;
    }
    if (!this.read.includes(path)) this.read.push(path);
    return parse(
      new TextDecoder().decode(r.value),
      this.root.localPath(path) ?? `${path} (in ${this.root.label})`,
    );
  }

  /** The /proc/vmstat counters the survey uses; a counter the file lacks is named once, with why. */
  vmstat(): Partial<Record<VmstatCounter, number>> | undefined {
    const all = this.file("/proc/vmstat", parseVmstat);
    if (!all) return undefined;
    const out = pick(all, Object.keys(vmstatCounters) as VmstatCounter[]);
    for (const [k, why] of Object.entries(vmstatCounters))
      if (why && out[k as VmstatCounter] === undefined)
        this.missing(`/proc/vmstat: ${k}`, `not there (${why})`);
    return out;
  }
}

/** The largest hostname: HOST_NAME_MAX is 64 (include/uapi/linux/utsname.h, __NEW_UTS_LEN). */
const maxHostname = 64;

/**
 * /proc/sys/kernel/hostname, read quietly (a tree without it, such as a snapshot made before it was recorded,
 * is not a missing counter). A value that is not a hostname the kernel could hold is left out.
 */
function readHostname(reader: CounterReader): string | undefined {
  const path = "/proc/sys/kernel/hostname";
  const r = readText(reader.root, path);
  if (!r.ok) return undefined;
  const name = r.value.replace(/\n$/, "");
  // biome-ignore lint/suspicious/noControlCharactersInRegex: a name with control characters is refused
  if (name === "" || name.length > maxHostname || /[\u0000-\u001f\u007f]/.test(name)) return undefined;
  if (!reader.read.includes(path)) reader.read.push(path);
  return name;
}

/**
 * Reads the kernel's counters through a tree: /proc/vmstat, meminfo, zoneinfo, buddyinfo, slabinfo, the hugetlb pools and HVO sysctl, the per-size THP counters and, when asked, the memory cgroup
 * hierarchy (pagetypeinfo is {@link readPagetypeLater}'s). What cannot be read is named once and left out;
 * nothing here stops the survey.
 */
export function readKernelCounters(reader: CounterReader, options: ReadCountersOptions = {}): KernelCounters {
  const root = reader.root;
  const text = (path: string) => reader.file(path, (t) => t.trim());
  const release = text("/proc/sys/kernel/osrelease");
  const arch = text("/proc/sys/kernel/arch");
  const hostname = readHostname(reader);
  const vmstat = reader.vmstat();
  const meminfo = reader.file("/proc/meminfo", parseMeminfo);
  const zoneinfo = reader.file("/proc/zoneinfo", parseZoneinfo);
  const buddy = reader.file("/proc/buddyinfo", parseBuddyinfo);
  const slabinfo = reader.file("/proc/slabinfo", parseSlabinfo);
  const hugetlb = readHugetlbPools(root, reader.missing);
  const hvo = readHvo(root, reader.missing);
  if (hvo !== undefined) reader.read.push(hvoSysctl);
  const thp = readThpSizes(root, reader.missing);
  const tree = options.cgroups ? readCgroupTree(root, reader.missing) : undefined;
  return {
    read: reader.read,
    unreadable: reader.unreadable,
    release,
    arch,
    ...(hostname !== undefined ? { hostname } : {}),
    vmstat,
    vmstatAfter: undefined,
    meminfo: meminfo && pick(new Map([...meminfo].map(([k, v]) => [k, v.value])), meminfoKeys),
    zones: zoneinfo?.zones.map((z) => ({
      node: z.node,
      zone: z.zone,
      startPfn: z.startPfn,
      spanned: z.spanned,
      present: z.present,
      managed: z.managed,
      free: z.free,
      pcpPages: pcpPages(z),
      zspages: z.stats.get("nr_zspages"),
    })),
    nodes: zoneinfo?.nodes.map((n) => ({ node: n.node, stats: pick(n.stats, nodeCounters) })),
    buddy,
    pagetype: undefined,
    slabinfo,
    hugetlb,
    hugetlbOptimizeVmemmap: hvo,
    thp,
    cgroups: tree && {
      version: tree.hierarchy.version,
      mountPoint: tree.hierarchy.mountPoint,
      truncated: tree.truncated,
      paths: tree.cgroups,
    },
  };
}
