// Benchmarks for @memdesc/kpageflags, run against dist/ (`npm run bench -w @memdesc/kpageflags`).
//
// 1. Whole-process time, measured in the same run on this machine: a survey of this machine (a fresh `node`
//    process: the page map read by one reader per CPU, the counters, classification and attribution), the same
//    with one reader (the main thread alone), the `memdesc survey --json` command when its binary is on PATH (npm run puts the
//    workspace's there), the kernel's own page-types from tools/mm, and `cat /proc/kpageflags > /dev/null`.
//    Medians of interleaved runs, and ratios.
// 2. Peak memory (maxrss) of the survey process, and of a survey of a 4× larger (sparse) raw dump, to show
//    memory does not grow with the machine's RAM.
// 3. PFNs classified per second from a snapshot in memory (the shipped sample), cold and warm.
//
// Every process runs without NODE_EXTRA_CA_CERTS and NODE_OPTIONS, which make each node process do more at
// start-up (a certificate bundle parsed: some 35 ms of CPU here) and would count against the node rows only.
//
// page-types is taken from PATH or $PAGE_TYPES; otherwise it is built from Debian's linux-source package
// (`apt-get download`, tools/mm, `make page-types`) in a folder under the system temp directory, reused by
// later runs.
import { execFileSync, spawnSync } from "node:child_process";
import {
  closeSync,
  existsSync,
  mkdirSync,
  openSync,
  readdirSync,
  rmSync,
  truncateSync,
  writeFileSync,
} from "node:fs";
import { availableParallelism, tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { withoutStartupVars } from "@memdesc/testkit/bench";
import { Classifier, expandChunksSync, readSnapshot, sampleSnapshotPath } from "../dist/index.js";

const here = dirname(fileURLToPath(import.meta.url));
const runs = Number(process.env.BENCH_RUNS ?? 7);
const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};
const ms = (x) => `${(x * 1000).toFixed(0)} ms`;
const mib = (kb) => `${(kb / 1024).toFixed(0)} MiB`;

function which(cmd) {
  const r = spawnSync("sh", ["-c", `command -v ${cmd}`], { encoding: "utf8" });
  return r.status === 0 ? r.stdout.trim() : undefined;
}

/** page-types from PATH, $PAGE_TYPES, a previous build, or built now from Debian's linux-source. */
function pageTypes() {
  if (process.env.PAGE_TYPES) return process.env.PAGE_TYPES;
  const installed = which("page-types");
  if (installed) return installed;
  const base = join(tmpdir(), "memdesc-page-types");
  const built = existsSync(base)
    ? readdirSync(base)
        .map((d) => join(base, d, "tools/mm/page-types"))
        .find(existsSync)
    : undefined;
  if (built) return built;
  if (!which("apt-get") || !which("make") || !which("cc")) return undefined;
  mkdirSync(base, { recursive: true });
  const cands = execFileSync("apt-cache", ["search", "--names-only", "^linux-source-[0-9.]+$"], {
    encoding: "utf8",
  })
    .split("\n")
    .map((l) => l.split(" ")[0])
    .filter(Boolean)
    .sort((a, b) => a.localeCompare(b, "en", { numeric: true }));
  const pkg = cands[cands.length - 1];
  if (!pkg) return undefined;
  console.log(`building page-types from Debian's ${pkg} in ${base} …`);
  const t0 = performance.now();
  execFileSync("apt-get", ["download", pkg], { cwd: base, stdio: ["ignore", "ignore", "inherit"] });
  const deb = readdirSync(base).find((f) => f.startsWith(pkg) && f.endsWith(".deb"));
  const version = pkg.replace("linux-source-", "");
  execFileSync(
    "sh",
    ["-c", `dpkg-deb --fsys-tarfile '${deb}' | tar -x ./usr/src/linux-source-${version}.tar.xz`],
    { cwd: base },
  );
  execFileSync(
    "tar",
    [
      "-xJf",
      `usr/src/linux-source-${version}.tar.xz`,
      "--wildcards",
      `linux-source-${version}/tools/*`,
      `linux-source-${version}/include/uapi/*`,
      `linux-source-${version}/scripts/*`,
    ],
    { cwd: base },
  );
  rmSync(join(base, "usr"), { recursive: true, force: true });
  rmSync(join(base, deb), { force: true });
  execFileSync("make", ["-s", "page-types"], {
    cwd: join(base, `linux-source-${version}`, "tools/mm"),
    stdio: ["ignore", "ignore", "inherit"],
  });
  console.log(`built in ${((performance.now() - t0) / 1000).toFixed(1)} s (default tools/mm flags: no -O)`);
  return join(base, `linux-source-${version}`, "tools/mm/page-types");
}

