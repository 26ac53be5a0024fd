// npm run bench -w @memdesc/btf
// 1. Whole process: `node bench/print-folio.js` versus `pahole -C folio`, on the same vmlinux, medians and ratio.
// 2. In process: indexing every type of the vmlinux BTF (openBtf: raw, or an ELF file's .BTF), and finding +
// converting struct folio. Usage: npm run bench -w @memdesc/btf [-- FILE]
import { spawnSync } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { openBtf } from "@memdesc/btf";

const here = dirname(fileURLToPath(import.meta.url));
const file = process.argv[2] ?? "/sys/kernel/btf/vmlinux";
const RUNS = 15;

const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)];
};
const ms = (x) => `${x.toFixed(1)} ms`;

function timeProcess(cmd, args) {
  const times = [];
  let out = "";
  for (let i = 0; i < RUNS; i++) {
    const t0 = process.hrtime.bigint();
    const r = spawnSync(cmd, args, { encoding: "utf8", stdio: ["ignore", "pipe", "ignore"] });
    const t1 = process.hrtime.bigint();
    if (r.error) return { error: r.error };
    if (r.status !== 0) return { error: new Error(`${cmd} exited with ${r.status}`) };
    times.push(Number(t1 - t0) / 1e6);
    out = r.stdout;
  }
  return { median: median(times), min: Math.min(...times), out };
}

if (!existsSync(file)) {
  console.log(`${file} does not exist: nothing to measure (the bench needs kernel BTF)`);
  process.exit(0);
}
console.log(`BTF file: ${file} (${readFileSync(file).length} bytes); ${RUNS} runs each, medians`);

// 1. Whole process.
const ours = timeProcess(process.execPath, [join(here, "print-folio.js"), file, "folio"]);
if (ours.error) throw ours.error;
const nodeOnly = timeProcess(process.execPath, ["-e", ""]);
const importOnly = timeProcess(process.execPath, ["--input-type=module", "-e", 'import "@memdesc/btf"']);
console.log(`whole process, @memdesc/btf print folio: ${ms(ours.median)} (min ${ms(ours.min)})`);
console.log(
  `  of which node startup ${ms(nodeOnly.median)}, importing @memdesc/btf (and @memdesc/core) ${ms(importOnly.median - nodeOnly.median)}`,
);
const pahole = timeProcess("pahole", ["-C", "folio", file]);
if (pahole.error) {
  console.log(
    `pahole -C folio: not measured (${pahole.error.message}); install Debian's dwarves for the ratio`,
  );
} else {
  console.log(`whole process, pahole -C folio:          ${ms(pahole.median)} (min ${ms(pahole.min)})`);
  console.log(`ratio @memdesc/btf / pahole: ${(ours.median / pahole.median).toFixed(2)}x (goal: within 2x)`);
  console.log(`same output as pahole: ${ours.out === pahole.out ? "yes" : "no"}`);
}

// 2. In process.
const bytes = readFileSync(file);
let t0 = performance.now();
let btf = openBtf(bytes);
const cold = performance.now() - t0;
const index = [];
for (let i = 0; i < 21; i++) {
  t0 = performance.now();
  btf = openBtf(bytes);
  index.push(performance.now() - t0);
}
console.log(
  `in process, index all ${btf.count} types: ${ms(median(index))} median, ${ms(cold)} first run (goal: under 60 ms)`,
);
const find = [];
for (let i = 0; i < 21; i++) {
  const fresh = openBtf(bytes);
  t0 = performance.now();
  fresh.layout("folio");
  find.push(performance.now() - t0);
}
console.log(
  `in process, find struct folio and convert it to a layout (fresh index): ${ms(median(find))} median`,
);
