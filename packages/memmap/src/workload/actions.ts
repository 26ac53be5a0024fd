import { type MemoryUse, PAGE_SIZE } from "@memdesc/core";
import { DIRECT_MAP_BASE } from "../slub/slab-cache.js";
import { actionContext } from "./action-context.js";
import type { ActionReport, RunState } from "./run-state.js";
import {
  actionParams,
  type BuiltinAction,
  builtinActionNames,
  type PluginAction,
  type WorkloadAction,
} from "./schema.js";
import { parseSize } from "./size.js";

/*
 * What each workload action does to the memmap. Actions are generators: they yield (through `sim.tick()`) every
 * so many pages, so a run can stop between steps and draw its progress.
 */

type Action<A extends BuiltinAction["action"]> = Extract<BuiltinAction, { action: A }>;
type Steps = Generator<void, void, void>;

const isPluginAction = (a: WorkloadAction): a is PluginAction => !builtinActionNames.includes(a.action);

/**
 * Pages an action is to allocate on a machine of `ram` pages: its amount for the built-in actions that allocate,
 * 0 for those that free, split or wait, and for plugins' actions, whose amount measures something else (the
 * memory a process maps) and whose pages are counted when they have run.
 */
export function plannedPages(a: WorkloadAction, ram: number): number {
  if (isPluginAction(a)) return 0;
  const b = a as BuiltinAction;
  if (b.action === "reclaim" || b.action === "split" || b.action === "rcu") return 0;
  const amount = a as { share?: number; size?: number | string };
  if (amount.share !== undefined) return Math.floor(amount.share * ram);
  if (amount.size !== undefined) return Math.floor(parseSize(amount.size) / PAGE_SIZE);
  return 0;
}

export function* perform(sim: RunState, a: WorkloadAction, r: ActionReport): Steps {
  if (isPluginAction(a)) {
    yield* pluginAction(sim, a, r);
    return;
  }
  const b = a as BuiltinAction;
  switch (b.action) {
    case "kernel":
      yield* kernelPages(sim, b, r);
      return;
    case "pagecache":
      yield* allocFolios(sim, "file", r, orderPicker(sim.random, b.orders), b.nid ?? -1);
      return;
    case "anon":
      yield* anon(sim, b, r);
      return;
    case "hugetlb":
      // Huge pages have one size: no smaller fallback, and the last one is not shrunk to fit.
      yield* allocFolios(sim, "hugetlb", r, () => b.order, b.nid ?? -1, true);
      return;
    case "fragment":
      yield* fragment(sim, b, r);
      return;
    case "slab":
      yield* slabObjects(sim, b, r);
      return;
    case "reclaim":
      yield* reclaim(sim, b, r);
      return;
    case "split":
      yield* split(sim, b, r);
      return;
    case "rcu":
      if (b.synchronize) sim.memmap.rcu.synchronize();
      if (b.advance > 0) sim.memmap.rcu.advance(b.advance);
      return;
  }
}

/** Untyped kernel pages (Misc words) of one subtype and order. */
function* kernelPages(sim: RunState, a: Action<"kernel">, r: ActionReport): Steps {
  const m = sim.memmap;
  const use =
    a.subtype === "reserved" || a.subtype === "zero" || a.subtype === "offline" ? a.subtype : "kernel";
  const u = m.useOf(use);
  while (r.pages + 2 ** a.order <= r.requestedPages) {
    const pfn = m.allocPagesMisc(a.subtype, a.order, a.nid ?? -1, use);
    if (pfn < 0) {
      r.failures++;
      break;
    }
    sim.tracked.track(u, pfn * 16 + a.order);
    r.pages += 2 ** a.order;
    yield* sim.tick(2 ** a.order);
  }
}

/** Anonymous memory: a share in PMD-sized THPs (order 9), the rest by the mTHP weights (order 0 by default). */
function* anon(sim: RunState, a: Action<"anon">, r: ActionReport): Steps {
  const rest = a.orders ?? { "0": 1 };
  const weights: Record<string, number> = {};
  const restTotal = Object.values(rest).reduce((s, v) => s + v, 0);
  for (const [o, w] of Object.entries(rest)) weights[o] = (w / restTotal) * (1 - a.thp);
  weights["9"] = (weights["9"] ?? 0) + a.thp;
  yield* allocFolios(sim, "anon", r, orderPicker(sim.random, weights), a.nid ?? -1);
}

