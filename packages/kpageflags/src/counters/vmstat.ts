import { badCounters, linesOf, quote, whole } from "./parse.js";

/**
 * /proc/vmstat: one `name value` line per counter (mm/vmstat.c, `vmstat_show`). Zone, NUMA, node and
 * global counters come first, then events. Node counters kept in bytes (`nr_slab_*_b`) are printed in pages
 * (`global_node_page_state_pages`), and those marked for THP (`nr_anon_transparent_hugepages`, …) in PMD-sized
 * huge pages. Values the survey does not use are kept too, so a snapshot holds the whole file.
 */
export function parseVmstat(text: string, path = "/proc/vmstat"): Map<string, number> {
  const out = new Map<string, number>();
  linesOf(text).forEach((line, i) => {
    const m = /^([a-z0-9_]+) (\S+)$/.exec(line);
    if (!m) throw badCounters(path, i + 1, `expected "name value", got ${quote(line)}`);
    if (out.has(m[1]!)) throw badCounters(path, i + 1, `${m[1]} appears twice`);
    if (!/^\d+$/.test(m[2]!))
      throw badCounters(path, i + 1, `${m[1]} is ${quote(m[2]!)}, not a whole number`);
    // Event counters can pass 2^53 on a long-running machine; they are kept approximately and never used.
    out.set(m[1]!, Number(m[2]));
  });
  return out;
}

/** A /proc/meminfo value: kB for sizes, a plain count for `HugePages_*`. */
export interface MeminfoValue {
  readonly value: number;
  readonly unit: "kB" | "";
}

/** /proc/meminfo: `Name:   value kB` lines (fs/proc/meminfo.c, `meminfo_proc_show`). */
export function parseMeminfo(text: string, path = "/proc/meminfo"): Map<string, MeminfoValue> {
  const out = new Map<string, MeminfoValue>();
  linesOf(text).forEach((line, i) => {
    const m = /^([A-Za-z0-9_()]+):\s+(\d+)( kB)?$/.exec(line);
    if (!m) throw badCounters(path, i + 1, `expected "Name: value [kB]", got ${quote(line)}`);
    out.set(m[1]!, { value: whole(m[2]!, path, i + 1, m[1]!), unit: m[3] ? "kB" : "" });
  });
  return out;
}
