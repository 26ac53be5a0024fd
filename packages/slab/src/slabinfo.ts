import { z } from "zod";
import { SlabError } from "./errors.js";
import { calculateOrder, calculateSizes, orderObjects, type SlubCache, type SlubParams } from "./geometry.js";

/*
 * /proc/slabinfo, and checking SLUB's geometry against it. For SLUB, each line is printed by cache_show()
 * (mm/slab_common.c): objsize is `s->size`, the stride between objects including free pointer, debug metadata
 * and alignment padding (so /sys/kernel/slab/<cache>/slab_size, not object_size); objperslab is
 * `oo_objects(s->oo)`; pagesperslab is `1 << oo_order(s->oo)`. The tunables are SLAB's and always 0 under SLUB.
 */

/** One cache line of /proc/slabinfo (version 2.1). */
export interface SlabinfoEntry {
  readonly name: string;
  readonly activeObjs: number;
  readonly numObjs: number;
  /** `s->size`. */
  readonly objsize: number;
  /** `oo_objects(s->oo)`. */
  readonly objperslab: number;
  /** `1 << oo_order(s->oo)`. */
  readonly pagesperslab: number;
  readonly activeSlabs: number;
  readonly numSlabs: number;
}

const lineRe =
  /^(\S+)\s+(\d+)\s+(\d+)\s+(\d+)\s+(\d+)\s+(\d+)\s*:\s*tunables\s+\d+\s+\d+\s+\d+\s*:\s*slabdata\s+(\d+)\s+(\d+)\s+\d+\s*$/;

/** Parses /proc/slabinfo; a line it cannot read is a `SlabError` naming the file and line. */
export function parseSlabinfo(text: string, source = "/proc/slabinfo"): SlabinfoEntry[] {
  const lines = text.split("\n");
  const version = /^slabinfo - version: (\S+)/.exec(lines[0] ?? "");
  if (!version)
    throw new SlabError("BAD_SLABINFO", `${source}:1: not a slabinfo file (no "slabinfo - version:" line)`);
  if (version[1] !== "2.1")
    throw new SlabError("BAD_SLABINFO", `${source}:1: slabinfo version ${version[1]}, expected 2.1`);
  const entries: SlabinfoEntry[] = [];
  lines.forEach((line, i) => {
    if (i === 0 || line.startsWith("#") || line.trim() === "") return;
    const m = lineRe.exec(line);
    if (!m) throw new SlabError("BAD_SLABINFO", `${source}:${i + 1}: cannot read "${line.trim()}"`);
    const n = (k: number) => Number(m[k]);
    const entry: SlabinfoEntry = {
      name: m[1]!,
      activeObjs: n(2),
      numObjs: n(3),
      objsize: n(4),
      objperslab: n(5),
      pagesperslab: n(6),
      activeSlabs: n(7),
      numSlabs: n(8),
    };
    if (
      entry.objsize === 0 ||
      entry.objperslab === 0 ||
      (entry.pagesperslab & (entry.pagesperslab - 1)) !== 0
    )
      throw new SlabError(
        "BAD_SLABINFO",
        `${source}:${i + 1}: cache ${entry.name} has objsize ${entry.objsize}, objperslab ${entry.objperslab}, pagesperslab ${entry.pagesperslab}`,
      );
    entries.push(entry);
  });
  return entries;
}

/** A cache's attributes from /sys/kernel/slab/<cache>/, under the sysfs file names. */
export const sysSlabCacheSchema = z.object({
  object_size: z.number().int().positive(),
  slab_size: z.number().int().positive(),
  align: z.number().int().positive(),
  order: z.number().int().min(0),
  objs_per_slab: z.number().int().positive(),
  /** The constructor's symbol, or "" for none. */
  ctor: z.string(),
  destroy_by_rcu: z.boolean(),
  hwcache_align: z.boolean(),
  red_zone: z.boolean(),
  poison: z.boolean(),
  store_user: z.boolean(),
});
export type SysSlabCache = z.output<typeof sysSlabCacheSchema>;

/**
 * What a machine's slab geometry depends on, saved so it can be checked where /proc and /sys are not readable:
 * the CPUs SLUB counted, the `slub_*` boot parameters, and each cache's sysfs attributes.
 */
export const slabMachineSchema = z.object({
  /** `uname -r` and anything else that says which machine this is. */
  source: z.string(),
  pageSize: z.number().int().positive(),
  /** `num_present_cpus()` (/sys/devices/system/cpu/present) and `nr_cpu_ids` (highest possible CPU + 1). */
  cpus: z.object({ present: z.number().int().positive(), possible: z.number().int().positive() }),
  /** `slub_min_objects=`, `slub_min_order=`, `slub_max_order=` (or their `slab_` spellings) from /proc/cmdline. */
  bootParams: z.object({
    minObjects: z.number().int().min(0).optional(),
    minOrder: z.number().int().min(0).optional(),
    maxOrder: z.number().int().min(0).optional(),
  }),
  caches: z.record(z.string(), sysSlabCacheSchema),
});
export type SlabMachine = z.output<typeof slabMachineSchema>;

