import { type AnyDescriptor, createRegistry, MemdescError, type MemdescIssue } from "@memdesc/core";
import { type ConformanceCheck, ConformanceError, refSlab } from "@memdesc/core/testing";
import { check } from "../memmap/check.js";
import { createMemmap, type Memmap } from "../memmap/memmap.js";
import { seededRandom } from "../workload/random.js";
import { createSimulation } from "../workload/runner.js";

/*
 * The simulation invariants a descriptor plugin with simulation hooks should keep, as conformance checks like
 * core's (`@memdesc/core/testing`): its descriptors allocate, initialise and free with the memmap consistent
 * (`check()`: every page in one state, the counters, the slabs' freelists and struct slabs), its split gives
 * pieces that cover the same pages, and each workload action it brings runs its example and is undone by
 * `reclaim`.
 */

export interface SimulationConformanceOptions {
  /** Plugins it is composed with; a struct slab (core's `refSlab`) is added when none describes slab pages. */
  readonly alongside?: readonly AnyDescriptor[];
  /** The design to simulate in (default memdesc-8). */
  readonly design?: string;
}

/** Runs `f`, turning a MemdescError into issues under `path`. */
function issuesFrom(path: readonly (string | number)[], f: () => void): MemdescIssue[] {
  try {
    f();
    return [];
  } catch (e) {
    if (!(e instanceof MemdescError)) throw e;
    return e.issues.map((i) => ({
      ...i,
      path: [...path, ...i.path],
      message: `${e.code}: ${e.subject === undefined ? "" : `${e.subject}: `}${i.message}`,
    }));
  }
}

const orders = [0, 1, 3, 9];

/** The conformance checks of a plugin's simulation: see the module's comment. */
export function simulationConformance(
  plugin: AnyDescriptor,
  options: SimulationConformanceOptions = {},
): ConformanceCheck[] {
  const alongside = [...(options.alongside ?? [])];
  const withSlab = [...alongside, plugin];
  if (!withSlab.some((p) => p.uses.includes("slab"))) alongside.unshift(refSlab);
  const registry = () =>
    createRegistry({ design: options.design ?? "memdesc-8", plugins: [...alongside, plugin] });
  const memmap = () => createMemmap(registry(), { pages: 16384, nodes: 2 });
  const kind = plugin.kind;
  const uses = [...plugin.uses, ...plugin.fallbackUses];
  const fail = (issues: MemdescIssue[]) => {
    if (issues.length > 0) throw new ConformanceError(plugin, issues);
  };
  /** Free pages and the descriptors' own slab pages: what is not allocated, which no round trip may change. */
  const unallocated = (m: Memmap) => m.freePageCount + m.metaPages;
  const checks: ConformanceCheck[] = [];
  if (plugin.storage !== "pointer") return checks;

  if (registry().ownerOf("slab") === kind)
    checks.push({
      name: "describes the simulator's slab pages: caches grow, empty and shrink with the memmap consistent",
      run: () =>
        fail(
          issuesFrom([], () => {
            const m = memmap();
            const before = unallocated(m);
            const cache = m.kmemCacheCreate("conformance-192", 192);
            m.kmemCacheAllocBulk(cache, 5000, 1);
            check(m);
            let left = cache.liveObjects;
            const random = seededRandom(1);
            while (left > 0) left -= m.kmemCacheFreeRandom(cache, left, random);
            m.rcu.synchronize();
            m.shrinkAll();
            check(m);
            if (unallocated(m) !== before)
              throw new MemdescError("LEAK", `${before - unallocated(m)} pages stayed allocated`);
          }),
        ),
    });
  else
    checks.push({
      name: "allocates, initialises and frees its descriptors for each of its uses and orders",
      run: () => {
        const issues: MemdescIssue[] = [];
        for (const use of uses)
          issues.push(
            ...issuesFrom(["uses", use], () => {
              const m = memmap();
              const before = unallocated(m);
              const descs: number[] = [];
              for (const order of orders.filter((o) => o <= m.maxOrder)) {
                const d = m.memdescAllocNode(kind, { order, use, nid: order % 2 });
                if (d === 0) throw new MemdescError("NO_MEMORY", `order ${order} did not fit`);
                const pfn = m.descriptorPfn(d);
                for (const p of [pfn, pfn + 2 ** order - 1])
                  if (m.lookup(p).descriptor !== d || m.lookup(p).use !== use)
                    throw new MemdescError(
                      "CONFORMANCE",
                      `page ${p} of its order-${order} allocation is not its`,
                    );
                descs.push(d);
              }
              check(m);
              for (const d of descs) m.free(d, kind);
              m.rcu.synchronize();
              m.shrinkAll();
              check(m);
              if (unallocated(m) !== before)
                throw new MemdescError("LEAK", `${before - unallocated(m)} pages stayed allocated`);
            }),
          );
        fail(issues);
      },
    });

  const splitHook = plugin.simulation?.split;
  if (splitHook)
    checks.push({
      name: "splits an allocation into pieces that cover its pages, or fails with nothing changed",
      run: () =>
        fail(
          issuesFrom([], () => {
            const m = memmap();
            const d = m.memdescAllocNode(kind, { order: 3, use: plugin.uses[0] ?? uses[0] });
            const pfn = m.descriptorPfn(d);
            const pieces = splitHook(m.context(kind), d, 0);
            if (pieces?.length !== 8)
              throw new MemdescError(
                "CONFORMANCE",
                `split to order 0 gave ${pieces?.length ?? "no"} pieces, not 8`,
              );
            pieces.forEach((p, i) => {
              const info = m.lookup(pfn + i);
              if (info.descriptor !== p || info.order !== 0)
                throw new MemdescError("CONFORMANCE", `page ${pfn + i} is not described by piece ${i}`);
            });
            check(m);
          }),
        ),
    });

  for (const action of plugin.simulation?.actions ?? [])
    checks.push({
      name: `runs its ${action.name} action's example, its pages counted as ${action.use}, and reclaim undoes it`,
      run: () =>
        fail(
          issuesFrom(["actions", action.name], () => {
            const sim = createSimulation(
              registry(),
              {
                name: `${action.name} conformance`,
                phases: [
                  { name: "run", actions: [{ ...action.example, action: action.name }] },
                  {
                    name: "reclaim",
                    actions: [
                      { action: "reclaim", use: action.use, share: 1 },
                      { action: "rcu", synchronize: true },
                    ],
                  },
                ],
              },
              { memory: "256M", nodes: 1 },
            );
            while (!sim.step()) {}
            check(sim.memmap);
            const r = sim.result();
            const [ran] = r.actions;
            if (ran?.kind !== kind || ran.failures > 0 || ran.pages === 0)
              throw new MemdescError(
                "CONFORMANCE",
                `its example ran as ${ran?.kind ?? "nothing"} with ${ran?.pages ?? 0} pages and ${ran?.failures ?? 0} failures`,
              );
            const left = r.samples[1]?.pages[action.use] ?? 0;
            if (left > 0) throw new MemdescError("LEAK", `${left} ${action.use} pages stayed after reclaim`);
          }),
        ),
    });
  return checks;
}