/** Order-0 page cache, then all but `keep` of it freed at random, leaving scattered holes. */
function* fragment(sim: RunState, a: Action<"fragment">, r: ActionReport): Steps {
  const m = sim.memmap;
  const t = sim.tracked;
  const before = t.count(m.useOf("file"));
  yield* allocFolios(sim, "file", r, () => 0, a.nid ?? -1);
  const u = m.useOf("file");
  const added = t.count(u) - before;
  const drop = Math.floor(added * (1 - a.keep));
  for (let n = 0; n < drop; n++) {
    const i = before + Math.floor(sim.random() * (t.count(u) - before));
    release(sim, u, t.untrack(u, i));
    yield* sim.tick(1);
  }
}

/** Objects of workload caches (dentry, kmalloc-64 …), each cache's share of the pages in its objects. */
function* slabObjects(sim: RunState, a: Action<"slab">, r: ActionReport): Steps {
  const m = sim.memmap;
  r.kind = sim.registry.ownerOf("slab") ?? null;
  const weights = a.caches.reduce((s, c) => s + c.share, 0);
  for (const c of a.caches) {
    const cache = m.kmemCacheCreate(c.name, c.size);
    const pagesFor = Math.floor((r.requestedPages * c.share) / weights);
    const objects = Math.floor((pagesFor * PAGE_SIZE) / cache.size);
    const perSlabPages = 2 ** cache.order;
    for (let got = 0; got < objects; ) {
      const want = Math.min(objects - got, cache.objects * 64);
      const n = m.kmemCacheAllocBulk(cache, want, a.nid ?? -1);
      got += n;
      const pages = Math.ceil(n / cache.objects) * perSlabPages;
      r.pages += pages;
      if (n < want) {
        r.failures++;
        break;
      }
      yield* sim.tick(pages);
    }
  }
}

/**
 * A plugin's action: its `run` with an action context of the kind that provides it (what its hooks get, and the
 * run's amount, node, random numbers and tracking); its pages are what the use gained.
 */
function* pluginAction(sim: RunState, a: PluginAction, r: ActionReport): Steps {
  const m = sim.memmap;
  const provided = sim.actions.get(a.action)!;
  const def = provided.definition;
  r.kind = provided.kind;
  const u = m.counters.useOf(def.use);
  const before = m.usePages[u]!;
  const bytes =
    a.share !== undefined
      ? Math.floor(a.share * m.pages) * PAGE_SIZE
      : a.size !== undefined
        ? parseSize(a.size, `${a.action}.size`)
        : 0;
  const ctx = actionContext(m, provided.kind, {
    use: def.use,
    nid: a.nid ?? -1,
    bytes,
    random: sim.random,
    track: (desc) => sim.tracked.track(u, desc),
    failed: (what) => {
      r.failures++;
      sim.warnings.add(`${r.phase}: ${what}`);
    },
  });
  def.run(ctx, actionParams(a, def));
  r.pages = Math.max(0, m.usePages[u]! - before);
  r.requestedPages = r.pages;
  yield* sim.tick(r.pages);
}

/** Frees a share of a use at random: slab objects across the workload caches, else tracked allocations. */
function* reclaim(sim: RunState, a: Action<"reclaim">, r: ActionReport): Steps {
  const m = sim.memmap;
  const t = sim.tracked;
  const u = m.useOf(a.use);
  if (a.use === "slab") {
    for (const cache of m.caches) {
      if (cache.backed || cache.liveObjects === 0) continue;
      const before = m.usePages[u]!;
      m.kmemCacheFreeRandom(cache, Math.floor(cache.liveObjects * a.share), sim.random);
      r.pages += before - m.usePages[u]!;
    }
    yield* sim.tick(r.pages);
    return;
  }
  const n = Math.floor(t.count(u) * a.share);
  for (let k = 0; k < n; k++) {
    const before = m.usePages[u]!;
    release(sim, u, t.untrack(u, Math.floor(sim.random() * t.count(u))));
    r.pages += before - m.usePages[u]!;
    yield* sim.tick(1);
  }
}