/** Validates a saved machine description (a fixture); the error names the file and the key. */
export function parseSlabMachine(json: unknown, source = "slab machine"): SlabMachine {
  const r = slabMachineSchema.safeParse(json);
  if (!r.success)
    throw new SlabError(
      "BAD_SNAPSHOT",
      `${source}: ${r.error.issues.map((i) => `${i.path.join(".")}: ${i.message}`).join("; ")}`,
    );
  return r.data;
}

/** The `slub_*` / `slab_*` boot parameters on a kernel command line (later ones win, as __setup does). */
export function parseSlubBootParams(cmdline: string): SlabMachine["bootParams"] {
  const params: { minObjects?: number; minOrder?: number; maxOrder?: number } = {};
  const keys = { min_objects: "minObjects", min_order: "minOrder", max_order: "maxOrder" } as const;
  for (const word of cmdline.split(/\s+/)) {
    if (word === "--") break;
    const m = /^sl[au]b_(min_objects|min_order|max_order)=(\d+)$/.exec(word);
    if (m) params[keys[m[1] as keyof typeof keys]] = Number(m[2]);
  }
  return params;
}

/** SLUB's inputs for one cache, read back from its sysfs attributes. */
export function sysCacheToSlubCache(attrs: SysSlabCache): SlubCache {
  return {
    objectSize: attrs.object_size,
    align: attrs.align,
    hwcacheAlign: attrs.hwcache_align,
    ctor: attrs.ctor !== "",
    typesafeByRcu: attrs.destroy_by_rcu,
    redZone: attrs.red_zone,
    poison: attrs.poison,
    storeUser: attrs.store_user,
  };
}

type Quantity = "objsize" | "objperslab" | "pagesperslab";

/** One cache compared with what SLUB's arithmetic predicts. */
export interface SlabCacheCheck {
  readonly name: string;
  readonly observed: { readonly objsize: number; readonly objperslab: number; readonly pagesperslab: number };
  /** `objsize` is computed only when the cache's sysfs attributes are known; otherwise the observed one is used. */
  readonly computed: { readonly objsize: number; readonly objperslab: number; readonly pagesperslab: number };
  readonly agrees: boolean;
  readonly differs: readonly Quantity[];
  /** Why the arithmetic disagrees, worked out by trying what SLUB's inputs could have been instead. */
  readonly explanation?: string;
}

export interface SlabinfoReport {
  readonly caches: readonly SlabCacheCheck[];
  readonly total: number;
  readonly agreeing: number;
  /** agreeing / total. */
  readonly agreement: number;
  /** Caches whose objsize was computed from sysfs attributes rather than taken from slabinfo. */
  readonly sizesComputed: number;
}

const predict = (size: number, params: SlubParams) => {
  const order = calculateOrder(size, params);
  return { objsize: size, objperslab: orderObjects(order, size, params.pageSize), pagesperslab: 2 ** order };
};

const differences = (a: SlabCacheCheck["observed"], b: SlabCacheCheck["computed"]): Quantity[] =>
  (["objsize", "objperslab", "pagesperslab"] as const).filter((q) => a[q] !== b[q]);

/**
 * Compares every cache of a /proc/slabinfo with SLUB's arithmetic: objsize from the cache's object size,
 * alignment and flags (when `caches` has its sysfs attributes), and the order and objects per slab from that
 * size. Each disagreeing cache gets an explanation found by varying SLUB's inputs.
 */
export function checkSlabinfo(
  entries: readonly SlabinfoEntry[],
  params: SlubParams,
  caches: Readonly<Record<string, SysSlabCache>> = {},
): SlabinfoReport {
  let sizesComputed = 0;
  const checks = entries.map((e): SlabCacheCheck => {
    const observed = { objsize: e.objsize, objperslab: e.objperslab, pagesperslab: e.pagesperslab };
    const attrs = caches[e.name];
    const cache = attrs ? sysCacheToSlubCache(attrs) : undefined;
    if (cache) sizesComputed++;
    const size = cache ? calculateSizes(cache, params).size : e.objsize;
    const computed = predict(size, params);
    const differs = differences(observed, computed);
    if (differs.length === 0) return { name: e.name, observed, computed, agrees: true, differs };
    return {
      name: e.name,
      observed,
      computed,
      agrees: false,
      differs,
      explanation: explain(e, cache, computed, params),
    };
  });
  const agreeing = checks.filter((c) => c.agrees).length;
  return {
    caches: checks,
    total: checks.length,
    agreeing,
    agreement: checks.length === 0 ? 1 : agreeing / checks.length,
    sizesComputed,
  };
}

