import {
  type AbiName,
  c,
  type KernelConfig,
  layoutOf,
  linux618,
  MAX_PAGE_ORDER,
  PAGE_SIZE,
  resolveAbi,
} from "@memdesc/core";
import { z } from "zod";
import { SlabError } from "./errors.js";
import { slabToday } from "./today.js";

/*
 * SLUB's slab geometry as mm/slub.c of Linux 6.18 computes it when a cache is created: the object stride
 * (calculate_sizes), the slab order (calculate_order, calc_slab_order) and the objects per slab
 * (order_objects). Kernel names in camelCase; each function names the C one it follows.
 */

/** PAGE_ALLOC_COSTLY_ORDER (include/linux/mmzone.h): SLUB's default `slub_max_order`. */
export const PAGE_ALLOC_COSTLY_ORDER = 3;

/**
 * MAX_OBJS_PER_PAGE (mm/slub.c, "since slab.objects is u15"): the largest count struct slab's `objects`
 * bitfield holds, read from the layout.
 */
export const MAX_OBJS_PER_PAGE = (() => {
  const objects = layoutOf(slabToday, { config: linux618 }).fields.find((f) => f.path === "objects");
  if (objects?.bitSize === undefined) throw new SlabError("BAD_CACHE", "struct slab has no objects bitfield");
  return 2 ** objects.bitSize - 1;
})();

/** `struct track` (mm/slub.c): what SLAB_STORE_USER keeps twice per object (allocation and free). */
export const slubTrack = c.struct("track", [
  ["addr", c.ulong],
  c.ifdef("CONFIG_STACKDEPOT", [["handle", c.typedef("depot_stack_handle_t", c.u32)]]),
  ["cpu", c.int],
  ["pid", c.int],
  ["when", c.ulong],
]);

/** The measured 6.18 kernel's slab-related configuration: linux618 plus stack depot and SLUB debugging support. */
export const slubConfig: KernelConfig = { ...linux618, CONFIG_STACKDEPOT: true, CONFIG_SLUB_DEBUG: true };

const int = z.number().int();

/** What SLUB's order calculation depends on besides the object size: the machine and the boot parameters. */
export const slubParamsSchema = z
  .object({
    /** `num_present_cpus()` when the cache was created. */
    nrCpus: int.min(1, "nrCpus (num_present_cpus) is at least 1"),
    /** `nr_cpu_ids`, used instead of nrCpus when only one CPU is present. Defaults to nrCpus. */
    nrCpuIds: int.min(1, "nrCpuIds (nr_cpu_ids) is at least 1").optional(),
    /** `slub_min_objects=` (0: derived from the CPU count). */
    minObjects: int.min(0, "minObjects (slub_min_objects) cannot be negative").default(0),
    /** `slub_min_order=`. */
    minOrder: int
      .min(0)
      .max(MAX_PAGE_ORDER, `minOrder (slub_min_order) is at most MAX_PAGE_ORDER (${MAX_PAGE_ORDER})`)
      .default(0),
    /** `slub_max_order=` (default PAGE_ALLOC_COSTLY_ORDER). */
    maxOrder: int
      .min(0)
      .max(MAX_PAGE_ORDER, `maxOrder (slub_max_order) is at most MAX_PAGE_ORDER (${MAX_PAGE_ORDER})`)
      .default(PAGE_ALLOC_COSTLY_ORDER),
    pageSize: int
      .refine((n) => n >= 4096 && (n & (n - 1)) === 0, "pageSize must be a power of two ≥ 4096")
      .default(PAGE_SIZE),
    abi: z.enum(["lp64", "ilp32", "ilp32-arm"]).default("lp64"),
    /** Kernel configuration for `struct track` (CONFIG_STACKDEPOT). */
    config: z.custom<KernelConfig>((v) => typeof v === "object" && v !== null).default(slubConfig),
  })
  // slub_min_order= above slub_max_order raises the maximum (setup_slub_min_order).
  .transform((p) => ({ ...p, nrCpuIds: p.nrCpuIds ?? p.nrCpus, maxOrder: Math.max(p.maxOrder, p.minOrder) }));

export type SlubParamsInput = z.input<typeof slubParamsSchema>;
export type SlubParams = z.output<typeof slubParamsSchema>;

/** Validates SLUB parameters; an error names the offending one. */
export function slubParams(input: SlubParamsInput): SlubParams {
  const r = slubParamsSchema.safeParse(input);
  if (!r.success)
    throw new SlabError(
      "BAD_SLUB_PARAMS",
      `SLUB parameters: ${r.error.issues.map((i) => `${i.path.join(".")}: ${i.message}`).join("; ")}`,
    );
  return r.data;
}

/** `fls()`: the 1-based index of the most significant set bit, 0 for 0. */
export function fls(x: number): number {
  return x === 0 ? 0 : 32 - Math.clz32(x);
}

