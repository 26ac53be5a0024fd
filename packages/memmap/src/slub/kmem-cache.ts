import type {
  AnyDescriptor,
  Layout,
  MemoryUse,
  Registry,
  SimulationHooks,
  SimulationMachine,
  SlabGeometryRequest,
  SlabGeometryResult,
} from "@memdesc/core";
import { fieldsByPath, PAGE_SIZE } from "@memdesc/core";
import { MemmapError } from "../errors.js";
import type { KindInfo } from "../memmap/kinds.js";
import type { MemmapState } from "../memmap/state.js";
import { SlabCache, type SlabCacheGeometry, type SlabCacheOptions } from "./slab-cache.js";

/** Simulated `struct kmem_cache` addresses: static, like the kernel's boot caches (they are not descriptors). */
export const KMEM_CACHE_BASE = 0x820000000000;
/** Bytes between two simulated `struct kmem_cache`s: cache `id` is at `KMEM_CACHE_BASE + id * stride`. */
export const KMEM_CACHE_STRIDE = 512;

export type SlabGeometry = NonNullable<SimulationHooks["slabGeometry"]>;

/**
 * SLUB's geometry when no plugin gives one: the smallest order holding at least 8 objects (or one) with at most
 * 1/8 of the slab wasted, up to PAGE_ALLOC_COSTLY_ORDER. The slab plugin replaces it with calculate_order().
 */
function fallbackGeometry(req: SlabGeometryRequest, m: SimulationMachine): SlabGeometryResult {
  const size = Math.ceil(req.objectSize / req.align) * req.align;
  for (let order = 0; order <= Math.min(3, m.maxOrder); order++) {
    const bytes = m.pageSize * 2 ** order;
    const objects = Math.floor(bytes / size);
    if (objects >= 8 && bytes - objects * size <= bytes / 8) return { size, order, objects };
  }
  let order = 0;
  while (m.pageSize * 2 ** order < size) order++;
  return { size, order, objects: Math.floor((m.pageSize * 2 ** order) / size) };
}

/** The first plugin's `slabGeometry` (the slab plugin's `calculate_sizes()`), else the fallback. */
export function slabGeometryOf(registry: Registry<readonly AnyDescriptor[]>): SlabGeometry {
  return (
    registry.plugins.find((p) => p.simulation?.slabGeometry)?.simulation?.slabGeometry ?? fallbackGeometry
  );
}

/**
 * The descriptor caches: the struct-slab cache first (kmem_cache_init's boot cache, which hosts its own struct
 * slabs), then one per pointer kind and variant, each kind's `byOrder` pointing at its variant's cache. Returns
 * the struct-slab cache.
 */
export function createDescriptorCaches(m: MemmapState, slabKind: KindInfo): SlabCache {
  const registry = m.registry;
  const structSlabs = createDescriptorCache(
    m,
    slabKind,
    "default",
    registry.memdescLayouts(slabKind.name).default,
    true,
  );
  for (let o = 0; o <= m.maxOrder; o++) slabKind.byOrder[o] = structSlabs;
  slabKind.cache0 = structSlabs;
  for (const k of m.kindTable.byIndex) {
    if (k.storage !== "pointer" || k === slabKind) continue;
    const layouts = registry.memdescLayouts(k.name);
    const byVariant = new Map<string, SlabCache>();
    for (let o = 0; o <= m.maxOrder; o++) {
      const v = registry.descriptorSize(k.name, o)?.variant;
      if (v === undefined) continue;
      let cache = byVariant.get(v);
      if (!cache) {
        cache = createDescriptorCache(m, k, v, layouts[v], false);
        byVariant.set(v, cache);
      }
      k.byOrder[o] = cache;
      if (o === 0) k.cache0 = cache;
    }
    // Uses whose allocations take another variant (hugetlb folios carry the hugetlb fields).
    const p = registry.plugin(k.name);
    for (const use of new Set<MemoryUse>([...p.uses, ...p.fallbackUses])) {
      for (let o = 0; o <= m.maxOrder; o++) {
        const v = registry.descriptorSize(k.name, o, use)?.variant;
        if (v === undefined || v === registry.descriptorSize(k.name, o)?.variant) continue;
        let cache = byVariant.get(v);
        if (!cache) {
          cache = createDescriptorCache(m, k, v, layouts[v], false);
          byVariant.set(v, cache);
        }
        k.byUse ??= new Map();
        const u = registry.uses.indexOf(use);
        const byOrder = k.byUse.get(u) ?? [];
        byOrder[o] = cache;
        k.byUse.set(u, byOrder);
      }
    }
  }
  return structSlabs;
}

