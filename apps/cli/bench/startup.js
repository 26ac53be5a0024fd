// Start-up of the built CLI, whole process, each command against a baseline run in turn with it (A B A B …):
// the median wall time of each, and the median of the pair-by-pair ratios A/B, which holds when a shared
// machine's speed drifts during the run. The goals are the ones the CLI is held to; the figures are printed,
// never judged. Usage: node bench/startup.js [runs]   (build first: npx turbo run build --filter=memdesc...)
//
// Every command runs without the variables that make node itself do more at start-up (NODE_EXTRA_CA_CERTS
// loads and parses a certificate bundle, some 35 ms of CPU on a 2-CPU machine; NODE_OPTIONS may add anything):
// they add the same fixed time to memdesc and to `node -e 0`, which flatters every ratio to node. Where the
// environment sets one, the cases are timed again as it stands, and both tables are printed.
import { spawnSync } from "node:child_process";
import { accessSync, constants, cpSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { withoutStartupVars } from "@memdesc/testkit/bench";

const runs = Number(process.argv[2] ?? 21);
const bin = fileURLToPath(new URL("../bin/memdesc.cjs", import.meta.url));
const fixture = fileURLToPath(new URL("../test/fixtures/what-if.json", import.meta.url));
const kernelBtf = "/sys/kernel/btf/vmlinux";
const node = [process.execPath, "-e", "0"];
const memdesc = (...args) => [process.execPath, bin, ...args];

// The same build without its V8 code caches (as installed from npm, which carries none), in a copy of the
// package's bin and dist: what the caches save, measured in the same run.
const uncached = mkdtempSync(join(tmpdir(), "memdesc-startup-"));
process.on("exit", () => rmSync(uncached, { recursive: true, force: true }));
for (const part of ["bin", "dist", "package.json"])
  cpSync(fileURLToPath(new URL(`../${part}`, import.meta.url)), join(uncached, part), {
    recursive: true,
    filter: (src) => !src.endsWith(".v8cache"),
  });
const memdescUncached = (...args) => [process.execPath, join(uncached, "bin", "memdesc.cjs"), ...args];

/** Why a case cannot run here, or undefined. */
function missing() {
  try {
    accessSync(kernelBtf, constants.R_OK);
  } catch {
    return `${kernelBtf} is not readable (a kernel built without CONFIG_DEBUG_INFO_BTF?)`;
  }
  if (spawnSync("pahole", ["--version"]).status !== 0) return "pahole is not installed (Debian: dwarves)";
  return undefined;
}

const cases = [
  { label: "memdesc --version", a: memdesc("--version"), b: node, base: "node -e 0", goal: 1.3 },
  { label: "memdesc --help", a: memdesc("--help"), b: node, base: "node -e 0" },
  { label: "memdesc types", a: memdesc("types"), b: node, base: "node -e 0", goal: 2.5 },
  { label: "  the same, no code cache", a: memdescUncached("types"), b: node, base: "node -e 0" },
  { label: "memdesc plugins", a: memdesc("plugins"), b: node, base: "node -e 0" },
  { label: "memdesc bill (fixture)", a: memdesc("bill", fixture), b: node, base: "node -e 0" },
  {
    label: "memdesc layout folio --btf",
    a: memdesc("layout", "folio", "--btf", kernelBtf),
    b: ["pahole", "-C", "folio", kernelBtf],
    base: "pahole -C folio",
    goal: 2.0,
    skip: missing(),
  },
  {
    label: "  the same, no code cache",
    a: memdescUncached("layout", "folio", "--btf", kernelBtf),
    b: ["pahole", "-C", "folio", kernelBtf],
    base: "pahole -C folio",
    skip: missing(),
  },
];

const median = (xs) => {
  const s = [...xs].sort((x, y) => x - y);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};

/** The variables that change node's own start-up, and the environment without them. */
const { env: cleanEnv, removed: startupVars } = withoutStartupVars();

/** Wall time of one run, in ms; a run that fails stops the bench. */
function time([cmd, ...args], label, env) {
  const t = performance.now();
  const r = spawnSync(cmd, args, { stdio: ["ignore", "ignore", "pipe"], env });
  const ms = performance.now() - t;
  if (r.status !== 0) throw new Error(`${label} failed (status ${r.status}): ${r.stderr}`);
  return ms;
}

/** Times every case in `env` and prints the table. */
function table(env) {
  console.log(
    `${"command".padEnd(28)} ${"ms".padStart(7)}  ${"baseline".padEnd(16)} ${"ms".padStart(7)}  median ratio`,
  );
  for (const c of cases) {
    if (c.skip) {
      console.log(`${c.label.padEnd(28)} skipped: ${c.skip}`);
      continue;
    }
    time(c.a, c.label, env);
    time(c.b, c.base, env);
    const as = [];
    const bs = [];
    const ratios = [];
    for (let i = 0; i < runs; i++) {
      const a = time(c.a, c.label, env);
      const b = time(c.b, c.base, env);
      as.push(a);
      bs.push(b);
      ratios.push(a / b);
    }
    const goal = c.goal ? `, goal ≤ ${c.goal}×` : "";
    const spread = `${Math.min(...ratios).toFixed(2)}–${Math.max(...ratios).toFixed(2)}`;
    console.log(
      `${c.label.padEnd(28)} ${median(as).toFixed(1).padStart(7)}  ${c.base.padEnd(16)} ${median(bs).toFixed(1).padStart(7)}  ${median(ratios).toFixed(2)}× (pairs ${spread}${goal})`,
    );
  }
}

console.log(`start-up, whole process: median of ${runs} runs each, in turn with the baseline (one warm-up)`);
if (startupVars.length) console.log(`\nwithout ${startupVars.join(" and ")} (node's own start-up alone):`);
table(cleanEnv);
if (startupVars.length) {
  console.log(`\nas this environment runs node (${startupVars.join(", ")} set):`);
  table(process.env);
}
