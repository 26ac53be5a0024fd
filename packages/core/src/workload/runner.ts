import { bill } from "../bill/bill.js";
import { type MemoryUse, memoryUseNames } from "../bill/uses.js";
import { MAX_PAGE_ORDER, PAGE_SIZE } from "../kernel/constants.js";
import { MemmapError } from "../memmap/errors.js";
import { grown } from "../memmap/grow.js";
import type { SimulationHooks, WorkloadContext } from "../memmap/hooks.js";
import { createMemmap, DIRECT_MAP_BASE, type Memmap } from "../memmap/memmap.js";
import type { AnyDescriptor } from "../plugin/define.js";
import type { Registry } from "../registry/registry.js";
import { seededRandom } from "./random.js";
import type { SimulationResult, SimulationSample } from "./result.js";
import { parseWorkload, type Workload, type WorkloadAction, type WorkloadInput } from "./schema.js";
import { parseSize } from "./size.js";

type AnyRegistry = Registry<readonly AnyDescriptor[]>;

export interface SimulationOptions {
  /** RAM to simulate (bytes or `"4G"`); default the workload's `memory`. */
  readonly memory?: number | string;
  readonly nodes?: number;
  /** RCU grace period, simulated ms (default 10). */
  readonly gracePeriod?: number;
}

/** Allocations per simulated millisecond: RCU time moves on as the workload allocates. */
const UNITS_PER_MS = 256;
/** Pages of work between the points where a step may stop, so a progress bar can be drawn. */
const YIELD_PAGES = 1 << 12;

interface ActionReport {
  phase: string;
  action: string;
  kind: string | null;
  requestedPages: number;
  pages: number;
  failures: number;
}

/**
 * A workload running on a simulated memmap: `step()` advances it by about `pages` pages of work and returns
 * whether it is done, so a caller can draw progress between steps; `result()` reports the bill under every
 * design after each phase, the final picture and bill, /proc/buddyinfo, and the descriptors' own memory.
 */
export class Simulation {
  readonly memmap: Memmap;
  readonly workload: Workload;
  readonly registry: AnyRegistry;
  /** Pages of work done and the total planned (allocations; frees and splits count as their pages). */
  done = 0;
  readonly total: number;
  finished = false;
  private readonly random: () => number;
  private readonly gen: Generator<void, void, void>;
  /** Descriptors (or Misc `pfn * 16 + order`) the workload may free or split later, per memory use. */
  private tracked: Float64Array[];
  private trackedTop: Int32Array;
  private readonly samples: SimulationSample[] = [];
  private readonly reports: ActionReport[] = [];
  private readonly warnings = new Set<string>();
  private units = 0;

  constructor(registry: AnyRegistry, workload: Workload, options: SimulationOptions = {}) {
    this.registry = registry;
    this.workload = workload;
    const bytes = parseSize(options.memory ?? workload.memory, "memory");
    const pages = Math.floor(bytes / PAGE_SIZE);
    this.memmap = createMemmap(registry, {
      pages,
      nodes: options.nodes ?? workload.nodes,
      nrCpus: workload.nrCpus,
      ...(options.gracePeriod !== undefined ? { gracePeriod: options.gracePeriod } : {}),
    });
    this.random = seededRandom(workload.seed);
    this.tracked = memoryUseNames.map(() => new Float64Array(64));
    this.trackedTop = new Int32Array(memoryUseNames.length);
    this.total = workload.phases.reduce(
      (s, p) => s + p.actions.reduce((t, a) => t + this.plannedPages(a), 0),
      0,
    );
    this.gen = this.run();
  }

  /** Runs about `pages` pages of work; true when the workload has finished. */
  step(pages = 1 << 16): boolean {
    const until = this.done + pages;
    while (!this.finished && this.done < until) if (this.gen.next().done) this.finished = true;
    return this.finished;
  }

  /** Runs the whole workload. */
  runToEnd(): SimulationResult {
    while (!this.step()) {}
    return this.result();
  }

  private plannedPages(a: WorkloadAction): number {
    const ram = this.memmap.pages;
    if (a.action === "reclaim" || a.action === "split" || a.action === "rcu") return 0;
    if ("share" in a || "size" in a) {
      const amount = a as { share?: number; size?: number | string };
      if (a.action === "pagetables" || a.action === "iommu") return 0;
      if (amount.share !== undefined) return Math.floor(amount.share * ram);
      if (amount.size !== undefined) return Math.floor(parseSize(amount.size) / PAGE_SIZE);
    }
    return 0;
  }