/** Splits a share of a use's allocations above `order` to `order`, by the owning kind's hook if it has one. */
function* split(sim: RunState, a: Action<"split">, r: ActionReport): Steps {
  const m = sim.memmap;
  const t = sim.tracked;
  const u = m.useOf(a.use);
  const kind = sim.registry.ownerOf(a.use);
  r.kind = kind ?? null;
  const splitHook = kind ? sim.registry.plugin(kind).simulation?.split : undefined;
  const candidates: number[] = [];
  for (let i = 0; i < t.count(u); i++) {
    const d = t.at(u, i);
    if (d >= DIRECT_MAP_BASE && m.isLive(d) && m.descriptorOrder(d) > a.order) candidates.push(i);
  }
  const n = Math.floor(candidates.length * a.share);
  // Highest index first, so untracking (swap with the last) never moves a candidate still to come.
  const chosen = candidates
    .filter(() => sim.random() < a.share)
    .slice(0, n)
    .sort((x, y) => y - x);
  for (const i of chosen) {
    const d = t.at(u, i);
    const pieces = splitHook ? splitHook(m.context(kind!), d, a.order) : m.split(d, a.order);
    if (!pieces) {
      r.failures++;
      continue;
    }
    t.untrack(u, i);
    for (const p of pieces) t.track(u, p);
    r.pages += pieces.length * 2 ** a.order;
    yield* sim.tick(1);
  }
}

/** Picks orders so that each order's share of the memory follows `weights` (count ∝ weight / 2^order). */
function orderPicker(random: () => number, weights: Readonly<Record<string, number>>): () => number {
  const entries = Object.entries(weights)
    .map(([o, w]) => [Number(o), w / 2 ** Number(o)] as const)
    .filter(([, w]) => w > 0);
  const total = entries.reduce((s, [, w]) => s + w, 0);
  return () => {
    let x = random() * total;
    for (const [o, w] of entries) {
      x -= w;
      if (x < 0) return o;
    }
    return entries[entries.length - 1]![0];
  };
}

/**
 * Allocates folios (or whatever kind owns `use`) until the action's pages are reached, each order from `pick`;
 * when a large order fails it falls back to smaller ones, as the page cache and THP do.
 */
function* allocFolios(
  sim: RunState,
  use: MemoryUse,
  r: ActionReport,
  pick: () => number,
  nid: number,
  fixed = false,
): Steps {
  const m = sim.memmap;
  const kind = sim.registry.ownerOf(use);
  const u = m.useOf(use);
  r.kind = kind ?? null;
  const pointer = kind !== undefined && sim.registry.plugin(kind).storage === "pointer";
  if (!pointer)
    sim.warnings.add(`no plugin describes ${use} pages; they were allocated as untyped kernel pages`);
  const kid = pointer ? m.kindId(kind) : -1;
  while (r.pages < r.requestedPages) {
    let order = Math.min(pick(), m.maxOrder);
    if (fixed && r.pages + 2 ** order > r.requestedPages) return;
    while (order > 0 && r.pages + 2 ** order > r.requestedPages) order--;
    let got = 0;
    for (; order >= 0; order--) {
      got = pointer
        ? m.allocDescriptor(kid, order, nid, u)
        : m.allocPagesMisc("unknown", order, nid, use) + 1;
      if (got !== 0) break;
      r.failures++;
      if (fixed) return;
    }
    if (got === 0) return;
    sim.tracked.track(u, pointer ? got : (got - 1) * 16 + order);
    r.pages += 2 ** order;
    yield* sim.tick(2 ** order);
  }
}

/** Frees a tracked allocation the way its kind wants (`folio_put`), or Misc pages. */
function release(sim: RunState, u: number, handle: number): void {
  const m = sim.memmap;
  const use = m.registry.uses[u]!;
  const kind = sim.registry.ownerOf(use);
  if (handle >= DIRECT_MAP_BASE && kind) {
    if (!m.isLive(handle)) return;
    const release = sim.registry.plugin(kind).simulation?.release;
    if (release) release(m.context(kind), handle);
    else m.free(handle);
    return;
  }
  const pfn = Math.floor(handle / 16);
  m.freePagesMisc(pfn, handle - pfn * 16, use);
}
