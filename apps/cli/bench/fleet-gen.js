// Makes realistic fleets from real captures, for `memdesc fleet`'s tests and bench:
//
//   node bench/fleet-gen.js surveys  --hosts 10000 --out DIR [--format parquet|ndjson] [--base FILE.mdsnap]... [--live] [--seed N]
//   node bench/fleet-gen.js snapshots --hosts 1000 --out DIR [--base FILE.mdsnap]... [--seed N]
//
// Surveys: each host is one of the real captures (the shipped sample, any --base snapshots, and this machine
// with --live) with its memory mix changed by a workload profile (web, database, cache, batch, idle, VM host)
// and its RAM set from a size class (4 GiB to 1 TiB): every use's pages scaled, its descriptors and folio
// orders scaled alike (so folio sizes stay as the machine had them), then billed by memdesc's own code and
// written as `memdesc survey --format parquet|ndjson` writes them, one file per host, in the documented
// layout (DIR/capture_date=…/host=…/memdesc.parquet).
//
// Snapshots: each host's page map is made of whole memory sections (128 MiB) of the real captures' page maps,
// as many as its RAM needs, drawn with a bias to used or free sections by its profile; the host's name,
// kernel and labels are recorded as a capture records them (no counters: a page map alone).
//
// Deterministic for a seed. Nothing here is measured: it makes inputs.
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { bill } from "@memdesc/core";
import {
  readSnapshot,
  sampleSnapshotPath,
  survey,
  surveyMachine,
  surveyPicture,
  treeRoot,
  writeSnapshot,
} from "@memdesc/kpageflags";
import { descriptorSet, parquetMetadata, rowColumns } from "../dist/commands/survey-formats.js";
import { compose } from "../dist/config/compose.js";
import { toParquet } from "../dist/formats/parquet.js";
import { billRows, ndjson } from "../dist/formats/rows.js";
import { memdescVersion } from "../dist/version.js";

/** A small, seeded PRNG (mulberry32): the same fleet for the same seed. */
export function prng(seed) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const pick = (rand, weighted) => {
  const total = weighted.reduce((s, [, w]) => s + w, 0);
  let x = rand() * total;
  for (const [v, w] of weighted) {
    x -= w;
    if (x < 0) return v;
  }
  return weighted[weighted.length - 1][0];
};

/** Workload profiles: multipliers of each use's share of RAM, the team that runs it, how often it occurs. */
export const profiles = {
  web: { weight: 30, team: "web", mult: { file: 2, anon: 1, slab: 1.2, free: 0.6 } },
  database: { weight: 20, team: "db", mult: { anon: 3, file: 1.2, free: 0.4 }, hugetlb: [0.1, 0.4] },
  cache: { weight: 15, team: "storage", mult: { slab: 4, file: 0.8, free: 0.7 } },
  batch: { weight: 15, team: "batch", mult: { anon: 2.5, file: 1.5, free: 0.3 } },
  idle: { weight: 10, team: "web", mult: { free: 1.5, file: 0.5, anon: 0.5 } },
  vmhost: { weight: 10, team: "infra", mult: { free: 0.3, anon: 0.5 }, hugetlb: [0.5, 0.8] },
};

/** RAM size classes in GiB and how common each is. */
export const ramClasses = [
  [4, 5],
  [8, 10],
  [16, 20],
  [32, 20],
  [64, 20],
  [128, 12],
  [256, 8],
  [512, 4],
  [1024, 1],
];

const kernels = [
  ["6.1.0-28-amd64", 25],
  ["6.6.63", 20],
  ["6.12.9", 25],
  ["6.18.44", 30],
];
const regions = [
  ["eu-west", 3],
  ["us-east", 4],
  ["ap-south", 2],
];

/**
 * A host's picture from a base picture: shares of RAM per use changed by the profile (and jitter), pages for
 * the host's RAM, descriptors and orders scaled with the pages.
 */
export function mixPicture(base, profile, ramPages, rand) {
  const uses = { ...base.uses };
  // Deferred memmap init (uninit) is a boot-time state: a fleet's hosts have long finished it; it is free.
  if (uses.uninit) {
    const f = uses.free ?? { pages: 0, descriptors: 0 };
    uses.free = { ...f, pages: f.pages + uses.uninit.pages };
    delete uses.uninit;
  }
  delete uses.hole;
  const basePages = Object.values(uses).reduce((s, u) => s + u.pages, 0);
  const share = {};
  for (const [u, e] of Object.entries(uses))
    share[u] = (e.pages / basePages) * (profile.mult[u] ?? 1) * (0.8 + 0.4 * rand());
  if (profile.hugetlb) {
    const [lo, hi] = profile.hugetlb;
    share.hugetlb = (lo + (hi - lo) * rand()) * Object.values(share).reduce((s, v) => s + v, 0);
  }
  const sum = Object.values(share).reduce((s, v) => s + v, 0);
  const out = {};
  let used = 0;
  for (const u of Object.keys(share)) {
    if (u === "free") continue;
    const pages = Math.floor((share[u] / sum) * ramPages);
    used += pages;
    out[u] = scaled(uses[u], pages, u);
  }
  out.free = scaled(uses.free ?? { pages: 0, descriptors: 0 }, ramPages - used, "free");
  return { pageSize: 4096, source: `generated from ${base.source}`, uses: out };
}