const same = (a: SlabCacheCheck["observed"], b: SlabCacheCheck["computed"]) => differences(a, b).length === 0;

/** Tries the inputs SLUB might really have had, and says which one reproduces what the kernel did. */
function explain(
  e: SlabinfoEntry,
  cache: SlubCache | undefined,
  computed: SlabCacheCheck["computed"],
  params: SlubParams,
): string {
  const observed = { objsize: e.objsize, objperslab: e.objperslab, pagesperslab: e.pagesperslab };
  const parts: string[] = [];
  if (cache && computed.objsize !== e.objsize) {
    const what = `objsize ${e.objsize}, computed ${computed.objsize} from object_size ${cache.objectSize}, align ${cache.align}`;
    if (cache.typesafeByRcu && !cache.useFreeptrOffset) {
      const inside = calculateSizes({ ...cache, useFreeptrOffset: true }, params);
      if (inside.size === e.objsize) {
        const rest = same(observed, predict(inside.size, params))
          ? `, which gives ${inside.objects} objects per ${2 ** inside.order}-page slab as observed`
          : "";
        return `${what}: the cache is SLAB_TYPESAFE_BY_RCU but keeps its free pointer inside the object (kmem_cache_args.freeptr_offset, which sysfs does not show); without the extra word after the object the stride is ${inside.size}${rest}`;
      }
    }
    const debug = ["redZone", "poison", "storeUser"] as const;
    for (const flag of debug) {
      if (cache[flag]) continue;
      const withFlag = calculateSizes({ ...cache, [flag]: true }, params);
      if (withFlag.size === e.objsize)
        return `${what}: the stride matches with ${flag} debugging, which sysfs does not report as set`;
    }
    parts.push(
      `${what}: ${e.objsize > computed.objsize ? `${e.objsize - computed.objsize} bytes more` : `${computed.objsize - e.objsize} bytes less`} than the free pointer, debug flags and alignment account for (KASAN metadata or a cache-specific layout)`,
    );
  }
  const size = e.objsize;
  const geometry = predict(size, params);
  if (same(observed, geometry) && parts.length > 0)
    return `${parts[0]}; with the observed objsize the order and objects agree`;
  if (!same(observed, geometry)) {
    const order = Math.log2(e.pagesperslab);
    const computedOrder = Math.log2(geometry.pagesperslab);
    if (orderObjects(order, size, params.pageSize) !== e.objperslab)
      parts.push(
        `objperslab ${e.objperslab} is not what ${e.pagesperslab} page(s) of ${size}-byte objects hold (${orderObjects(order, size, params.pageSize)}), so order_objects() did not compute it: not SLUB's geometry (another allocator, or a patched one)`,
      );
    else {
      const cpus = cpuCountsFor(size, order, params);
      if (cpus)
        parts.push(
          `order ${order}, computed ${computedOrder} with ${params.nrCpus} present CPUs; order ${order} is what ${cpus} present CPUs give, so the cache was created while that many were present`,
        );
      else {
        const minOrder = [...Array(order + 1).keys()].find(
          (m) =>
            calculateOrder(size, { ...params, minOrder: m, maxOrder: Math.max(params.maxOrder, m) }) ===
            order,
        );
        parts.push(
          minOrder !== undefined && minOrder > params.minOrder
            ? `order ${order}, computed ${computedOrder}: slub_min_order=${minOrder} reproduces it, so the order was raised at boot or through /sys/kernel/slab/${e.name}/order`
            : `order ${order}, computed ${computedOrder}: no CPU count or slub_min_order reproduces it, so it was set through /sys/kernel/slab/${e.name}/order; the objects per slab agree with that order`,
        );
      }
    }
  }
  return parts.join("; ");
}

/** The present-CPU counts (up to 8191) for which SLUB picks `order` for this size, as fls() classes. */
function cpuCountsFor(size: number, order: number, params: SlubParams): string | undefined {
  if (params.minObjects) return undefined;
  const classes: string[] = [];
  // min_objects only changes when fls(nr_cpus) does, so one CPU count per power of two suffices.
  for (let bits = 1; bits <= 13; bits++) {
    const lo = 2 ** (bits - 1);
    const hi = 2 * lo - 1;
    if (params.nrCpus >= lo && params.nrCpus <= hi) continue;
    if (calculateOrder(size, { ...params, minObjects: 0, nrCpus: lo, nrCpuIds: lo }) === order)
      classes.push(lo === hi ? `${lo}` : `${lo}–${hi}`);
  }
  return classes.length === 0 ? undefined : classes.join(", ");
}