  private *run(): Generator<void, void, void> {
    for (const phase of this.workload.phases) {
      for (const action of phase.actions) {
        const report: ActionReport = {
          phase: phase.name,
          action: action.action,
          kind: null,
          requestedPages: this.plannedPages(action),
          pages: 0,
          failures: 0,
        };
        this.reports.push(report);
        yield* this.perform(action, report);
      }
      this.sample(phase.name);
    }
  }

  private *perform(a: WorkloadAction, r: ActionReport): Generator<void, void, void> {
    const m = this.memmap;
    switch (a.action) {
      case "kernel": {
        const use =
          a.subtype === "reserved" || a.subtype === "zero" || a.subtype === "offline" ? a.subtype : "kernel";
        const u = m.useOf(use);
        while (r.pages + 2 ** a.order <= r.requestedPages) {
          const pfn = m.allocPagesMisc(a.subtype, a.order, a.nid ?? -1, use);
          if (pfn < 0) {
            r.failures++;
            break;
          }
          this.track(u, pfn * 16 + a.order);
          r.pages += 2 ** a.order;
          yield* this.tick(2 ** a.order);
        }
        return;
      }
      case "pagecache":
        yield* this.allocFolios("file", r, this.orderPicker(a.orders), a.nid ?? -1);
        return;
      case "anon": {
        const rest = a.orders ?? { "0": 1 };
        const weights: Record<string, number> = {};
        const restTotal = Object.values(rest).reduce((s, v) => s + v, 0);
        for (const [o, w] of Object.entries(rest)) weights[o] = (w / restTotal) * (1 - a.thp);
        weights["9"] = (weights["9"] ?? 0) + a.thp;
        yield* this.allocFolios("anon", r, this.orderPicker(weights), a.nid ?? -1);
        return;
      }
      case "hugetlb":
        // Huge pages have one size: no smaller fallback, and the last one is not shrunk to fit.
        yield* this.allocFolios("hugetlb", r, () => a.order, a.nid ?? -1, true);
        return;
      case "fragment": {
        const before = this.trackedTop[m.useOf("file")]!;
        yield* this.allocFolios("file", r, () => 0, a.nid ?? -1);
        // Free all but `keep` of what was just allocated, at random, leaving scattered holes.
        const u = m.useOf("file");
        const added = this.trackedTop[u]! - before;
        const drop = Math.floor(added * (1 - a.keep));
        for (let n = 0; n < drop; n++) {
          const i = before + Math.floor(this.random() * (this.trackedTop[u]! - before));
          this.release(u, this.untrack(u, i));
          yield* this.tick(1);
        }
        return;
      }
      case "slab": {
        r.kind = this.registry.ownerOf("slab") ?? null;
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
            yield* this.tick(pages);
          }
        }
        return;
      }
      case "pagetables":
      case "iommu": {
        const use: MemoryUse = a.action === "pagetables" ? "pagetable" : "iommu";
        const kind = this.registry.ownerOf(use);
        r.kind = kind ?? null;
        const hooks = kind
          ? (this.registry.plugin(kind).simulation as SimulationHooks | undefined)
          : undefined;
        const before = m.usePages[m.useOf(use)]!;
        const ctx = this.context(kind ?? "misc", use, a.nid ?? -1, r);
        const bytes =
          a.share !== undefined
            ? Math.floor(a.share * m.pages) * PAGE_SIZE
            : parseSize(a.size ?? 0, `${a.action}.size`);
        if (a.action === "pagetables" && hooks?.actions?.pagetables)
          hooks.actions.pagetables(ctx, {
            processes: a.processes,
            bytes,
            leaves: a.leaves,
            levels: a.levels,
            fragments: a.fragments,
          });
        else if (a.action === "iommu" && hooks?.actions?.iommu)
          hooks.actions.iommu(ctx, { domains: a.domains, bytes, tableSizes: a.tableSizes, unmap: a.unmap });
        else {
          // No plugin models these tables: one order-0 page per 2 MiB mapped, plus a root per address space.
          const count = a.action === "pagetables" ? a.processes : a.domains;
          const tables = count * (Math.ceil(bytes / 2 ** 21) + 1);
          this.warnings.add(
            kind
              ? `${kind} has no ${a.action} hook; its tables were allocated as one order-0 descriptor per 2 MiB mapped`
              : `no plugin describes ${use} pages; they were allocated as untyped kernel pages`,
          );
          for (let t = 0; t < tables; t++) {
            const d = kind
              ? m.memdescAllocNode(kind, { use, nid: a.nid ?? -1 })
              : m.allocPagesMisc("unknown", 0, -1, use);
            if ((kind && d === 0) || (!kind && d < 0)) {
              r.failures++;
              break;
            }
            this.track(m.useOf(use), kind ? d : d * 16);
          }
        }
        r.pages = Math.max(0, m.usePages[m.useOf(use)]! - before);
        r.requestedPages = r.pages;
        yield* this.tick(r.pages);
        return;
      }
      case "reclaim": {
        const u = m.useOf(a.use);
        if (a.use === "slab") {
          for (const cache of m.caches) {
            if (cache.backed || cache.liveObjects === 0) continue;
            const before = m.usePages[u]!;
            m.kmemCacheFreeRandom(cache, Math.floor(cache.liveObjects * a.share), this.random);
            r.pages += before - m.usePages[u]!;
          }
          yield* this.tick(r.pages);
          return;
        }
        const n = Math.floor(this.trackedTop[u]! * a.share);
        for (let k = 0; k < n; k++) {
          const before = m.usePages[u]!;
          this.release(u, this.untrack(u, Math.floor(this.random() * this.trackedTop[u]!)));
          r.pages += before - m.usePages[u]!;
          yield* this.tick(1);
        }
        return;
      }
      case "split": {
        const u = m.useOf(a.use);
        const kind = this.registry.ownerOf(a.use);
        r.kind = kind ?? null;
        const split = kind
          ? (this.registry.plugin(kind).simulation as SimulationHooks | undefined)?.split
          : undefined;
        const candidates: number[] = [];
        for (let i = 0; i < this.trackedTop[u]!; i++) {
          const d = this.tracked[u]![i]!;
          if (d >= DIRECT_MAP_BASE && m.isLive(d) && m.descriptorOrder(d) > a.order) candidates.push(i);
        }
        const n = Math.floor(candidates.length * a.share);
        // Highest index first, so untracking (swap with the last) never moves a candidate still to come.
        const chosen = candidates
          .filter(() => this.random() < a.share)
          .slice(0, n)
          .sort((x, y) => y - x);
        for (const i of chosen) {
          const d = this.tracked[u]![i]!;
          const pieces = split ? split(m, d, a.order) : m.split(d, a.order);
          if (!pieces) {
            r.failures++;
            continue;
          }
          this.untrack(u, i);
          for (const p of pieces) this.track(u, p);
          r.pages += pieces.length * 2 ** a.order;
          yield* this.tick(1);
        }
        return;
      }
      case "rcu":
        if (a.synchronize) m.rcu.synchronize();
        if (a.advance > 0) m.rcu.advance(a.advance);
        return;
    }
  }

  /** Picks orders so that each order's share of the memory follows `weights` (count ∝ weight / 2^order). */
  private orderPicker(weights: Readonly<Record<string, number>>): () => number {
    const entries = Object.entries(weights)
      .map(([o, w]) => [Number(o), w / 2 ** Number(o)] as const)
      .filter(([, w]) => w > 0);
    const total = entries.reduce((s, [, w]) => s + w, 0);
    return () => {
      let x = this.random() * total;
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
  private *allocFolios(
    use: MemoryUse,
    r: ActionReport,
    pick: () => number,
    nid: number,
    fixed = false,
  ): Generator<void, void, void> {
    const m = this.memmap;
    const kind = this.registry.ownerOf(use);
    const u = m.useOf(use);
    r.kind = kind ?? null;
    const pointer = kind !== undefined && this.registry.plugin(kind).storage === "pointer";
    if (!pointer)
      this.warnings.add(`no plugin describes ${use} pages; they were allocated as untyped kernel pages`);
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
      this.track(u, pointer ? got : (got - 1) * 16 + order);
      r.pages += 2 ** order;
      yield* this.tick(2 ** order);
    }
  }

  private *tick(pages: number): Generator<void, void, void> {
    this.done += pages;
    this.units++;
    if (this.units % UNITS_PER_MS === 0) this.memmap.rcu.advance(1);
    if (this.done % YIELD_PAGES < pages) yield;
  }

  private track(u: number, handle: number): void {
    const top = this.trackedTop[u]!;
    if (top === this.tracked[u]!.length) this.tracked[u] = grown(this.tracked[u]!, top + 1);
    this.tracked[u]![top] = handle;
    this.trackedTop[u] = top + 1;
  }

  private untrack(u: number, i: number): number {
    const list = this.tracked[u]!;
    const top = --this.trackedTop[u]!;
    const h = list[i]!;
    list[i] = list[top]!;
    return h;
  }

  /** Frees a tracked allocation the way its kind wants (`folio_put`), or Misc pages. */
  private release(u: number, handle: number): void {
    const m = this.memmap;
    const use = memoryUseNames[u]!;
    const kind = this.registry.ownerOf(use);
    if (handle >= DIRECT_MAP_BASE && kind) {
      if (!m.isLive(handle)) return;
      const hooks = this.registry.plugin(kind).simulation as SimulationHooks | undefined;
      if (hooks?.release) hooks.release(m, handle);
      else m.free(handle);
      return;
    }
    const pfn = Math.floor(handle / 16);
    m.freePagesMisc(pfn, handle - pfn * 16, use);
  }

  private context(kind: string, use: MemoryUse, nid: number, r: ActionReport): WorkloadContext {
    const m = this.memmap;
    const u = m.useOf(use);
    return {
      memmap: m,
      kind,
      use,
      nid,
      random: this.random,
      track: (desc) => this.track(u, desc),
      target: r.requestedPages,
      pages: () => m.usePages[u]!,
      failed: (what) => {
        r.failures++;
        this.warnings.add(`${r.phase}: ${what}`);
      },
    };
  }

  private sample(phase: string): void {
    const m = this.memmap;
    const picture = m.picture();
    const b = bill(this.registry, picture);
    const dm = m.descriptorMemory();
    const pages: Record<string, number> = {};
    for (const [use, e] of Object.entries(picture.uses)) if (e) pages[use] = e.pages;
    this.samples.push({
      phase,
      time: m.rcu.now,
      freePages: m.freePageCount,
      pages,
      designs: b.designs.map((d) => ({
        design: d.design,
        total: d.total,
        entries: d.entries,
        descriptors: d.descriptors,
        percentOfRam: d.percentOfRam,
      })),
      descriptorMemory: {
        slabPages: dm.slabPages,
        usedBytes: dm.usedBytes,
        allocatedBytes: dm.allocatedBytes,
        fragmentation: dm.fragmentation,
      },
    });
  }

  /** The report of the run so far. */
  result(): SimulationResult {
    const m = this.memmap;
    const w = this.workload;
    const picture = m.picture(`simulation of ${w.name}`);
    const b = bill(this.registry, picture);
    const dm = m.descriptorMemory();
    const warnings = [...this.warnings, ...b.warnings];
    for (const r of this.reports)
      if (r.failures > 0)
        warnings.push(
          `${r.phase}: ${r.action} had ${r.failures} failed allocations (memory ran out or is fragmented)`,
        );
    return {
      workload: {
        name: w.name,
        description: w.description,
        ...(w.models ? { models: w.models } : {}),
        seed: w.seed,
      },
      machine: {
        pages: m.pages,
        bytes: m.pages * PAGE_SIZE,
        nodes: m.nodes,
        maxOrder: m.maxOrder,
        nrCpus: m.nrCpus,
        design: this.registry.design.name,
        entryBytes: this.registry.design.entryBytes,
      },
      actions: this.reports.map((r) => ({ ...r })),
      samples: this.samples,
      picture: { pageSize: PAGE_SIZE, ...picture },
      bill: b,
      buddyinfo: { text: m.buddyinfo(), counts: m.buddyCounts() },
      descriptorMemory: {
        slabPages: dm.slabPages,
        usedBytes: dm.usedBytes,
        allocatedBytes: dm.allocatedBytes,
        fragmentation: dm.fragmentation,
        caches: [...dm.caches],
      },
      rcu: { now: m.rcu.now, pending: m.rcu.pending },
      allocFailures: m.allocFailures,
      warnings,
    };
  }
}

/** Starts a workload (validated first) on a fresh memmap of the registry. */
export function createSimulation<Ps extends readonly AnyDescriptor[]>(
  registry: Registry<Ps>,
  workload: Workload | WorkloadInput,
  options: SimulationOptions = {},
): Simulation {
  const w = parseWorkload(workload);
  if (
    w.phases.some((p) =>
      p.actions.some((a) => "order" in a && (a as { order: number }).order > MAX_PAGE_ORDER),
    )
  )
    throw new MemmapError("BAD_ORDER", "workload orders go up to MAX_PAGE_ORDER");
  return new Simulation(registry as unknown as AnyRegistry, w, options);
}

/** Runs a workload to the end and returns its report. */
export function runWorkload<Ps extends readonly AnyDescriptor[]>(
  registry: Registry<Ps>,
  workload: Workload | WorkloadInput,
  options: SimulationOptions = {},
): SimulationResult {
  return createSimulation(registry, workload, options).runToEnd();
}