/** A kind's cache for one variant: objects of its layout's size rounded to the design's alignment, real bytes. */
function createDescriptorCache(
  m: MemmapState,
  k: KindInfo,
  variant: string,
  layout: Layout | undefined,
  selfHosting: boolean,
): SlabCache {
  const align = m.registry.design.descriptorAlign;
  if (!layout)
    throw new MemmapError("UNKNOWN_KIND", `kind ${k.name} has no memdesc-era layout for variant ${variant}`);
  const objectSize = Math.ceil(layout.size / align) * align;
  const back = wayBackField(m, k, variant, layout);
  const fp = k.hooks?.freePointer;
  let freeptrOffset = 8;
  if (fp !== undefined) {
    const f = fieldsByPath(layout).get(fp);
    if (!f || f.offset % 8 !== 0 || f.offset + 8 > objectSize)
      throw new MemmapError(
        "UNKNOWN_FIELD",
        `kind ${k.name}: freePointer names ${fp}, which is not an 8-byte-aligned field of ${variant}`,
      );
    freeptrOffset = f.offset;
  }
  // A TYPESAFE_BY_RCU reader revalidates through the PFN: the free pointer must not overwrite it.
  if (back.offset < freeptrOffset + 8 && freeptrOffset < back.offset + back.size)
    throw new MemmapError(
      "BAD_OPTIONS",
      `kind ${k.name}: its free pointer (offset ${freeptrOffset}) overlaps its way-back field (offset ${back.offset}); name another field in freePointer`,
    );
  const name = variant === "default" ? k.name : `${k.name}_${variant}`;
  const geo = m.slabGeometry(
    { name, objectSize, align, typesafeByRcu: true, freeptrOffset },
    { nrCpus: m.nrCpus, maxOrder: m.maxOrder, pageSize: PAGE_SIZE },
  );
  const cache = addCache(m, geo, {
    name,
    kind: k.name,
    variant,
    objectSize,
    backed: true,
    typesafeByRcu: true,
    freeptrOffset,
    pfnOffset: back.offset,
    pfnSize: back.size,
    selfHosting,
    layout,
  });
  cache.tag = k.tag;
  k.caches.push(cache);
  return cache;
}

/**
 * Where a kind's descriptor keeps the PFN of its memory: the registry's way back for it. The simulator keeps the
 * PFN there and nowhere else, so a kind without such a field (or one that finds its memory some other way) cannot
 * be simulated.
 */
function wayBackField(
  m: MemmapState,
  k: KindInfo,
  variant: string,
  layout: Layout,
): { offset: number; size: number } {
  const back = m.registry.wayBackOf(k.name);
  const what = variant === "default" ? `kind ${k.name}` : `kind ${k.name} (variant ${variant})`;
  if (!back)
    throw new MemmapError(
      "NO_WAY_BACK",
      `${what}: its memdesc-era descriptor has no pfn field and its plugin declares no wayBack; a descriptor allocated apart from its memory needs the PFN to get back to it (docs/kernel.md), and the simulator keeps it there`,
    );
  if (!("field" in back))
    throw new MemmapError(
      "NO_WAY_BACK",
      `${what} finds its memory without a PFN field (${back.how}); the simulator keeps each descriptor's PFN in the descriptor and cannot model that`,
    );
  const f = fieldsByPath(layout).get(back.field)!;
  return { offset: f.offset, size: f.size >= 8 ? 8 : 4 };
}

/** `kmem_cache_create()` of a workload cache (see `Memmap.kmemCacheCreate`); the same name gives the same cache. */
export function kmemCacheCreate(m: MemmapState, name: string, objectSize: number, align: number): SlabCache {
  const existing = m.caches.find((c) => c.name === name && c.kind === undefined);
  if (existing) return existing;
  if (!Number.isInteger(objectSize) || objectSize < 1)
    throw new MemmapError(
      "BAD_OPTIONS",
      `cache ${name}: object size ${objectSize} is not a whole number ≥ 1`,
    );
  const geo = m.slabGeometry(
    { name, objectSize, align, typesafeByRcu: false },
    { nrCpus: m.nrCpus, maxOrder: m.maxOrder, pageSize: PAGE_SIZE },
  );
  return addCache(m, geo, {
    name,
    kind: undefined,
    variant: "default",
    objectSize,
    backed: false,
    typesafeByRcu: false,
    freeptrOffset: 0,
    pfnOffset: -1,
    pfnSize: 0,
    selfHosting: false,
    layout: undefined,
  });
}

/** Checks a cache's geometry, gives it the next id and `struct kmem_cache` address, and adds it to the memmap. */
function addCache(
  m: MemmapState,
  geo: SlabCacheGeometry,
  options: Omit<SlabCacheOptions, "id" | "address" | keyof SlabCacheGeometry>,
): SlabCache {
  const { name, objectSize } = options;
  if (
    geo.order > m.maxOrder ||
    geo.objects < 1 ||
    geo.size < objectSize ||
    geo.objects * geo.size > PAGE_SIZE * 2 ** geo.order
  )
    throw new MemmapError(
      "BAD_OPTIONS",
      `cache ${name}: slab geometry ${JSON.stringify(geo)} does not hold ${objectSize}-byte objects within order ${m.maxOrder}`,
    );
  if (options.selfHosting && geo.objects < 2)
    throw new MemmapError(
      "BAD_OPTIONS",
      `cache ${name} must hold at least two objects per slab to host its own struct slab`,
    );
  const id = m.caches.length;
  if (id >= 255) throw new MemmapError("SLAB_LIMIT", "at most 255 slab caches");
  const cache = new SlabCache({
    ...options,
    id,
    size: geo.size,
    order: geo.order,
    objects: geo.objects,
    address: KMEM_CACHE_BASE + id * KMEM_CACHE_STRIDE,
  });
  m.caches.push(cache);
  return cache;
}
