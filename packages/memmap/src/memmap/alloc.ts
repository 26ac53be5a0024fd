import type { DescriptorAllocOptions } from "@memdesc/core";
import { hex, MemmapError } from "../errors.js";
import { fillWords } from "../page-alloc/words.js";
import {
  META_ORDER_SHIFT as metaOrderShift,
  META_USE_SHIFT as metaUseShift,
  OBJ_LIVE as objLive,
  OBJ_RCU as objRcu,
  type SlabCache,
} from "../slub/slab-cache.js";
import { freeObjectNow, slabAllocSlow } from "../slub/slub.js";
import { checkNid, checkOrder } from "./args.js";
import { writeField } from "./fields.js";
import { cacheOf, type KindInfo } from "./kinds.js";
import type { MemmapState } from "./state.js";

/*
 * Descriptors with their pages: `memdesc_alloc_node()` and its number-only twin, and why a free is refused (the
 * free itself is `Memmap.free()`). With the free, the order-0 allocation is the simulator's hot path: numbers
 * in, numbers out, nothing allocated.
 */

// Imported bindings are live: optimized code reloads and checks them at every use. Module-level constants fold.
const META_ORDER_SHIFT = metaOrderShift;
const META_USE_SHIFT = metaUseShift;
const OBJ_LIVE = objLive;
const OBJ_RCU = objRcu;

/** `memdesc_alloc_node()` (see `Memmap.memdescAllocNode`), checked; without options, the order-0 fast path. */
export function memdescAllocNode(
  m: MemmapState,
  kind: string,
  options: DescriptorAllocOptions | undefined,
): number {
  const kinds = m.kindTable;
  if (kind !== kinds.last.name) kinds.last = kinds.get(kind);
  const k = kinds.last;
  if (options === undefined) return allocFromCache(m, k, k.cache0 ?? cacheOf(k, 0, m.maxOrder), 0, -1, k.use);
  const order = options.order ?? 0;
  checkOrder(m, order);
  const nid = options.nid ?? -1;
  checkNid(m, nid);
  const use = options.use === undefined ? k.use : m.counters.useOf(options.use);
  let cache = cacheOf(k, order, m.maxOrder, use);
  if (options.size !== undefined) cache = cacheForSize(k, options.size);
  const desc = allocFromCache(m, k, cache, order, nid, use);
  if (desc !== 0 && options.init)
    for (const [path, v] of Object.entries(options.init)) writeField(m.locator, desc, path, v);
  return desc;
}

/** The cache of the smallest variant of kind `k` that holds `size` bytes. */
function cacheForSize(k: KindInfo, size: number): SlabCache {
  const fits = k.caches.filter((c) => c.objectSize >= size).sort((a, b) => a.objectSize - b.objectSize)[0];
  if (!fits)
    throw new MemmapError(
      "DESCRIPTOR_SIZE",
      `no ${k.name} descriptor holds ${size} bytes (sizes: ${k.caches.map((c) => c.objectSize).join(", ")})`,
    );
  return fits;
}

/** `memdescAllocNode()` by kind index and use index (-1: the kind's own), unchecked: for loops that allocate. */
export function allocDescriptor(
  m: MemmapState,
  kindId: number,
  order: number,
  nid: number,
  use: number,
): number {
  const k = m.kindTable.byIndex[kindId]!;
  const u = use < 0 ? k.use : use;
  const cache =
    (k.byUse === undefined ? (order === 0 ? k.cache0 : k.byOrder[order]) : undefined) ??
    cacheOf(k, order, m.maxOrder, u);
  return allocFromCache(m, k, cache, order, nid, u);
}

/**
 * The allocation: the object from the cache's CPU freelist (`slab_alloc_node()`), the pages through the per-CPU
 * lists (`rmqueue_pcplist()`), the object zeroed (`kmem_cache_zalloc`), every page's word pointed at it, the
 * counters, then the kind's `init`.
 *
 * The object pop and the counters are written out here rather than called (`slabAllocNode()`, `count()`): at
 * this size V8 does not inline the function into its callers but optimizes it on its own, with the per-CPU list
 * and the kind's `init` inlined into it. Smaller, it was inlined into its callers and those were not.
 */
