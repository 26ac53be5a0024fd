/*
 * The kernel's /proc formats, written out from its seq_printf format strings (mm/vmstat.c: vmstat_show,
 * zoneinfo_show_print, frag_show_print, pagetypeinfo_showfree_print, pagetypeinfo_showblockcount_print;
 * mm/slab_common.c: cache_show), for tests that feed the parsers (and `--root`) machines this one is not.
 * Independent of src/counters: a parser bug cannot hide behind a matching writer.
 */

const pad = (s: string | number, w: number) => String(s).padStart(w);
const padEnd = (s: string | number, w: number) => String(s).padEnd(w);

/** /proc/vmstat: `name value` lines. */
export function formatVmstat(counters: Readonly<Record<string, number>>): string {
  return Object.entries(counters)
    .map(([k, v]) => `${k} ${v}\n`)
    .join("");
}

export interface ZoneSpec {
  readonly node: number;
  readonly zone: string;
  /** Omit for an unpopulated zone (present 0): it prints no counters, CPUs or start_pfn. */
  readonly startPfn?: number;
  readonly spanned: number;
  readonly present: number;
  readonly managed: number;
  readonly free: number;
  /** Zone counters (`nr_free_pages`, `nr_zspages`, …) in order. */
  readonly stats?: Readonly<Record<string, number>>;
  /** `per-node stats`, printed under the node's first populated zone. */
  readonly nodeStats?: Readonly<Record<string, number>>;
  /** Pages on each CPU's lists. */
  readonly pcp?: readonly number[];
}

/** /proc/zoneinfo, as zoneinfo_show_print writes it. */
export function formatZoneinfo(zones: readonly ZoneSpec[]): string {
  let out = "";
  for (const z of zones) {
    out += `Node ${z.node}, zone ${pad(z.zone, 8)}`;
    if (z.nodeStats) {
      out += "\n  per-node stats";
      for (const [k, v] of Object.entries(z.nodeStats)) out += `\n      ${padEnd(k, 12)} ${v}`;
    }
    out +=
      `\n  pages free     ${z.free}` +
      `\n        boost    0` +
      `\n        min      10` +
      `\n        low      12` +
      `\n        high     14` +
      `\n        promo    16` +
      `\n        spanned  ${z.spanned}` +
      `\n        present  ${z.present}` +
      `\n        managed  ${z.managed}` +
      `\n        cma      0` +
      `\n        protection: (0, 0, 0, 0, 0)`;
    if (z.present === 0) {
      out += "\n";
      continue;
    }
    for (const [k, v] of Object.entries(z.stats ?? { nr_free_pages: z.free }))
      out += `\n      ${padEnd(k, 12)} ${v}`;
    out += "\n  pagesets";
    (z.pcp ?? [0]).forEach((count, cpu) => {
      out +=
        `\n    cpu: ${cpu}` +
        `\n              count:    ${count}` +
        `\n              high:     100` +
        `\n              batch:    63` +
        `\n              high_min: 20` +
        `\n              high_max: 240` +
        `\n  vm stats threshold: 4`;
    });
    out += `\n  node_unreclaimable:  0\n  start_pfn:           ${z.startPfn ?? 0}\n`;
  }
  return out;
}

/** /proc/buddyinfo, as frag_show_print writes it. */
export function formatBuddyinfo(
  zones: readonly { node: number; zone: string; blocks: readonly number[] }[],
): string {
  return zones
    .map((z) => `Node ${z.node}, zone ${pad(z.zone, 8)} ${z.blocks.map((b) => `${pad(b, 6)} `).join("")}\n`)
    .join("");
}

export interface PagetypeSpec {
  readonly node: number;
  readonly zone: string;
  readonly type: string;
  readonly blocks: readonly number[];
}

/** /proc/pagetypeinfo for one node, as pagetypeinfo_show writes it (counts of 100,000 or more print `>100000`). */
export function formatPagetypeinfo(
  pageblockOrder: number,
  free: readonly PagetypeSpec[],
  types: readonly string[],
  pageblocks: readonly { node: number; zone: string; counts: readonly number[] }[],
): string {
  const orders = free[0]?.blocks.length ?? 11;
  let out = `Page block order: ${pageblockOrder}\nPages per block:  ${2 ** pageblockOrder}\n\n`;
  out += `${padEnd("Free pages count per migrate type at order", 43)} `;
  for (let o = 0; o < orders; o++) out += `${pad(o, 6)} `;
  out += "\n";
  for (const f of free) {
    out += `Node ${pad(f.node, 4)}, zone ${pad(f.zone, 8)}, type ${pad(f.type, 12)} `;
    for (const b of f.blocks) out += b >= 100000 ? `>${pad(100000, 6)} ` : `${pad(b, 6)} `;
    out += "\n";
  }
  out += `\n${padEnd("Number of blocks type ", 23)}`;
  for (const t of types) out += `${pad(t, 12)} `;
  out += "\n";
  for (const p of pageblocks)
    out += `Node ${p.node}, zone ${pad(p.zone, 8)} ${p.counts.map((c) => `${pad(c, 12)} `).join("")}\n`;
  return out;
}

export interface SlabSpec {
  readonly name: string;
  readonly activeObjs: number;
  readonly numObjs: number;
  readonly objSize: number;
  readonly objPerSlab: number;
  readonly pagesPerSlab: number;
  readonly numSlabs: number;
}

/** /proc/slabinfo version 2.1, as cache_show writes it (SLUB: active_slabs = num_slabs, tunables 0). */
export function formatSlabinfo(caches: readonly SlabSpec[]): string {
  let out = "slabinfo - version: 2.1\n";
  out +=
    "# name            <active_objs> <num_objs> <objsize> <objperslab> <pagesperslab> : tunables <limit> <batchcount> <sharedfactor> : slabdata <active_slabs> <num_slabs> <sharedavail>\n";
  for (const c of caches)
    out +=
      `${padEnd(c.name, 17)} ${pad(c.activeObjs, 6)} ${pad(c.numObjs, 6)} ${pad(c.objSize, 6)} ${pad(c.objPerSlab, 4)} ${pad(c.pagesPerSlab, 4)}` +
      ` : tunables ${pad(0, 4)} ${pad(0, 4)} ${pad(0, 4)} : slabdata ${pad(c.numSlabs, 6)} ${pad(c.numSlabs, 6)} ${pad(0, 6)}\n`;
  return out;
}
