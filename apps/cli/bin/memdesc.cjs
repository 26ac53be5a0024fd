#!/usr/bin/env node
// The memdesc command line. `memdesc --version` alone is answered here, from package.json, as commander answers
// it, without loading the CLI. Everything else runs the bundle (scripts/bundle.js): dist/memdesc.cjs and the
// chunks it loads, compiled here with V8's code cache where the build left one for this node.
//
// Why a loader of its own: Node 20 compiles every ES module from source at every start (its module compile cache
// came in Node 22), and compiling the bundle was a fifth of `memdesc types`. A `vm.Script` takes the code that
// `script.createCachedData()` gave for the same source on the same node and V8 flags, and skips parsing and
// compiling what that run compiled. scripts/code-cache.js makes the caches at build time from runs of the
// common commands, one set per command and V8 build (`<chunk>.<command>.<v8 build>.v8cache`): V8 reads a cache
// whole, so a cache that also held what other commands compile would slow this one. V8 checks each cache
// against its flags and the source's length too; one that does not match (`node --some-v8-flag`) is rejected
// and the chunk is compiled from source, as without a cache. The build removes every cache before it writes
// chunks, so none outlives its chunk. Nothing is written at run time, and the npm package carries no cache (a
// cache is for one node build, and compiled code cannot be reviewed): installed from npm, the chunks are
// compiled from source. The bin is CommonJS because node runs a CommonJS
// main before it sets up its ES module loader.
"use strict";

/**
 * The V8 build a cache is for. V8's own check of a cache compares its version number, not the patches node
 * carries on it (`process.versions.v8`'s `-node.N`), so a cache is named for the exact build that made it.
 */
const v8Build = `${process.versions.v8}-${process.arch}`;
/** Each chunk loaded, by file: its exports, its script, and the cache it was compiled with (for scripts/). */
const chunks = new Map();
globalThis[Symbol.for("memdesc.chunks")] = chunks;

const args = process.argv.slice(2);
if (args.length === 1 && (args[0] === "--version" || args[0] === "-V")) {
  const { version } = JSON.parse(require("node:fs").readFileSync(require.resolve("../package.json"), "utf8"));
  process.stdout.write(`${version}\n`);
} else {
  // The command's name, found as main.ts finds it (global options take no value); "main" for none (help).
  const word = args.find((a) => !a.startsWith("-")) ?? "main";
  const cacheKey = /^[a-z][a-z-]*$/.test(word) ? word : undefined;
  const main = require("node:path").join(__dirname, "..", "dist", "memdesc.cjs");
  try {
    loadChunk(main, cacheKey);
  } catch (err) {
    if (err?.code !== "ENOENT" || err.path !== main) throw err;
    process.stderr.write(
      `memdesc: ${main} is missing: this copy of memdesc was never built (npm run build)\n`,
    );
    process.exit(2);
  }
}

/**
 * Runs one chunk of the bundle (once; later calls return its exports), with the code cache made for the command
 * `cacheKey` if there is one, and returns its exports. A chunk is a CommonJS-shaped script: `require` of a
 * relative path loads another chunk and any other is a node built-in (the bundle imports nothing else
 * statically), `loadChunk` is its `import()` of a chunk, `importModule` its `import()` of anything else (node's
 * own, from here), and `importMeta.url` is its `import.meta.url`, made when first read.
 */
function loadChunk(file, cacheKey) {
  const known = chunks.get(file);
  if (known) return known.module.exports;
  const fs = require("node:fs");
  const path = require("node:path");
  const vm = require("node:vm");
  const source = fs.readFileSync(file, "utf8");
  const cache = cacheKey && `${file}.${cacheKey}.${v8Build}.v8cache`;
  let cachedData;
  try {
    if (cache) cachedData = fs.readFileSync(cache);
  } catch {
    // No cache for this chunk and command: compiled from source.
  }
  // The wrapper has a line of its own (lineOffset), so a stack printed with --debug gives the chunk's own lines.
  const script = new vm.Script(
    `(function (exports, require, module, __filename, __dirname, importMeta, loadChunk, importModule) {\n${source}\n})`,
    { filename: file, cachedData, lineOffset: -1 },
  );
  const module = { exports: {} };
  chunks.set(file, { module, script, cache, cached: cachedData !== undefined && !script.cachedDataRejected });
  const dir = path.dirname(file);
  const chunkRequire = (spec) =>
    spec.startsWith(".") ? loadChunk(path.join(dir, spec), cacheKey) : require(spec);
  const chunkImport = async (spec) => loadChunk(path.join(dir, spec), cacheKey);
  const importMeta = {
    get url() {
      return require("node:url").pathToFileURL(file).href;
    },
  };
  script.runInThisContext()(
    module.exports,
    chunkRequire,
    module,
    file,
    dir,
    importMeta,
    chunkImport,
    importModule,
  );
  return module.exports;
}

/** A chunk's `import()` of a config, a plugin or an optional peer: node's own, resolved from this package. */
function importModule(specifier) {
  return import(specifier);
}
