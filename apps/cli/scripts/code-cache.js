// Makes the V8 code caches bin/memdesc.cjs reads (see there): runs the common commands once each, on inputs in
// this repository, with scripts/code-cache-hook.cjs preloaded to write each loaded chunk's compiled code. Run
// after scripts/bundle.js, with the node that will run the CLI (a cache is for one node version and its flags;
// V8 rejects it elsewhere and the chunk is compiled from source). Every run must succeed: a failed run would leave
// a cache of an error path.
import { spawnSync } from "node:child_process";
import { existsSync, readdirSync } from "node:fs";
import { fileURLToPath } from "node:url";

const here = (p) => fileURLToPath(new URL(p, import.meta.url));
const bin = here("../bin/memdesc.cjs");
const hook = here("./code-cache-hook.cjs");
const btf = here("../../../packages/btf/fixtures/linux-6.18-memdesc.btf");
const whatIf = here("../test/fixtures/what-if.json");

// A command's caches accumulate over its runs here. Left out: the commands that run for seconds or serve, where
// a few tens of milliseconds of start-up do not show (survey is in: it loads the plugins while its readers read).
const runs = [
  ["--help"],
  ["types", "--no-config"],
  ["plugins", "--no-config"],
  ["layout", "folio", "--no-config"],
  ["layout", "folio", "--btf", btf, "--no-config"],
  ["check", "--btf", btf, "--no-config"],
  ["bill", whatIf, "--no-config"],
  ["survey", "--sample", "--no-config"],
];

for (const dir of ["../dist", "../dist/chunks"])
  for (const file of readdirSync(here(dir)))
    if (file.endsWith(".v8cache"))
      throw new Error(`code cache: ${dir.slice(3)}/${file} is left from an earlier build`);
for (const args of runs) {
  if (args.includes(btf) && !existsSync(btf)) {
    console.log(`code cache: skipped \`memdesc ${args[0]} --btf\`: ${btf} is missing`);
    continue;
  }
  // Without NODE_OPTIONS: a V8 flag there would make every cache one V8 rejects without it.
  const env = { ...process.env, NODE_OPTIONS: "", NO_COLOR: "1" };
  const r = spawnSync(process.execPath, ["-r", hook, bin, ...args], {
    stdio: ["ignore", "ignore", "pipe"],
    env,
  });
  if (r.status !== 0)
    throw new Error(`code cache: \`memdesc ${args.join(" ")}\` exited ${r.status ?? r.signal}: ${r.stderr}`);
}