/** `get_order()`: the smallest order whose block (`PAGE_SIZE << order`) holds `size` bytes. */
export function getOrder(size: number, pageSize: number = PAGE_SIZE): number {
  if (!Number.isInteger(size) || size < 1)
    throw new SlabError("BAD_CACHE", `get_order(${size}) is undefined`);
  let order = 0;
  while (pageSize * 2 ** order < size) order++;
  return order;
}

/** `order_objects()`: how many objects of `size` bytes a slab of `order` holds. */
export function orderObjects(order: number, size: number, pageSize: number = PAGE_SIZE): number {
  return Math.floor((pageSize * 2 ** order) / size);
}

/**
 * `calc_slab_order()`: the smallest order from `minOrder` to `maxOrder` whose leftover (slab bytes modulo the
 * object size) is at most `1 / fractLeftover` of the slab; `maxOrder + 1` when none is.
 */
export function calcSlabOrder(
  size: number,
  minOrder: number,
  maxOrder: number,
  fractLeftover: number,
  pageSize: number = PAGE_SIZE,
): number {
  let order = minOrder;
  for (; order <= maxOrder; order++) {
    const slabSize = pageSize * 2 ** order;
    if (slabSize % size <= Math.floor(slabSize / fractLeftover)) break;
  }
  return order;
}

/** The minimum objects per slab SLUB aims for: `slub_min_objects`, or `4 * (fls(nr_cpus) + 1)`. */
export function slubMinObjects(params: SlubParams): number {
  if (params.minObjects) return params.minObjects;
  // Some architectures only mark CPUs present as they come online, so one present CPU is not trusted.
  const nrCpus = params.nrCpus <= 1 ? params.nrCpuIds : params.nrCpus;
  return 4 * (fls(nrCpus) + 1);
}

/**
 * `calculate_order()`: the slab order for objects of `size` bytes (the stride, `s->size`). It starts from the
 * order that holds the minimum object count (capped by what `slub_max_order` can hold), accepts at most 1/16
 * of the slab as waste, then 1/8, then 1/4, and falls back to the order of one object.
 */
export function calculateOrder(size: number, params: SlubParams): number {
  const { pageSize } = params;
  if (!Number.isInteger(size) || size < 1)
    throw new SlabError("BAD_CACHE", `object size ${size} is not a whole number of bytes ≥ 1`);
  const maxObjects = Math.max(orderObjects(params.maxOrder, size, pageSize), 1);
  const minObjects = Math.min(slubMinObjects(params), maxObjects);
  const minOrder = Math.max(params.minOrder, getOrder(minObjects * size, pageSize));
  if (orderObjects(minOrder, size, pageSize) > MAX_OBJS_PER_PAGE)
    return getOrder(size * MAX_OBJS_PER_PAGE, pageSize) - 1;
  for (let fraction = 16; fraction > 1; fraction /= 2) {
    const order = calcSlabOrder(size, minOrder, params.maxOrder, fraction, pageSize);
    if (order <= params.maxOrder) return order;
  }
  // The slab cannot be placed within slub_max_order.
  const order = getOrder(size, pageSize);
  if (order <= MAX_PAGE_ORDER) return order;
  throw new SlabError(
    "NO_ORDER",
    `objects of ${size} bytes need order ${order}, above MAX_PAGE_ORDER (${MAX_PAGE_ORDER}): kmem_cache_create fails (-ENOSYS)`,
  );
}

/** A cache as `kmem_cache_create()` is asked for it: the object, its alignment and the flags that change sizes. */
export interface SlubCache {
  /** `s->object_size`: the size the caller asked for. */
  readonly objectSize: number;
  /** The alignment asked for (`args->align`), or the cache's calculated `s->align`; 0 or absent for none. */
  readonly align?: number;
  /** SLAB_HWCACHE_ALIGN. */
  readonly hwcacheAlign?: boolean;
  /** A constructor: the free pointer may not overwrite the constructed object, so it goes after it. */
  readonly ctor?: boolean;
  /** SLAB_TYPESAFE_BY_RCU: freed objects stay readable, so the free pointer goes after them. */
  readonly typesafeByRcu?: boolean;
  /** `kmem_cache_args.use_freeptr_offset`: an RCU cache that names a word inside its object for the free pointer. */
  readonly useFreeptrOffset?: boolean;
  readonly freeptrOffset?: number;
  /** Debug flags (slub_debug=F,Z,P,U): SLAB_RED_ZONE, SLAB_POISON, SLAB_STORE_USER. */
  readonly redZone?: boolean;
  readonly poison?: boolean;
  readonly storeUser?: boolean;
  /** SLAB_KMALLOC: with SLAB_STORE_USER the original request size is kept too. */
  readonly kmalloc?: boolean;
}

