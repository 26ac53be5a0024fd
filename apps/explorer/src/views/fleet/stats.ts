import type { FleetHost } from "./load.js";

/*
 * What the Fleet view shows of a fleet's per-host rows, with the definitions `memdesc fleet` gives DuckDB
 * (docs/fleet.md), so the view's numbers are the CLI's: a percentile is the nearest rank (the value at rank
 * ⌈p·n/100⌉ of the n hosts in order; ties in order of host name), RAM classes are RAM rounded up to a power of
 * two GiB (the rows carry `ram_class_gib`).
 */

/** What the hosts are grouped by: nothing, the kernel, the architecture, the RAM class, or a label. */
export type GroupBy = "none" | "kernel" | "arch" | "ram" | `label:${string}`;

/** The measure: the saving in percent of each host's RAM, or in bytes. */
export type Measure = "percent" | "bytes";

export const value = (h: FleetHost, m: Measure): number =>
  m === "percent" ? h.savingPercent : h.savingBytes;

const gib = (g: number) => (g >= 1024 ? `${g / 1024} TiB` : `${g} GiB`);

/** A host's group under `by`, as the CLI's table names it; `(none)` where the host lacks it. */
export function groupOf(h: FleetHost, by: GroupBy): string {
  if (by === "none") return "all hosts";
  if (by === "kernel") return h.kernelRelease ?? "(none)";
  if (by === "arch") return h.arch ?? "(none)";
  if (by === "ram") return `≤ ${gib(h.ramClassGib)}`;
  return h.labels[by.slice(6)] ?? "(none)";
}

/** The order groups are listed in: RAM classes by size, the rest by name (as SQL's ORDER BY). */
function groupOrder(by: GroupBy, hosts: readonly FleetHost[]) {
  const ram = new Map(hosts.map((h) => [groupOf(h, "ram"), h.ramClassGib]));
  return (a: string, b: string) => {
    if (by === "ram") return ram.get(a)! - ram.get(b)!;
    if (a === "(none)" || b === "(none)") return a === b ? 0 : a === "(none)" ? 1 : -1;
    return a < b ? -1 : a > b ? 1 : 0;
  };
}

export interface Distribution {
  readonly group: string;
  readonly hosts: number;
  readonly ramBytes: number;
  readonly savingBytes: number;
  readonly bytes: Percentiles;
  readonly percent: Percentiles;
}

export interface Percentiles {
  readonly min: number;
  readonly p10: number;
  readonly p50: number;
  readonly p90: number;
  readonly max: number;
}

const byHost = (a: FleetHost, b: FleetHost) => (a.host < b.host ? -1 : a.host > b.host ? 1 : 0);

/** Nearest-rank percentiles of the hosts by one measure (the hosts in order of it, then of host name). */
export function percentiles(hosts: readonly FleetHost[], m: Measure): Percentiles {
  const sorted = [...hosts].sort((a, b) => value(a, m) - value(b, m) || byHost(a, b));
  const n = sorted.length;
  // Integer arithmetic: 10·n/100 is exact where 0.1·n is not (0.1 × 30 is 3.0000000000000004).
  const at = (p: number) => value(sorted[Math.max(1, Math.ceil((p * n) / 100)) - 1]!, m);
  return { min: value(sorted[0]!, m), p10: at(10), p50: at(50), p90: at(90), max: value(sorted[n - 1]!, m) };
}

/** The hosts under one design. */
export const underDesign = (hosts: readonly FleetHost[], design: string) =>
  hosts.filter((h) => h.design === design);

/** The distribution of the saving per host in each group, groups in order. */
export function distribution(hosts: readonly FleetHost[], by: GroupBy): Distribution[] {
  const groups = new Map<string, FleetHost[]>();
  for (const h of hosts) {
    const g = groupOf(h, by);
    const list = groups.get(g);
    if (list) list.push(h);
    else groups.set(g, [h]);
  }
  return [...groups.keys()].sort(groupOrder(by, hosts)).map((group) => {
    const list = groups.get(group)!;
    return {
      group,
      hosts: list.length,
      ramBytes: list.reduce((s, h) => s + h.ramBytes, 0),
      savingBytes: list.reduce((s, h) => s + h.savingBytes, 0),
      bytes: percentiles(list, "bytes"),
      percent: percentiles(list, "percent"),
    };
  });
}

export interface Histogram {
  /** Bin edges: bin i holds values in [edges[i], edges[i+1]), the last bin also its upper edge. */
  readonly edges: readonly number[];
  /** Per group (in the distribution's order): hosts per bin. */
  readonly counts: ReadonlyMap<string, readonly number[]>;
}

/** Hosts per bin of the measure, per group: equal-width bins from the fleet's least to its most saved. */
export function histogram(hosts: readonly FleetHost[], by: GroupBy, m: Measure, bins = 20): Histogram {
  const values = hosts.map((h) => value(h, m));
  const lo = Math.min(...values);
  const hi = Math.max(...values);
  const k = hi > lo ? bins : 1;
  const width = hi > lo ? (hi - lo) / k : 1;
  const edges = Array.from({ length: k + 1 }, (_, i) =>
    i === k ? Math.max(hi, lo + width * k) : lo + width * i,
  );
  const counts = new Map<string, number[]>();
  for (const d of distribution(hosts, by)) counts.set(d.group, new Array<number>(k).fill(0));
  for (const h of hosts) {
    const i = Math.min(k - 1, Math.floor((value(h, m) - lo) / width));
    counts.get(groupOf(h, by))![i]! += 1;
  }
  return { edges, counts };
}

/** The `n` hosts that save least and the `n` that save most (most first), by the measure. */
export function ends(
  hosts: readonly FleetHost[],
  m: Measure,
  n = 5,
): { least: FleetHost[]; most: FleetHost[] } {
  const sorted = [...hosts].sort((a, b) => value(a, m) - value(b, m) || byHost(a, b));
  const k = Math.min(n, Math.ceil(sorted.length / 2));
  return { least: sorted.slice(0, k), most: sorted.slice(-k).reverse() };
}

/** The file name a host's bill came from (`/srv/captures/db-7.mdsnap` → `db-7.mdsnap`): how its snapshot is found. */
export const sourceName = (source: string): string => source.slice(source.lastIndexOf("/") + 1);
