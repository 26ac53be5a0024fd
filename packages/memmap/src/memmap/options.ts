import type { Design } from "@memdesc/core";
import { MAX_PAGE_ORDER } from "@memdesc/core";
import { MemmapError } from "../errors.js";

/** The most PFNs a memmap models: 2^28 pages, 1 TiB of 4 KiB pages. */
export const MAX_MEMMAP_PAGES = 2 ** 28;

export interface MemmapOptions {
  /** Pages of RAM (4 KiB each), at most 2^28. */
  readonly pages: number;
  /** NUMA nodes; the PFN range is split evenly on MAX_PAGE_ORDER boundaries (default 1). */
  readonly nodes?: number;
  /** The buddy allocator's largest order (default MAX_PAGE_ORDER, 10). */
  readonly maxOrder?: number;
  /** CPUs, for SLUB's objects-per-slab minimum (default 64). */
  readonly nrCpus?: number;
  /** Length of an RCU grace period in simulated ms (default 10). */
  readonly gracePeriod?: number;
  /**
   * How a freed descriptor is given back. `typesafe-by-rcu` (the default, the kernel's SLAB_TYPESAFE_BY_RCU and the
   * plan's): `kmem_cache_free()` makes the object reusable at once, as another descriptor of the same kind; only an
   * emptied slab's pages wait a grace period. `kfree-rcu`: every descriptor waits a grace period before reuse, as
   * `kfree_rcu()` would make it (more memory held; a different choice).
   */
  readonly descriptorFree?: DescriptorFree;
  /**
   * CONFIG_TRANSPARENT_HUGEPAGE (default true, as distributions build): `pcp_allowed_order()` then lets order
   * HPAGE_PMD_ORDER (9) use the per-CPU lists too.
   */
  readonly thp?: boolean;
}

/** How a freed descriptor is given back: see `MemmapOptions.descriptorFree`. */
export type DescriptorFree = "typesafe-by-rcu" | "kfree-rcu";

/** The machine a memmap simulates, checked and with defaults filled in. */
export interface Machine {
  readonly pages: number;
  readonly nodes: number;
  readonly maxOrder: number;
  readonly nrCpus: number;
  /** u32s per page entry (the design's entry bytes / 4); the word is the first two. */
  readonly stride: number;
  readonly descriptorFree: DescriptorFree;
  readonly thp: boolean;
}

/** The machine `options` describe, under a design whose word the simulator models (else NO_WORD, BAD_OPTIONS). */
export function machineOf(design: Design, options: MemmapOptions): Machine {
  if (design.typeBits === 0)
    throw new MemmapError(
      "NO_WORD",
      `design ${design.name} has no memdesc word to simulate (descriptors overlay struct page); bill a simulated picture under it instead`,
    );
  if (design.wordBits !== 64 || design.entryBytes % 4 !== 0)
    throw new MemmapError(
      "NO_WORD",
      `the simulator models 64-bit words in whole u32s; design ${design.name} has ${design.wordBits}-bit words in ${design.entryBytes}-byte entries`,
    );
  const pages = options.pages;
  if (!Number.isInteger(pages) || pages < 1 || pages > MAX_MEMMAP_PAGES)
    throw new MemmapError("BAD_OPTIONS", `pages must be a whole number from 1 to 2^28 (1 TiB), not ${pages}`);
  const maxOrder = options.maxOrder ?? MAX_PAGE_ORDER;
  if (!Number.isInteger(maxOrder) || maxOrder < 0 || maxOrder > 14)
    throw new MemmapError(
      "BAD_OPTIONS",
      `maxOrder must be 0..14 (the buddy word has 4 order bits), not ${maxOrder}`,
    );
  const nodes = options.nodes ?? 1;
  const block = 2 ** maxOrder;
  if (!Number.isInteger(nodes) || nodes < 1 || nodes > 64 || nodes * block > pages)
    throw new MemmapError(
      "BAD_OPTIONS",
      `nodes must be 1..64 with at least one order-${maxOrder} block (${block} pages) each; ${pages} pages cannot have ${nodes}`,
    );
  const descriptorFree = options.descriptorFree ?? "typesafe-by-rcu";
  if (descriptorFree !== "typesafe-by-rcu" && descriptorFree !== "kfree-rcu")
    throw new MemmapError(
      "BAD_OPTIONS",
      `descriptorFree is typesafe-by-rcu or kfree-rcu, not ${JSON.stringify(descriptorFree)}`,
    );
  return {
    descriptorFree,
    thp: options.thp ?? true,
    pages: pages | 0,
    nodes: nodes | 0,
    maxOrder: maxOrder | 0,
    nrCpus: (options.nrCpus ?? 64) | 0,
    stride: (design.entryBytes / 4) | 0,
  };
}

/** Each node's first PFN, and `pages` last: equal shares on order-`maxOrder` boundaries. */
export function nodeStarts(pages: number, nodes: number, maxOrder: number): number[] {
  const block = 2 ** maxOrder;
  const starts: number[] = [];
  for (let n = 0; n < nodes; n++) starts.push(Math.floor((n * pages) / nodes / block) * block);
  starts.push(pages);
  return starts;
}
