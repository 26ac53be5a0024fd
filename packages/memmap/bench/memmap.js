// Benchmarks of the memmap simulator, each next to its baseline measured in the same run:
//   1. order-0 alloc+free pairs per second (memdesc_alloc_node of a folio + free, RCU grace period per batch: the
//      object from the folio cache's CPU slab, the page through the per-CPU lists, the word, the grace period's
//      frees handed back in bulk), against the naive memmap (a JavaScript object per page and per descriptor, the
//      same per-CPU list algorithm on JavaScript arrays); and the page allocator alone, both ways;
//   2. time and peak RSS to fill a simulated 1 TiB machine with the database preset, in a child process, against
//      the floor of touching every word once (a child that only writes 2 GiB of words);
//   3. the same fill at 4 GiB: the primitive operations the preset issues, replayed on the typed-array memmap and
//      on the naive one, and their ratio.
import { execFileSync } from "node:child_process";
import { fileURLToPath } from "node:url";
import { setFlagsFromString } from "node:v8";
import { runInNewContext } from "node:vm";
import { createRegistry, fieldsByPath } from "@memdesc/core";
import { fmt, median, rate } from "@memdesc/testkit/bench";
import { createMemmap, createSimulation, pcpSizes } from "../dist/index.js";
import { NaiveMemmap } from "./naive.js";