/** A use's entry for `pages`: its descriptors by order scaled from the base (hugetlb without one: 2 MiB folios). */
function scaled(entry, pages, use) {
  if (!entry?.orders || entry.pages === 0) {
    if (use === "hugetlb") {
      const n = Math.floor(pages / 512);
      return { pages: n * 512, descriptors: n, orders: { 9: n } };
    }
    return { pages, descriptors: 0 };
  }
  const ratio = pages / entry.pages;
  const orders = {};
  let descriptors = 0;
  let covered = 0;
  for (const [k, n] of Object.entries(entry.orders)) {
    const m = Math.floor(n * ratio);
    if (m === 0) continue;
    orders[k] = m;
    descriptors += m;
    covered += m * 2 ** Number(k);
  }
  // hugetlb pages are whole folios.
  if (use === "hugetlb") return { pages: covered, descriptors, orders };
  return { pages: Math.max(pages, covered), descriptors, orders };
}

/** The real captures a fleet is made from: the sample, any snapshots given, this machine when asked. */
export async function basePictures(options = {}) {
  const bases = [];
  for (const path of [sampleSnapshotPath(), ...(options.base ?? [])]) {
    const snap = readSnapshot(path);
    const s = await survey(snap.source, { root: snap.root() });
    bases.push({ picture: surveyPicture(s), release: s.source.kernelRelease, path });
  }
  if (options.live) {
    const s = await surveyMachine();
    bases.push({ picture: surveyPicture(s), release: s.source.kernelRelease, path: "/" });
  }
  return bases;
}

/** The hosts of a fleet: name, profile, RAM, kernel, labels, capture time, picture. */
export function* fleetHosts(bases, count, seed, prefix = "") {
  const rand = prng(seed);
  const start = Date.parse("2026-12-01T00:00:00Z");
  const names = Object.keys(profiles);
  for (let i = 0; i < count; i++) {
    const name = pick(
      rand,
      names.map((n) => [n, profiles[n].weight]),
    );
    const profile = profiles[name];
    const gib = pick(rand, ramClasses);
    // Installed RAM less what firmware and the kernel keep: 88–100 % of the class, in 128 MiB sections.
    const ramPages = Math.max(32768, Math.round((gib * 262144 * (0.88 + 0.12 * rand())) / 32768) * 32768);
    const base = bases[Math.floor(rand() * bases.length)];
    yield {
      hostname: `${prefix}${name}-${String(i).padStart(5, "0")}`,
      profile: name,
      ramPages,
      kernelRelease: pick(rand, kernels),
      arch: rand() < 0.9 ? "x86_64" : "aarch64",
      labels: { region: pick(rand, regions), team: profile.team, workload: name },
      capturedAt: new Date(start + Math.floor(rand() * 2 * 86400) * 1000).toISOString(),
      // Drawn now, so each host's numbers stay the same whatever is made of the others.
      mix: prng(Math.floor(rand() * 2 ** 32)),
      base,
    };
  }
}

/** Writes `count` host surveys (Parquet or NDJSON, one file a host, partitioned by capture date and host). */
export async function generateSurveys({
  out,
  count,
  format = "parquet",
  seed = 19,
  base,
  live,
  prefix = "",
  cwd = process.cwd(),
}) {
  const comp = await compose({ cwd, config: undefined });
  const set = descriptorSet(comp);
  const bases = await basePictures({ base, live });
  const files = [];
  for (const h of fleetHosts(bases, count, seed, prefix)) {
    const b = bill(comp.registry, mixPicture(h.base.picture, profiles[h.profile], h.ramPages, h.mix));
    const rows = billRows(
      {
        hostname: h.hostname,
        kernelRelease: h.kernelRelease,
        arch: h.arch,
        pageSize: b.pageSize,
        ramPages: b.ramPages,
        ramBytes: b.ramBytes,
        capturedAt: h.capturedAt,
        labels: h.labels,
      },
      b,
      { memdescVersion, sourceKind: "proc", source: "/", descriptorSet: set },
    );
    const dir = join(out, `capture_date=${h.capturedAt.slice(0, 10)}`, `host=${h.hostname}`);
    mkdirSync(dir, { recursive: true });
    const file = join(dir, `memdesc.${format}`);
    writeFileSync(
      file,
      format === "parquet"
        ? toParquet(rowColumns(rows), rows, parquetMetadata(memdescVersion), `memdesc ${memdescVersion}`)
        : ndjson(rows),
    );
    files.push(file);
  }
  return files;
}