/** Where SLUB puts things in one object and how its slabs come out. */
export interface SlubGeometry {
  readonly objectSize: number;
  /** `s->align`. */
  readonly align: number;
  /** `s->inuse`: bytes used by the object and its right red zone, before the free pointer and metadata. */
  readonly inuse: number;
  /** `s->offset`: where the free pointer is stored. */
  readonly offset: number;
  /** `s->red_left_pad`. */
  readonly redLeftPad: number;
  /** `s->size`: the stride between objects; /proc/slabinfo's objsize and /sys/kernel/slab/<cache>/slab_size. */
  readonly size: number;
  /** `oo_order(s->oo)`; /proc/slabinfo's pagesperslab is `2^order`. */
  readonly order: number;
  /** `oo_objects(s->oo)`; /proc/slabinfo's objperslab. */
  readonly objects: number;
  readonly slabBytes: number;
  /** Bytes of each slab no object uses. */
  readonly waste: number;
}

const alignUp = (n: number, a: number) => Math.ceil(n / a) * a;
const alignDown = (n: number, a: number) => Math.floor(n / a) * a;

/**
 * `calculate_alignment()` (mm/slab_common.c): SLAB_HWCACHE_ALIGN raises the alignment to the cacheline, halved
 * while the object fits twice; never below `arch_slab_minalign()` (8 on x86) and always a multiple of a pointer.
 */
export function calculateAlignment(
  cache: { readonly hwcacheAlign?: boolean; readonly align?: number; readonly objectSize: number },
  options: { readonly abi?: AbiName; readonly minAlign?: number } = {},
): number {
  const abi = resolveAbi(options.abi);
  let align = cache.align ?? 0;
  if (cache.hwcacheAlign) {
    let ralign = abi.cacheline;
    while (cache.objectSize <= ralign / 2) ralign /= 2;
    align = Math.max(align, ralign);
  }
  align = Math.max(align, options.minAlign ?? 8);
  return alignUp(align, abi.pointerSize);
}

/**
 * `calculate_sizes()`: the object stride, free pointer placement and debug metadata of a cache, then its order
 * and objects per slab.
 */
export function calculateSizes(cache: SlubCache, params: SlubParams): SlubGeometry {
  const { objectSize } = cache;
  if (!Number.isInteger(objectSize) || objectSize < 1)
    throw new SlabError("BAD_CACHE", `object size ${objectSize} is not a whole number of bytes ≥ 1`);
  const abi = resolveAbi(params.abi);
  const ptr = abi.pointerSize;
  const align = calculateAlignment(cache, { abi: params.abi });
  if ((align & (align - 1)) !== 0)
    throw new SlabError("BAD_CACHE", `alignment ${align} is not a power of two`);
  // Round up to a word: the free pointer can only live at word boundaries.
  let size = alignUp(objectSize, ptr);
  // Red zoning needs some bytes between the object and the free pointer.
  if (cache.redZone && size === objectSize) size += ptr;
  const inuse = size;
  const origSize = !!cache.storeUser && !!cache.kmalloc;
  let offset: number;
  if (
    (cache.typesafeByRcu && !cache.useFreeptrOffset) ||
    cache.poison ||
    cache.ctor ||
    (cache.redZone && (objectSize < ptr || origSize))
  ) {
    // The object must survive kmem_cache_free(), so the free pointer goes after it.
    offset = size;
    size += ptr;
  } else if (cache.typesafeByRcu && cache.useFreeptrOffset) {
    offset = cache.freeptrOffset ?? 0;
  } else {
    // Mid-object, away from the edges that small overflows from neighbours would hit.
    offset = alignDown(Math.floor(objectSize / 2), ptr);
  }
  if (cache.storeUser) {
    size += 2 * layoutOf(slubTrack, { abi: params.abi, config: params.config }).size;
    if (cache.kmalloc) size += 4; // the original kmalloc request size, an unsigned int
  }
  let redLeftPad = 0;
  if (cache.redZone) {
    size += ptr;
    redLeftPad = alignUp(ptr, align);
    size += redLeftPad;
  }
  size = alignUp(size, align);
  const order = calculateOrder(size, params);
  const objects = orderObjects(order, size, params.pageSize);
  const slabBytes = params.pageSize * 2 ** order;
  return {
    objectSize,
    align,
    inuse,
    offset,
    redLeftPad,
    size,
    order,
    objects,
    slabBytes,
    waste: slabBytes - objects * size,
  };
}

/** The order and objects per slab for objects of a known stride (`s->size`, /proc/slabinfo's objsize). */
export function slabGeometry(
  size: number,
  params: SlubParams,
): { order: number; objects: number; waste: number } {
  const order = calculateOrder(size, params);
  const objects = orderObjects(order, size, params.pageSize);
  return { order, objects, waste: params.pageSize * 2 ** order - objects * size };
}
