#!/usr/bin/env node
// The CLI is bundled into dist/memdesc.js and its chunks (scripts/bundle.js), an ES module; this shim loads it.
// `memdesc --version` alone is answered here, from package.json, as commander answers it, without loading the CLI.
// The shim is CommonJS because node runs a CommonJS main before it sets up its ES module loader: the version
// prints in node's own start-up time (an ES module shim took 1.3× `node -e 0`, this one 1.07×).
"use strict";

const args = process.argv.slice(2);
if (args.length === 1 && (args[0] === "--version" || args[0] === "-V")) {
  const { version } = JSON.parse(require("node:fs").readFileSync(require.resolve("../package.json"), "utf8"));
  process.stdout.write(`${version}\n`);
} else {
  import("../dist/memdesc.js");
}
