import { badCounters, linesOf, quote, whole } from "./parse.js";

/** One CPU's per-CPU page list of a zone (`struct per_cpu_pages`). */
export interface PcpList {
  readonly cpu: number;
  /** Pages on the lists, all orders together (`pcp->count`). */
  readonly count: number;
  readonly high: number;
  readonly batch: number;
}

/** One zone of /proc/zoneinfo. */
export interface Zone {
  readonly node: number;
  /** `DMA`, `DMA32`, `Normal`, `HighMem`, `Movable`, `Device`. */
  readonly zone: string;
  /** Whether the zone has present pages; an unpopulated zone prints no counters, CPUs or start_pfn. */
  readonly populated: boolean;
  /** `zone_start_pfn`; absent for an unpopulated zone. */
  readonly startPfn: number | undefined;
  /** PFNs from start_pfn the zone spans, holes included (`spanned_pages`). */
  readonly spanned: number;
  readonly present: number;
  readonly managed: number;
  /** `pages free`, the zone's NR_FREE_PAGES. */
  readonly free: number;
  /** The zone's own counters (`nr_free_pages`, `nr_zspages`, …), as printed. */
  readonly stats: ReadonlyMap<string, number>;
  /** Per-CPU page lists. */
  readonly pcp: readonly PcpList[];
}

/** A NUMA node's counters, printed once under its first populated zone (`per-node stats`). */
export interface NodeStats {
  readonly node: number;
  readonly stats: ReadonlyMap<string, number>;
}

export interface Zoneinfo {
  readonly zones: readonly Zone[];
  readonly nodes: readonly NodeStats[];
}

interface ZoneDraft {
  node: number;
  zone: string;
  startPfn: number | undefined;
  fields: Map<string, number>;
  stats: Map<string, number>;
  pcp: { cpu: number; count: number; high: number; batch: number }[];
  sawCounters: boolean;
}

/** The zone fields printed after `pages free` (mm/vmstat.c, `zoneinfo_show_print`); older kernels lack some. */
const zoneFields = new Set(["boost", "min", "low", "high", "promo", "spanned", "present", "managed", "cma"]);

/**
 * /proc/zoneinfo (mm/vmstat.c, `zoneinfo_show_print`): per zone its free pages, watermarks, spanned, present
 * and managed pages, its counters (populated zones only), the per-CPU page lists (`pagesets`, one `count` per
 * CPU: pages that are free but neither in the buddy lists nor counted in `nr_free_pages`) and `start_pfn`.
 * The first populated zone of each node also prints the node's counters (`per-node stats`).
 */
export function parseZoneinfo(text: string, path = "/proc/zoneinfo"): Zoneinfo {
  const zones: ZoneDraft[] = [];
  const nodes: NodeStats[] = [];
  let z: ZoneDraft | undefined;
  let nodeStats: Map<string, number> | undefined;
  let mode: "node" | "zone" | "pcp" | "none" = "none";
  let cpu: ZoneDraft["pcp"][number] | undefined;
  linesOf(text).forEach((line, idx) => {
    const n = idx + 1;
    const num = (v: string, what: string) => whole(v, path, n, what);
    const head = /^Node (\d+), zone\s+(\S+)$/.exec(line);
    if (head) {
      z = {
        node: num(head[1]!, "node"),
        zone: head[2]!,
        startPfn: undefined,
        fields: new Map(),
        stats: new Map(),
        pcp: [],
        sawCounters: false,
      };
      zones.push(z);
      mode = "none";
      cpu = undefined;
      return;
    }
    if (!z) throw badCounters(path, n, `expected "Node N, zone NAME" first, got ${quote(line)}`);
    const zone = z;
    if (line === "  per-node stats") {
      nodeStats = new Map();
      nodes.push({ node: zone.node, stats: nodeStats });
      mode = "node";
      return;
    }
    const free = /^ {2}pages free\s+(\d+)$/.exec(line);
    if (free) {
      zone.fields.set("free", num(free[1]!, "pages free"));
      mode = "zone";
      return;
    }
    if (line === "  pagesets") {
      mode = "pcp";
      return;
    }
    if (/^\s+(protection: \(.*\)|vm stats threshold:\s+-?\d+|node_unreclaimable:\s+\d+)$/.test(line)) return;
    const start = /^\s+start_pfn:\s+(\d+)$/.exec(line);
    if (start) {
      zone.startPfn = num(start[1]!, "start_pfn");
      return;
    }
    if (mode === "pcp") {
      const c = /^\s+cpu:\s+(\d+)$/.exec(line);
      if (c) {
        cpu = { cpu: num(c[1]!, "cpu"), count: 0, high: 0, batch: 0 };
        zone.pcp.push(cpu);
        return;
      }
      const f = /^\s+(count|high|batch|high_min|high_max):\s+(-?\d+)$/.exec(line);
      if (f && cpu) {
        const v = num(f[2]!, f[1]!);
        if (f[1] === "count") {
          if (v < 0) throw badCounters(path, n, `cpu ${cpu.cpu} count is negative`);
          cpu.count = v;
        } else if (f[1] === "high") cpu.high = v;
        else if (f[1] === "batch") cpu.batch = v;
        return;
      }
    }
    const kv = /^\s+([a-z0-9_]+)\s+(\d+)$/.exec(line);
    if (kv) {
      const v = num(kv[2]!, kv[1]!);
      if (mode === "node") nodeStats!.set(kv[1]!, v);
      else if (mode === "zone" && zoneFields.has(kv[1]!) && !zone.sawCounters) zone.fields.set(kv[1]!, v);
      else if (mode === "zone") {
        zone.sawCounters = true;
        zone.stats.set(kv[1]!, v);
      } else throw badCounters(path, n, `${kv[1]} outside a section`);
      return;
    }
    throw badCounters(path, n, `not a zoneinfo line: ${quote(line)}`);
  });
  return {
    zones: zones.map((d, i) => {
      const field = (name: string) => {
        const v = d.fields.get(name);
        if (v === undefined)
          throw badCounters(path, undefined, `zone ${i} (node ${d.node}, ${d.zone}) has no "${name}" line`);
        return v;
      };
      return {
        node: d.node,
        zone: d.zone,
        populated: field("present") > 0,
        startPfn: d.startPfn,
        spanned: field("spanned"),
        present: field("present"),
        managed: field("managed"),
        free: field("free"),
        stats: d.stats,
        pcp: d.pcp,
      };
    }),
    nodes,
  };
}

/** Pages on a zone's per-CPU lists, all CPUs. */
export const pcpPages = (z: Zone): number => z.pcp.reduce((s, c) => s + c.count, 0);