const { env, removed: startupVars } = withoutStartupVars();

/** Wall time of a whole process, stdout to /dev/null (or captured). */
function timeProcess(cmd, args, capture = false) {
  const devnull = openSync("/dev/null", "w");
  const t0 = process.hrtime.bigint();
  const r = spawnSync(cmd, args, {
    stdio: ["ignore", capture ? "pipe" : devnull, "pipe"],
    encoding: "utf8",
    env,
  });
  const dt = Number(process.hrtime.bigint() - t0) / 1e9;
  closeSync(devnull);
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(" ")} failed: ${r.stderr || r.error}`);
  return { seconds: dt, stdout: r.stdout };
}

function live() {
  try {
    closeSync(openSync("/proc/kpageflags", "r"));
  } catch (err) {
    console.log(`live benchmarks skipped: cannot read /proc/kpageflags (${err.code}); run as root on Linux`);
    return;
  }
  const pt = pageTypes();
  if (!pt)
    console.log(
      "page-types not found and cannot be built here (needs apt-get, make, cc); comparing with cat only",
    );
  const survey = join(here, "survey-live.js");
  const cli = which("memdesc");
  if (!cli)
    console.log("memdesc is not on PATH (run this with `npm run bench`); the command's row is left out");
  const t = { survey: [], oneReader: [], cli: [], pageTypes: [], cat: [] };
  let rss = [];
  let pfns = 0;
  let readers = 0;
  const sh = which("cat");
  for (let i = 0; i < runs; i++) {
    const s = timeProcess(process.execPath, [survey], true);
    const out = JSON.parse(s.stdout);
    t.survey.push(s.seconds);
    rss.push(out.maxRSS);
    pfns = out.pfns;
    readers = out.readers;
    t.oneReader.push(timeProcess(process.execPath, [survey, "--workers=1"]).seconds);
    if (cli) t.cli.push(timeProcess(cli, ["survey", "--json"]).seconds);
    if (pt) t.pageTypes.push(timeProcess(pt, []).seconds);
    t.cat.push(timeProcess(sh, ["/proc/kpageflags"]).seconds);
  }
  const m = Object.fromEntries(Object.entries(t).map(([k, v]) => [k, v.length ? median(v) : undefined]));
  console.log(
    `\nwhole-process time, median of ${runs} interleaved runs, ${pfns.toLocaleString("en-US")} PFNs (${(pfns / 262144).toFixed(0)} GiB span), ${availableParallelism()} CPUs`,
  );
  const row = (name, v, note = "") =>
    console.log(`  ${name.padEnd(52)} ${v === undefined ? "n/a".padStart(7) : ms(v).padStart(7)}${note}`);
  if (startupVars.length) console.log(`  (every process run without ${startupVars.join(" and ")})`);
  row(`survey (node, ${readers} readers, counters included)`, m.survey);
  row("survey (node, 1 reader: the main thread alone)", m.oneReader);
  row("memdesc survey --json (the command: + plugins, bill)", m.cli);
  row("page-types (tools/mm)", m.pageTypes, pt ? `  ${pt}` : "");
  row("cat /proc/kpageflags > /dev/null", m.cat);
  const ratio = (a, b) => (a !== undefined && b !== undefined ? `${(a / b).toFixed(2)}×` : "n/a");
  console.log(`  survey / page-types                 ${ratio(m.survey, m.pageTypes)}   (goal ≤ 0.70×)`);
  console.log(`  survey, 1 reader / page-types       ${ratio(m.oneReader, m.pageTypes)}`);
  console.log(`  memdesc survey / page-types         ${ratio(m.cli, m.pageTypes)}`);
  console.log(`  survey / cat                        ${ratio(m.survey, m.cat)}`);
  console.log(`  memdesc survey / cat                ${ratio(m.cli, m.cat)}`);
  console.log(`  page-types / cat                    ${ratio(m.pageTypes, m.cat)}`);
  // Where the time goes: CPU seconds (user, system) of each process, from the shell's `times`.
  const cpu = (cmd) => {
    const out = timeProcess("sh", ["-c", `${cmd} > /dev/null; times`], true)
      .stdout.trim()
      .split("\n");
    const [u, s] = out[out.length - 1].split(/\s+/).map((x) => {
      const m = /(\d+)m([\d.]+)s/.exec(x);
      return m ? Number(m[1]) * 60 + Number(m[2]) : Number.NaN;
    });
    return { u, s };
  };
  const cpuRow = (name, cmd) => {
    const xs = Array.from({ length: 3 }, () => cpu(cmd));
    const u = median(xs.map((x) => x.u));
    const s = median(xs.map((x) => x.s));
    console.log(`  ${name.padEnd(44)} user ${ms(u).padStart(7)}  sys ${ms(s).padStart(7)}`);
    return u + s;
  };
  console.log("\nCPU time per process, median of 3 (system time is the kernel filling the page map)");
  const surveyCpu = cpuRow("survey (node)", `'${process.execPath}' '${survey}'`);
  cpuRow("survey (node, 1 reader)", `'${process.execPath}' '${survey}' --workers=1`);
  const cliCpu = cli ? cpuRow("memdesc survey --json", `'${cli}' survey --json`) : undefined;
  cpuRow("node -e 0 (startup alone)", `'${process.execPath}' -e 0`);
  cpuRow(
    "node: import the survey's modules only",
    `'${process.execPath}' --input-type=module -e 'await import(${JSON.stringify(join(here, "../dist/survey.js"))})'`,
  );
  if (pt) cpuRow("page-types", `'${pt}'`);
  cpuRow("cat /proc/kpageflags", "cat /proc/kpageflags");
  // No schedule beats its CPU time spread evenly over the CPUs: the least wall time a process can take.
  const cpus = availableParallelism();
  const floor = (name, c) =>
    c !== undefined &&
    console.log(
      `  ${name.padEnd(44)} ${ms(c / cpus).padStart(7)} = CPU time / ${cpus} CPUs: ${ratio(c / cpus, m.pageTypes)} page-types at best`,
    );
  console.log("\nThe least wall time that CPU time allows");
  floor("survey (node)", surveyCpu);
  floor("memdesc survey --json", cliCpu);

  rss = rss.sort((a, b) => a - b);
  console.log(
    `\nmemory: survey process maxrss ${mib(median(rss))} (kpageflags itself is ${mib((pfns * 8) / 1024)})`,
  );

  // A 4× larger machine: a sparse raw dump of zero words (holes), surveyed the same way.
  const big = join(tmpdir(), `memdesc-kpf-bench-${process.pid}.bin`);
  writeFileSync(big, "");
  truncateSync(big, pfns * 8 * 4);
  try {
    const r = JSON.parse(timeProcess(process.execPath, [survey, `--raw=${big}`], true).stdout);
    console.log(
      `        survey of a 4× larger raw dump (${(r.pfns / 262144).toFixed(0)} GiB span): maxrss ${mib(r.maxRSS)}`,
    );
  } finally {
    rmSync(big, { force: true });
  }
}

function inMemory() {
  const snap = readSnapshot(sampleSnapshotPath());
  const h = snap.header;
  const flags = expandChunksSync(h.startPfn, h.pfnCount, h.pfnCount, snap.streams[0]).next().value.flags;
  const chunk = 65536;
  const once = () => {
    const t0 = process.hrtime.bigint();
    const c = new Classifier({ ram: snap.source.info.ram, sectionPfns: h.sectionPfns, startPfn: h.startPfn });
    for (let p = 0; p < h.pfnCount; p += chunk) {
      const n = Math.min(chunk, h.pfnCount - p);
      c.push({ pfn: h.startPfn + p, length: n, flags: flags.subarray(p * 2, (p + n) * 2) });
    }
    c.finish();
    return Number(process.hrtime.bigint() - t0) / 1e9;
  };
  const cold = once();
  const warm = median(Array.from({ length: 15 }, once));
  const rate = (s) => `${(h.pfnCount / s / 1e6).toFixed(0)} M PFNs/s`;
  console.log(
    `\nclassification from a snapshot in memory (${h.pfnCount.toLocaleString("en-US")} PFNs, ${h.streams[0].runs.toLocaleString("en-US")} runs, 64 Ki-PFN chunks)`,
  );
  console.log(`  first pass (cold JIT)  ${ms(cold).padStart(7)}  ${rate(cold)}`);
  console.log(`  warm, median of 15     ${ms(warm).padStart(7)}  ${rate(warm)}   (goal > 100 M PFNs/s)`);
}

live();
inMemory();