function allocFromCache(
  m: MemmapState,
  k: KindInfo,
  cache: SlabCache,
  order: number,
  nid: number,
  use: number,
): number {
  let o = cache.cpuPop();
  if (o < 0) {
    o = slabAllocSlow(m, cache, nid);
    if (o < 0) {
      m.allocFailures++;
      return 0;
    }
  }
  cache.objMeta[o] = OBJ_LIVE | (order << META_ORDER_SHIFT) | (use << META_USE_SHIFT);
  cache.liveObjects++;
  const pfn = m.pcp.allocPages(order, nid);
  if (pfn < 0) {
    freeObjectNow(m, cache, o);
    m.allocFailures++;
    return 0;
  }
  // The object is in the CPU slab, whose address and bytes the cache keeps at hand.
  const off = (o - cache.cpuObj0) * cache.size;
  const desc = cache.cpuBase + off;
  const byte = cache.cpuByte0 + off;
  // kmem_cache_zalloc: 8 bytes a store (objects are multiples of 16 bytes, 16-byte aligned).
  const f = cache.cpuF64;
  for (let x = byte >>> 3, end = x + (cache.objectSize >>> 3); x < end; x += 2) {
    f[x] = 0;
    f[x + 1] = 0;
  }
  // The way back: the descriptor keeps its memory's PFN (the high half of a 64-bit field is already 0).
  cache.cpuU32[(byte + cache.pfnOffset) >>> 2] = pfn;
  const lo = (cache.cpuLo0s + off) | k.tag;
  const hi = cache.cpuHi;
  if (order === 0) {
    const x = pfn * m.stride;
    m.words[x] = lo;
    m.words[x + 1] = hi;
  } else fillWords(m.words, m.stride, pfn, 1 << order, lo, hi);
  const c = m.counters;
  const s = c.stats;
  s[use]! += 1 << order;
  s[c.descsAt + use]!++;
  s[c.ordersAt + use * c.ordersPerUse + order]!++;
  const init = k.init;
  if (init !== undefined) {
    const ctx = k.context!;
    m.locator.checked = 0;
    ctx.view32 = cache.cpuU32;
    ctx.view8 = cache.cpuU8;
    init(ctx, desc, order, pfn, byte);
  }
  return desc;
}

/** Why `Memmap.free()` refuses `desc` (kept out of its body, which stays small enough to inline): throws. */
export function refuseFree(
  m: MemmapState,
  desc: number,
  kind: string | undefined,
  order: number | undefined,
): never {
  const l = m.locator;
  l.locate(desc);
  const c = l.cache;
  const st = c.stateOf(l.object);
  if (st !== OBJ_LIVE)
    throw new MemmapError(
      "DOUBLE_FREE",
      `descriptor ${hex(desc)} (${c.kind}) is already free${st === OBJ_RCU ? " (waiting for a grace period)" : ""}: double free`,
    );
  if (c === m.slabCache)
    throw new MemmapError(
      "WRONG_KIND",
      `${hex(desc)} is a struct slab; slab descriptors are freed by their cache`,
    );
  if (kind !== undefined && kind !== c.kind)
    throw new MemmapError("WRONG_KIND", `freeing ${hex(desc)} as ${kind}, but it is a ${c.kind} descriptor`);
  const ord = c.orderOf(l.object);
  if (order !== undefined && order !== ord)
    throw new MemmapError(
      "WRONG_ORDER",
      `freeing ${hex(desc)} (${c.kind}) with order ${order}, but it was allocated with order ${ord}`,
    );
  throw new MemmapError(
    "CORRUPT_WORD",
    `page ${hex(c.pfnOf(l.object))} of descriptor ${hex(desc)} (${c.kind}) no longer points at it`,
  );
}