/** The RAM sections (32,768 PFNs) of a snapshot's page map, each as its runs, with its share of free pages. */
async function sectionsOf(path) {
  const snap = readSnapshot(path);
  const info = snap.source.info;
  const per = info.sectionPfns;
  const ram = info.ram?.ranges ?? [];
  const inRam = (pfn) => ram.some((r) => pfn >= r.start && pfn + per <= r.end);
  const sections = [];
  let cur = [];
  let at = info.startPfn;
  let free = 0;
  for await (const b of snap.source.batches()) {
    for (let i = 0; i < b.flags.count; i++) {
      const lo = b.flags.runs[i * 3];
      const hi = b.flags.runs[i * 3 + 1];
      let len = b.flags.runs[i * 3 + 2];
      while (len > 0) {
        const room = per - ((at - info.startPfn) % per);
        const take = Math.min(len, room);
        cur.push(lo, hi, take);
        if (lo & (1 << 10)) free += take;
        at += take;
        len -= take;
        if ((at - info.startPfn) % per === 0) {
          const start = at - per;
          if (inRam(start)) sections.push({ runs: Float64Array.from(cur), free: free / per });
          cur = [];
          free = 0;
        }
      }
    }
  }
  return { sections, release: info.kernelRelease, per };
}

/** A page map of whole sections, as a snapshot's source: RAM from PFN 0, the sections' runs in order. */
function composedSource(sections, per, release, arch) {
  const pfnCount = sections.length * per;
  return {
    info: {
      kind: "snapshot",
      path: "generated",
      pageSize: 4096,
      startPfn: 0,
      pfnCount,
      expectedPfnCount: pfnCount,
      ram: { ranges: [{ start: 0, end: pfnCount }], pages: pfnCount },
      sectionPfns: per,
      kernelRelease: release,
      machine: arch,
      capturedAt: undefined,
      files: { kpageflags: true, kpagecount: false, kpagecgroup: false },
    },
    async *batches() {
      let pfn = 0;
      for (const s of sections) {
        yield { pfn, length: per, flags: { runs: s.runs, count: s.runs.length / 3 } };
        pfn += per;
      }
    },
  };
}

/** Writes `count` snapshots made of real captures' sections (RAM 2–16 GiB, so a thousand fit on a disk). */
export async function generateSnapshots({ out, count, seed = 19, base, prefix = "" }) {
  const rand = prng(seed);
  const pools = [];
  for (const p of [sampleSnapshotPath(), ...(base ?? [])]) pools.push(await sectionsOf(p));
  const sections = pools.flatMap((p) => p.sections);
  const per = pools[0].per;
  const used = sections.filter((s) => s.free < 0.5);
  const free = sections.filter((s) => s.free >= 0.5);
  mkdirSync(out, { recursive: true });
  const files = [];
  const hosts = [...fleetHosts([undefined], count, seed, prefix)];
  for (const h of hosts) {
    const gib = pick(rand, [
      [2, 2],
      [4, 4],
      [8, 4],
      [16, 2],
    ]);
    const n = (gib * 1024 * 1024 * 1024) / 4096 / per;
    const busy = { idle: 0.2, vmhost: 0.4, cache: 0.6, web: 0.6, batch: 0.8, database: 0.8 }[h.profile];
    const chosen = [];
    for (let i = 0; i < n; i++) {
      const from = rand() < busy && used.length > 0 ? used : free.length > 0 ? free : used;
      chosen.push(from[Math.floor(rand() * from.length)]);
    }
    const tree = treeRoot(h.hostname, [
      { op: "read", path: "/proc/sys/kernel/hostname", data: new TextEncoder().encode(`${h.hostname}\n`) },
      {
        op: "read",
        path: "/proc/sys/kernel/osrelease",
        data: new TextEncoder().encode(`${h.kernelRelease}\n`),
      },
      { op: "read", path: "/proc/sys/kernel/arch", data: new TextEncoder().encode(`${h.arch}\n`) },
    ]);
    const source = composedSource(chosen, per, h.kernelRelease, h.arch);
    source.info = { ...source.info, capturedAt: h.capturedAt };
    const file = join(out, `${h.hostname}.mdsnap`);
    await writeSnapshot(source, file, {
      root: tree,
      labels: h.labels,
      producer: "memdesc bench/fleet-gen.js",
    });
    files.push(file);
  }
  return files;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const [what, ...rest] = process.argv.slice(2);
  const opt = (name, def) => {
    const i = rest.indexOf(`--${name}`);
    return i >= 0 ? rest[i + 1] : def;
  };
  const base = rest.flatMap((a, i) => (rest[i - 1] === "--base" ? [a] : []));
  const out = opt("out");
  const count = Number(opt("hosts", what === "snapshots" ? 1000 : 10000));
  const seed = Number(opt("seed", 19));
  if (!out || !["surveys", "snapshots"].includes(what)) {
    console.error(
      "usage: node bench/fleet-gen.js surveys|snapshots --out DIR [--hosts N] [--format parquet|ndjson] [--base SNAPSHOT]... [--live] [--seed N]",
    );
    process.exit(1);
  }
  const t = performance.now();
  const files =
    what === "surveys"
      ? await generateSurveys({
          out,
          count,
          format: opt("format", "parquet"),
          seed,
          base,
          live: rest.includes("--live"),
        })
      : await generateSnapshots({ out, count, seed, base });
  console.log(
    `fleet-gen: ${files.length} ${what} in ${out} (${((performance.now() - t) / 1000).toFixed(1)} s)`,
  );
}
