// Startup time of the built CLI against plain node: median wall time of N runs of each command.
// Usage: node bench/startup.js [runs]   (build first: npm run build)
import { spawnSync } from "node:child_process";
import { fileURLToPath } from "node:url";

const runs = Number(process.argv[2] ?? 15);
const bin = fileURLToPath(new URL("../bin/memdesc.js", import.meta.url));
const cases = [
  ["node -e 0 (baseline)", ["-e", "0"]],
  ["memdesc --version", [bin, "--version"]],
  ["memdesc --help", [bin, "--help"]],
  ["memdesc types", [bin, "types"]],
  ["memdesc plugins", [bin, "plugins"]],
  [
    "memdesc bill (fixture)",
    [bin, "bill", fileURLToPath(new URL("../test/fixtures/what-if.json", import.meta.url))],
  ],
];

const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)];
};

console.log(`startup, median of ${runs} runs (ms)`);
for (const [label, args] of cases) {
  const times = [];
  for (let i = 0; i < runs; i++) {
    const t = performance.now();
    const r = spawnSync(process.execPath, args, { stdio: ["ignore", "ignore", "pipe"] });
    times.push(performance.now() - t);
    if (r.status !== 0) throw new Error(`${label} failed: ${r.stderr}`);
  }
  console.log(`${label.padEnd(26)} ${median(times).toFixed(1).padStart(7)}`);
}