const self = fileURLToPath(import.meta.url);
setFlagsFromString("--expose-gc");
const gc = runInNewContext("gc");
/** JS heap and array buffers in use after full collections (array buffers are released a little later). */
const held = async () => {
  for (let k = 0; k < 3; k++) {
    gc();
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  const u = process.memoryUsage();
  return u.heapUsed + u.arrayBuffers;
};
const MiB = 2 ** 20;

/** The plugins and the preset come from the first-party packages (built beside this one, not dependencies). */
let preset;
async function registry() {
  try {
    const [{ folio }, { slab }, { ptdesc }, { ioptdesc }, firstParty] = await Promise.all([
      import("@memdesc/folio"),
      import("@memdesc/slab"),
      import("@memdesc/ptdesc"),
      import("@memdesc/ioptdesc"),
      import("@memdesc/first-party"),
    ]);
    preset = firstParty.preset;
    return createRegistry({ plugins: [folio(), slab(), ptdesc(), ioptdesc()] });
  } catch (e) {
    console.error(
      `the plugins come from their packages' dist/: run \`npx turbo run build\` first (${e.message})`,
    );
    process.exit(1);
  }
}

/** Child processes: one figure each, printed as JSON, so peak RSS is the figure's own. */
const mode = process.argv[2];
if (mode === "--child-fill") {
  const r = await registry();
  const t = performance.now();
  const sim = createSimulation(r, preset("database"), { memory: process.argv[3] });
  while (!sim.step()) {}
  const seconds = (performance.now() - t) / 1000;
  const res = sim.result();
  console.log(
    JSON.stringify({
      seconds,
      maxRssBytes: process.resourceUsage().maxRSS * 1024,
      hostBytes: sim.memmap.hostBytes(),
      descriptorBytes: res.descriptorMemory.allocatedBytes,
      pages: res.machine.pages,
    }),
  );
  process.exit(0);
}
if (mode === "--child-floor") {
  const pages = Number(process.argv[3]);
  const t = performance.now();
  const words = new Uint32Array(pages * 2);
  for (let p = 0; p < pages; p++) words[2 * p] = p | 1;
  console.log(
    JSON.stringify({
      seconds: (performance.now() - t) / 1000,
      maxRssBytes: process.resourceUsage().maxRSS * 1024,
    }),
  );
  process.exit(0);
}

const r = await registry();
const folioFields = [...fieldsByPath(r.memdescLayouts("folio").small).keys()];
const fields = { folio: folioFields, ptdesc: [...fieldsByPath(r.memdescLayouts("ptdesc").default).keys()] };

// ---------------------------------------------------------------------------------------------------------------
// 1. Order-0 pairs: batches of 1024 allocations then 1024 frees, a grace period after each batch.
const B = 1024;
function pairsTyped() {
  const m = createMemmap(r, { pages: 1 << 20 });
  const kid = m.kindId("folio");
  const ds = new Float64Array(B);
  return () => {
    for (let i = 0; i < B; i++) ds[i] = m.allocDescriptor(kid, 0, -1, -1);
    for (let i = 0; i < B; i++) m.free(ds[i]);
    m.rcu.synchronize();
    return B;
  };
}
function pairsTypedApi() {
  const m = createMemmap(r, { pages: 1 << 20 });
  const ds = new Float64Array(B);
  return () => {
    for (let i = 0; i < B; i++) ds[i] = m.memdescAllocNode("folio");
    for (let i = 0; i < B; i++) m.free(ds[i]);
    m.rcu.synchronize();
    return B;
  };
}
function pairsNaive() {
  const m = new NaiveMemmap(1 << 20, { fields, pcpSizes });
  const ds = new Array(B);
  return () => {
    for (let i = 0; i < B; i++) ds[i] = m.alloc("folio", 0, -1, "file");
    for (let i = 0; i < B; i++) m.freeDesc(ds[i]);
    m.advance(10);
    return B;
  };
}
/**
 * The page allocator alone: order-0 alloc_pages + free_pages with their words, no descriptor; through the per-CPU
 * lists (`pcp`), or on the buddy allocator directly.
 */
function pagesTyped(pcp) {
  const m = createMemmap(r, { pages: 1 << 20 });
  const a = pcp ? m.pcp : m.buddy;
  const ps = new Int32Array(B);
  return () => {
    for (let i = 0; i < B; i++) {
      const p = a.allocPages(0, -1);
      m.words[2 * p] = 0; // the allocation's word (Misc, reserved)
      ps[i] = p;
    }
    for (let i = 0; i < B; i++) a.freePages(ps[i], 0);
    return B;
  };
}
function pagesNaive(pcp) {
  const m = new NaiveMemmap(1 << 20, { fields, pcpSizes });
  const ps = new Array(B);
  return () => {
    if (pcp) {
      for (let i = 0; i < B; i++) ps[i] = m.allocMisc(0, -1);
      for (let i = 0; i < B; i++) m.freePages(ps[i], 0);
    } else {
      for (let i = 0; i < B; i++) {
        const p = m.buddyAlloc(0, 0);
        m.pages[p].state = "misc"; // the allocation's word
        ps[i] = p;
      }
      for (let i = 0; i < B; i++) m.buddyFree(ps[i], 0);
    }
    return B;
  };
}
/** A rate after collecting the previous figure's garbage (the naive memmaps' million page objects) first, so
 * that no collection of it runs during this one. */
function rateAfterGc(fn) {
  gc();
  return rate(fn, { ms: 300, warmup: 200 });
}
const typedPcp = rateAfterGc(pagesTyped(true));
const naivePcp = rateAfterGc(pagesNaive(true));
const typedBuddy = rateAfterGc(pagesTyped(false));
const naiveBuddy = rateAfterGc(pagesNaive(false));
console.log(
  `order-0 alloc_pages+free_pages pairs (words, no descriptor): through the per-CPU lists ${fmt(typedPcp)}/s typed arrays, ${fmt(naivePcp)}/s naive, ratio ${(typedPcp / naivePcp).toFixed(1)}×; the buddy allocator alone ${fmt(typedBuddy)}/s typed arrays, ${fmt(naiveBuddy)}/s naive, ratio ${(typedBuddy / naiveBuddy).toFixed(1)}×`,
);
const typedPairs = rateAfterGc(pairsTyped());
const apiPairs = rateAfterGc(pairsTypedApi());
const naivePairs = rateAfterGc(pairsNaive());
console.log(
  `order-0 alloc+free pairs (folio descriptor + page + word, RCU per 1024): ${fmt(typedPairs)}/s typed arrays (allocDescriptor), ${fmt(apiPairs)}/s through memdescAllocNode("folio"), ${fmt(naivePairs)}/s naive (object per page); ratio ${(typedPairs / naivePairs).toFixed(1)}× (goal: over 10,000,000/s)`,
);

// ---------------------------------------------------------------------------------------------------------------
// 2. The 1 TiB fill, in a child process each, with the floor of writing every word once.
const child = (args) =>
  JSON.parse(execFileSync(process.execPath, [self, ...args], { encoding: "utf8", maxBuffer: 1 << 20 }));
const fill = child(["--child-fill", "1T"]);
const floor = child(["--child-floor", String(fill.pages)]);
console.log(
  `database preset, 1 TiB (${fmt(fill.pages)} pages): ${fill.seconds.toFixed(2)} s, peak RSS ${(fill.maxRssBytes / 2 ** 30).toFixed(2)} GiB (words ${(fill.pages * 8) / 2 ** 30} GiB, descriptor slabs ${(fill.descriptorBytes / MiB).toFixed(0)} MiB); floor (write every word once): ${floor.seconds.toFixed(2)} s, ${(floor.maxRssBytes / 2 ** 30).toFixed(2)} GiB; ratio ${(fill.seconds / floor.seconds).toFixed(1)}× time, ${(fill.maxRssBytes / floor.maxRssBytes).toFixed(2)}× memory (goal: under 20 s and 2.5 GiB)`,
);

// ---------------------------------------------------------------------------------------------------------------
// 3. The same fill at 4 GiB, replayed on both memmaps: record the primitive operations the preset issues.
function record(memory) {
  const sim = createSimulation(r, preset("database"), { memory });
  const m = sim.memmap;
  const ops = [];
  const kinds = r.kinds;
  const wrap = (name, log) => {
    const orig = m[name].bind(m);
    m[name] = (...args) => {
      const res = orig(...args);
      log(args, res);
      return res;
    };
  };
  wrap("allocDescriptor", ([kid, order, nid, use], res) => ops.push(["a", kinds[kid], order, nid, use, res]));
  wrap("memdescAllocNode", ([kind, o = {}], res) =>
    ops.push(["a", kind, o.order ?? 0, o.nid ?? -1, -1, res]),
  );
  wrap("free", ([desc]) => ops.push(["f", desc]));
  wrap("allocPagesMisc", ([, order, nid = -1], res) => ops.push(["m", order, nid, res]));
  wrap("kmemCacheAllocBulk", ([cache, count, nid = -1]) =>
    ops.push(["s", cache.name, count, cache.order, cache.objects, nid, cache]),
  );
  wrap("split", ([desc, order], res) => ops.push(["x", desc, order, res]));
  const advance = m.rcu.advance.bind(m.rcu);
  m.rcu.advance = (ms) => {
    ops.push(["r", ms]);
    advance(ms);
  };
  while (!sim.step()) {}
  return { ops, pages: m.pages, nodes: m.nodes };
}
const trace = record("4G");

/** The memmap being measured, kept reachable until its memory is counted. */
let _kept;
function replayTyped() {
  const t0 = performance.now();
  const m = createMemmap(r, { pages: trace.pages, nodes: trace.nodes, nrCpus: 64 });
  _kept = m;
  const map = new Map();
  const caches = new Map();
  const t = performance.now();
  for (const op of trace.ops) {
    switch (op[0]) {
      case "a": {
        const d =
          op[4] >= 0
            ? m.allocDescriptor(m.kindId(op[1]), op[2], op[3], op[4])
            : m.memdescAllocNode(op[1], { order: op[2], nid: op[3] });
        if (op[5]) map.set(op[5], d);
        break;
      }
      case "f":
        m.free(map.get(op[1]));
        break;
      case "m":
        m.allocPagesMisc("unknown", op[1], op[2]);
        break;
      case "s": {
        let c = caches.get(op[1]);
        if (!c) {
          c = m.kmemCacheCreate(op[1], op[6].objectSize);
          caches.set(op[1], c);
        }
        m.kmemCacheAllocBulk(c, op[2], op[5]);
        break;
      }
      case "x": {
        const pieces = m.split(map.get(op[1]), op[2]);
        if (pieces && op[3]) for (const [i, d] of op[3].entries()) map.set(d, pieces[i]);
        break;
      }
      case "r":
        m.rcu.advance(op[1]);
        break;
    }
  }
  return { seconds: (performance.now() - t) / 1000, withSetup: (performance.now() - t0) / 1000 };
}

function replayNaive() {
  const t0 = performance.now();
  const m = new NaiveMemmap(trace.pages, { nodes: trace.nodes, fields, pcpSizes });
  _kept = m;
  const map = new Map();
  const t = performance.now();
  for (const op of trace.ops) {
    switch (op[0]) {
      case "a": {
        const d = m.alloc(op[1], op[2], op[3], op[4]);
        if (op[5]) map.set(op[5], d);
        break;
      }
      case "f":
        m.freeDesc(map.get(op[1]));
        break;
      case "m":
        m.allocMisc(op[1], op[2]);
        break;
      case "s":
        m.slabAlloc(op[1], op[2], op[3], op[4], op[5]);
        break;
      case "x": {
        const pieces = m.split(map.get(op[1]), op[2]);
        if (op[3]) for (const [i, d] of op[3].entries()) map.set(d, pieces[i]);
        break;
      }
      case "r":
        m.advance(op[1]);
        break;
    }
  }
  return { seconds: (performance.now() - t) / 1000, withSetup: (performance.now() - t0) / 1000 };
}

const typedRuns = [];
const naiveRuns = [];
let typedHeld = 0;
let naiveHeld = 0;
for (let k = 0; k < 3; k++) {
  _kept = undefined;
  const b0 = await held();
  typedRuns.push(replayTyped());
  typedHeld = (await held()) - b0;
  _kept = undefined;
  const b1 = await held();
  naiveRuns.push(replayNaive());
  naiveHeld = (await held()) - b1;
}
_kept = undefined;
const typed4 = median(typedRuns.map((x) => x.seconds));
const typed4Setup = median(typedRuns.map((x) => x.withSetup));
const naive4 = median(naiveRuns.map((x) => x.seconds));
const naive4Setup = median(naiveRuns.map((x) => x.withSetup));
console.log(
  `database preset, 4 GiB, ${fmt(trace.ops.length)} operations: build + fill ${(typed4Setup * 1000).toFixed(0)} ms typed arrays, ${(naive4Setup * 1000).toFixed(0)} ms naive (object per page), ratio ${(naive4Setup / typed4Setup).toFixed(1)}×; the operations alone ${(typed4 * 1000).toFixed(0)} ms and ${(naive4 * 1000).toFixed(0)} ms (${(naive4 / typed4).toFixed(1)}×); memory held ${(typedHeld / MiB).toFixed(0)} MiB typed, ${(naiveHeld / MiB).toFixed(0)} MiB naive (${(naiveHeld / typedHeld).toFixed(1)}×)`,
);
