import { PAGE_SIZE, type PictureInput } from "@memdesc/core";
import type { MemmapState } from "./state.js";

/*
 * What the memmap reports: the memory picture the bill is made from, /proc/buddyinfo and /proc/zoneinfo, and
 * what the descriptors themselves cost.
 */

/** The descriptor memory of one cache: what the memdesc design's descriptors cost in slab pages. */
export interface CacheMemory {
  readonly name: string;
  readonly kind: string;
  readonly variant: string;
  readonly objectSize: number;
  /** `s->size`. */
  readonly stride: number;
  readonly order: number;
  readonly objectsPerSlab: number;
  readonly slabs: number;
  readonly slabPages: number;
  readonly liveObjects: number;
  /** Freed objects waiting for a grace period (SLAB_TYPESAFE_BY_RCU). */
  readonly rcuObjects: number;
  /** `liveObjects × objectSize`. */
  readonly usedBytes: number;
  /** `slabPages × PAGE_SIZE`. */
  readonly allocatedBytes: number;
}

export interface DescriptorMemory {
  readonly caches: readonly CacheMemory[];
  readonly slabPages: number;
  readonly usedBytes: number;
  readonly allocatedBytes: number;
  /** Share of the descriptor slab pages not holding a live descriptor: partial slabs, RCU-waiting objects, waste. */
  readonly fragmentation: number;
}

/** The memory picture (see `Memmap.picture`), from the per-use counters rather than a walk of the words. */
export function picture(m: MemmapState, source: string | undefined): PictureInput {
  const uses: Record<string, { pages: number; descriptors: number; orders?: Record<string, number> }> = {};
  const free = m.freePageCount;
  if (free > 0) uses.free = { pages: free, descriptors: 0 };
  m.registry.uses.forEach((u, i) => {
    const pages = m.usePages[i]!;
    const descriptors = m.useDescriptors[i]!;
    if (pages === 0 && descriptors === 0) return;
    const orders: Record<string, number> = {};
    for (let o = 0; o <= m.maxOrder; o++) {
      const n = m.useOrders[i * (m.maxOrder + 1) + o]!;
      if (n > 0) orders[String(o)] = n;
    }
    uses[u] = { pages, descriptors, ...(descriptors > 0 ? { orders } : {}) };
  });
  return { pageSize: PAGE_SIZE, ...(source !== undefined ? { source } : {}), uses };
}

/** `/proc/buddyinfo`, one Normal zone per node. */
export function buddyinfo(m: MemmapState): string {
  let out = "";
  for (let n = 0; n < m.nodes; n++) {
    out += `Node ${n}, zone ${"Normal".padStart(8)} `;
    for (let o = 0; o <= m.maxOrder; o++) out += `${String(m.buddy.freeBlocks(n, o)).padStart(6)} `;
    out += "\n";
  }
  return out;
}

/** `/proc/zoneinfo`'s free-page lines and the simulated CPU's pageset, one Normal zone per node. */
export function zoneinfo(m: MemmapState): string {
  let out = "";
  for (let n = 0; n < m.nodes; n++) {
    const managed = m.buddy.nodeStart[n + 1]! - m.buddy.nodeStart[n]!;
    const ps = m.pcp.pageset(n);
    out += `Node ${n}, zone   Normal\n`;
    out += `  pages free     ${m.buddy.freePagesByNode[n]}\n`;
    out += `        high     ${ps.highWmark}\n`;
    out += `        managed  ${managed}\n`;
    out += "  pagesets\n    cpu: 0\n";
    out += `              count: ${ps.count}\n`;
    out += `              high:  ${ps.high}\n`;
    out += `              batch: ${ps.batch}\n`;
  }
  return out;
}

/** Free blocks by node and order, as numbers. */
export function buddyCounts(m: MemmapState): number[][] {
  return Array.from({ length: m.nodes }, (_, n) =>
    Array.from({ length: m.maxOrder + 1 }, (_, o) => m.buddy.freeBlocks(n, o)),
  );
}

/** The descriptors' own memory: each descriptor cache's slab pages, live objects and fragmentation. */
export function descriptorMemory(m: MemmapState): DescriptorMemory {
  const caches = m.caches
    .filter((c) => c.backed)
    .map(
      (c): CacheMemory => ({
        name: c.name,
        kind: c.kind!,
        variant: c.variant,
        objectSize: c.objectSize,
        stride: c.size,
        order: c.order,
        objectsPerSlab: c.objects,
        slabs: c.slabs,
        slabPages: c.slabs * 2 ** c.order,
        liveObjects: c.liveObjects,
        rcuObjects: c.rcuObjects,
        usedBytes: c.liveObjects * c.objectSize,
        allocatedBytes: c.slabs * c.slabBytes,
      }),
    );
  const usedBytes = caches.reduce((s, c) => s + c.usedBytes, 0);
  const allocatedBytes = caches.reduce((s, c) => s + c.allocatedBytes, 0);
  return {
    caches,
    slabPages: m.metaPages,
    usedBytes,
    allocatedBytes,
    fragmentation: allocatedBytes === 0 ? 0 : 1 - usedBytes / allocatedBytes,
  };
}

/** Host memory the simulation holds: the words, the PFN → slab table, the per-CPU lists and the caches' bytes. */
export function hostBytes(m: MemmapState): number {
  return (
    m.words.byteLength + m.locator.bytes + m.pcp.bytes + m.caches.reduce((s, c) => s + c.backingBytes, 0)
  );
}
