#!/usr/bin/env node
// The CLI is bundled into dist/memdesc.js and its chunks (scripts/bundle.js); this shim only loads it.
// `memdesc --version` alone is answered here, from package.json, as commander answers it, without loading the CLI.
import { readFileSync } from "node:fs";

const args = process.argv.slice(2);
if (args.length === 1 && (args[0] === "--version" || args[0] === "-V")) {
  const { version } = JSON.parse(readFileSync(new URL("../package.json", import.meta.url), "utf8"));
  process.stdout.write(`${version}\n`);
} else {
  await import("../dist/memdesc.js");
}
