import type { MemoryUse } from "@memdesc/core";
import { hex, MemmapError } from "../errors.js";
import { inlineFields, miscSubtypeName, miscUseName } from "../page-alloc/misc-pages.js";
import { wordAddress } from "../page-alloc/words.js";
import { KMEM_CACHE_BASE, KMEM_CACHE_STRIDE } from "../slub/kmem-cache.js";
import { OBJ_LIVE } from "../slub/slab-cache.js";
import { checkPfn } from "./args.js";
import { USE_META } from "./counters.js";
import type { MemmapState } from "./state.js";

/** What `lookup(pfn)` finds. */
export interface PageInfo {
  readonly pfn: number;
  readonly node: number;
  readonly state: "free" | "allocated";
  readonly kind: string;
  readonly tag: number;
  /** The descriptor the word points at (pointer kinds). */
  readonly descriptor?: number;
  readonly headPfn: number;
  readonly order: number;
  /** The memory use the allocation was made for. */
  readonly use?: MemoryUse | "memdesc";
  /** For slab pages: the cache the slab belongs to. */
  readonly cache?: string;
  /** For Misc pages: the subtype's name. */
  readonly subtype?: string;
  /** For free pages: true when the block is on a per-CPU list (`per_cpu_pages`) rather than in buddy's lists. */
  readonly pcp?: boolean;
}

/** The descriptor a page's word points at, or 0 for free and inline (Misc) pages. */
export function pageDescriptor(m: MemmapState, pfn: number): number {
  checkPfn(m, pfn);
  const x = pfn * m.stride;
  const lo = m.words[x]!;
  const k = m.kindTable.ofTag(m.registry.codec.readTag(lo));
  if (k?.storage !== "pointer") return 0;
  return wordAddress(lo, m.words[x + 1]!, m.kindTable.tagMask);
}

/** What a PFN is (see `Memmap.lookup`), read from its word and, for a pointer, the descriptor it points at. */
export function lookup(m: MemmapState, pfn: number): PageInfo {
  checkPfn(m, pfn);
  const node = m.buddy.nodeOf(pfn);
  const x = pfn * m.stride;
  const lo = m.words[x]!;
  const hi = m.words[x + 1]!;
  const tag = m.registry.codec.readTag(lo);
  const k = m.kindTable.ofTag(tag);
  if (tag === m.buddyTag) return freePage(m, pfn, node, tag);
  if (!k)
    throw new MemmapError(
      "CORRUPT_WORD",
      `page ${hex(pfn)} has tag ${tag}, which no kind of this registry uses`,
    );
  if (k.storage === "inline") {
    const { order, subtype } = inlineFields(m.registry.codec, lo, hi);
    return {
      pfn,
      node,
      state: "allocated",
      kind: k.name,
      tag,
      headPfn: pfn - (pfn % 2 ** order),
      order,
      use: miscUseName(subtype),
      subtype: miscSubtypeName(subtype) ?? `subtype ${subtype}`,
    };
  }
  const desc = wordAddress(lo, hi, m.kindTable.tagMask);
  const l = m.locator;
  try {
    l.locate(desc);
  } catch (e) {
    throw new MemmapError(
      "CORRUPT_WORD",
      `page ${hex(pfn)} (${k.name}) points at ${hex(desc)}: ${(e as Error).message}`,
    );
  }
  const c = l.cache;
  if (c.kind !== k.name)
    throw new MemmapError(
      "KIND_MISMATCH",
      `page ${hex(pfn)}'s word says ${k.name}, but it points at a ${c.kind} descriptor (${hex(desc)} in cache ${c.name})`,
    );
  if (c.stateOf(l.object) !== OBJ_LIVE)
    throw new MemmapError(
      "USE_AFTER_FREE",
      `page ${hex(pfn)} points at freed ${c.kind} descriptor ${hex(desc)}`,
    );
  // The descriptor's own way back to its memory.
  const headPfn = c.pfnOf(l.object);
  const order = c.orderOf(l.object);
  if (pfn < headPfn || pfn >= headPfn + 2 ** order)
    throw new MemmapError(
      "CORRUPT_WORD",
      `page ${hex(pfn)} points at ${hex(desc)}, which describes ${hex(headPfn)}..+${2 ** order}`,
    );
  const use = c.useOf(l.object);
  // A struct slab names its cache: the simulated `struct kmem_cache` it points at.
  let cache: string | undefined;
  if (c === m.slabCache) {
    const address = m.structSlabFields.readSlabCache(l.u32, l.byte);
    if (address !== undefined) cache = m.caches[(address - KMEM_CACHE_BASE) / KMEM_CACHE_STRIDE]?.name;
  }
  return {
    pfn,
    node,
    state: "allocated",
    kind: k.name,
    tag,
    descriptor: desc,
    headPfn,
    order,
    use: use === USE_META ? "memdesc" : m.registry.uses[use]!,
    ...(cache !== undefined ? { cache } : {}),
  };
}

/** A free page: the buddy block it is in, found from the block's first page (tails say nothing else). */
function freePage(m: MemmapState, pfn: number, node: number, tag: number): PageInfo {
  const b = m.buddy;
  for (let o = 0; o <= m.maxOrder; o++) {
    const head = pfn - (pfn % 2 ** o);
    const hl = m.words[head * m.stride]!;
    if (m.registry.codec.readTag(hl) === m.buddyTag && !b.isTail(head)) {
      const order = b.headOrder(head);
      if (head + 2 ** order > pfn)
        return {
          pfn,
          node,
          state: "free",
          kind: "buddy",
          tag,
          headPfn: head,
          order,
          use: "free",
          ...(b.isPcpHead(head) ? { pcp: true } : {}),
        };
      break;
    }
  }
  throw new MemmapError("CORRUPT_WORD", `page ${hex(pfn)} is a free tail page outside any free block`);
}
