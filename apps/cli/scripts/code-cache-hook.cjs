// Preloaded (`node -r`) by scripts/code-cache.js into a run of the bin: when the run ends, writes V8's code for
// each chunk the run loaded to the cache bin/memdesc.cjs reads for this command, `<chunk>.<command>.v8cache`. A
// chunk loaded from an earlier run's cache keeps that code and adds what this run compiled, so the caches of one
// command's runs accumulate.
"use strict";
const { renameSync, writeFileSync } = require("node:fs");

process.on("exit", () => {
  const chunks = globalThis[Symbol.for("memdesc.chunks")];
  if (!chunks) throw new Error("code cache: the run loaded no chunk through bin/memdesc.cjs");
  for (const [file, { script, cache }] of chunks) {
    if (!cache) throw new Error(`code cache: ${file} was loaded for no command`);
    const tmp = `${cache}.${process.pid}`;
    writeFileSync(tmp, script.createCachedData());
    renameSync(tmp, cache);
  }
});
