import type { AnyDescriptor, DescriptorContext, Registry, SimulationHooks } from "@memdesc/core";
import { MemmapError } from "../errors.js";
import type { SlabCache } from "../slub/slab-cache.js";

/** A kind's context (`KindContext`) as the memmap sees it: it points `view32`/`view8` and sets `state`. */
export interface HookContext extends DescriptorContext {
  view32: Uint32Array;
  view8: Uint8Array;
  state: unknown;
}

/** What the memmap keeps per kind of its registry. */
export interface KindInfo {
  readonly name: string;
  readonly index: number;
  readonly tag: number;
  readonly storage: "pointer" | "inline";
  readonly hooks: SimulationHooks | undefined;
  /** The cache that holds this kind's descriptors for each order (by variant). */
  readonly byOrder: (SlabCache | undefined)[];
  /** `byOrder[0]`, what most allocations use (undefined for inline kinds). */
  cache0: SlabCache | undefined;
  /**
   * For uses whose allocations take another variant than `byOrder` gives (a hugetlb folio's hugetlb fields): the
   * cache per order, by use index. Undefined when no use does.
   */
  byUse: Map<number, (SlabCache | undefined)[]> | undefined;
  /** `hooks.init`, one load on the allocation path. */
  readonly init: SimulationHooks["init"];
  /** What the kind's hooks are handed on this memmap: set once the memmap is built. */
  context: HookContext | undefined;
  /** Its caches, one per variant. */
  readonly caches: SlabCache[];
  /** The memory use its allocations count as unless told otherwise. */
  readonly use: number;
}

/** The registry's kinds on one memmap: by index (the number-only allocation path), by name and by word tag. */
export class KindTable {
  readonly byIndex: readonly KindInfo[];
  /** The word's tag bits (`lo & ~tagMask` is the address part of a pointer word's low half). */
  readonly tagMask: number;
  /** The kind `memdescAllocNode()` was last asked for: asked for again, it costs a string compare. */
  last: KindInfo;
  private readonly byName = new Map<string, KindInfo>();
  /** Kind index by tag, -1 for tags no kind uses. */
  private readonly byTag: Int16Array;

  constructor(registry: Registry<readonly AnyDescriptor[]>) {
    const typeBits = registry.design.typeBits;
    this.tagMask = ((1 << typeBits) - 1) | 0;
    this.byIndex = registry.kinds.map((name, index) => {
      const p = registry.plugin(name);
      const use = p.uses[0] ?? p.fallbackUses[0] ?? "kernel";
      const info: KindInfo = {
        name,
        index,
        tag: registry.tagOf(name)!,
        storage: p.storage,
        hooks: p.simulation,
        byOrder: [],
        cache0: undefined,
        byUse: undefined,
        init: p.simulation?.init,
        context: undefined,
        caches: [],
        use: registry.uses.indexOf(use),
      };
      this.byName.set(name, info);
      return info;
    });
    this.last = this.byIndex[0]!;
    this.byTag = new Int16Array(2 ** typeBits).fill(-1);
    for (const k of this.byIndex) this.byTag[k.tag] = k.index;
  }

  /** The kind named `kind`; UNKNOWN_KIND if the registry has none. */
  get(kind: string): KindInfo {
    const k = this.byName.get(kind);
    if (!k)
      throw new MemmapError(
        "UNKNOWN_KIND",
        `no kind "${kind}" in this registry (kinds: ${this.byIndex.map((i) => i.name).join(", ")})`,
      );
    return k;
  }

  /** The kind named `kind`, if the registry has one. */
  find(kind: string): KindInfo | undefined {
    return this.byName.get(kind);
  }

  /** The kind a word's tag says, if any kind uses it. */
  ofTag(tag: number): KindInfo | undefined {
    return this.byIndex[this.byTag[tag]!];
  }
}

/**
 * The cache holding kind `k`'s descriptors for allocations of `order` (made for use index `use`, when given);
 * INLINE_KIND or BAD_ORDER if none does.
 */
export function cacheOf(k: KindInfo, order: number, maxOrder: number, use = -1): SlabCache {
  const c = (use >= 0 ? k.byUse?.get(use)?.[order] : undefined) ?? k.byOrder[order];
  if (!c)
    throw new MemmapError(
      k.storage === "inline" ? "INLINE_KIND" : "BAD_ORDER",
      k.storage === "inline"
        ? `kind ${k.name} is stored inline in the word; it has no descriptors`
        : `order ${order} is outside 0..${maxOrder}`,
    );
  return c;
}
