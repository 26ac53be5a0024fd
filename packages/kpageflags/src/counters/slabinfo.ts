import { badCounters, linesOf, quote, whole } from "./parse.js";

/** One cache of /proc/slabinfo. */
export interface SlabCache {
  readonly name: string;
  readonly activeObjs: number;
  readonly numObjs: number;
  readonly objSize: number;
  readonly objPerSlab: number;
  /** Pages of a slab at the cache's preferred order (`1 << oo_order(s->oo)`). */
  readonly pagesPerSlab: number;
  readonly activeSlabs: number;
  /** Slabs of the cache, on every node (`nr_slabs`). */
  readonly numSlabs: number;
}

/**
 * /proc/slabinfo, version 2.1 (mm/slab_common.c `cache_show`, mm/slub.c `get_slabinfo`; root only): per cache
 * `name active_objs num_objs objsize objperslab pagesperslab : tunables … : slabdata active_slabs num_slabs
 * sharedavail`. SLUB counts every slab in `num_slabs` and prints the preferred order's page count as
 * `pagesperslab`; a slab allocated at the fallback order (`s->min`, under fragmentation) has fewer pages.
 */
export function parseSlabinfo(text: string, path = "/proc/slabinfo"): SlabCache[] {
  const lines = linesOf(text);
  const version = /^slabinfo - version: (\d+\.\d+)$/.exec(lines[0] ?? "");
  if (!version)
    throw badCounters(path, 1, `expected "slabinfo - version: 2.1", got ${quote(lines[0] ?? "")}`);
  if (version[1] !== "2.1")
    throw badCounters(path, 1, `slabinfo version ${version[1]}; this reader knows 2.1`);
  const out: SlabCache[] = [];
  lines.slice(1).forEach((line, i) => {
    const n = i + 2;
    if (line.startsWith("#")) return;
    const m =
      /^(\S+)\s+(\d+)\s+(\d+)\s+(\d+)\s+(\d+)\s+(\d+) : tunables\s+\d+\s+\d+\s+\d+ : slabdata\s+(\d+)\s+(\d+)\s+\d+\s*$/.exec(
        line,
      );
    if (!m) throw badCounters(path, n, `not a slabinfo 2.1 line: ${quote(line)}`);
    const v = (k: number, what: string) => whole(m[k]!, path, n, what);
    out.push({
      name: m[1]!,
      activeObjs: v(2, "active_objs"),
      numObjs: v(3, "num_objs"),
      objSize: v(4, "objsize"),
      objPerSlab: v(5, "objperslab"),
      pagesPerSlab: v(6, "pagesperslab"),
      activeSlabs: v(7, "active_slabs"),
      numSlabs: v(8, "num_slabs"),
    });
  });
  return out;
}
