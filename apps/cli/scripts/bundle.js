// Bundles the CLI for start-up time: dist/memdesc.js (the bin's entry) and its chunks, one per command and what
// commands share, from tsc's output in dist/. Node resolves, reads and links a few large files instead of some
// four hundred small ones (zod alone is over a hundred modules), and a command still loads only its own chunk.
// Bundled in: @memdesc/kpageflags too (it finds its reader thread's script and its samples from its package
// name, not from its module's place), so a survey loads one zod and one core. Bundled in too: commander, whose
// eight CommonJS files Node's loader would find, read and wrap one by one (`--help` takes 17% less CPU bundled;
// its `require("node:events")` and the like go to a `require` made for them, below). Left outside:
// jiti (an optional peer, only for .ts configs), @memdesc/explorer (the built app is served from its package
// directory) and DuckDB (an optional peer with a native binding). `memdesc fleet`'s survey worker is an entry of
// its own, beside the chunks, where the chunk that starts it looks for it
// (`new URL("./survey-worker.js", import.meta.url)`).
import { mkdirSync, rmSync, writeFileSync } from "node:fs";
import { dirname } from "node:path";
import { build } from "esbuild";

/**
 * zod's classic entry re-exports every locale (`z.locales`), some 360 kB that every command would parse; the CLI
 * and the plugins it bundles speak zod's default, English, so the bundle's copy of zod carries that one only.
 * (A third-party plugin imports its own zod from its project, with all of them.)
 */
const zodEnglishOnly = {
  name: "zod-english-only",
  setup(b) {
    b.onLoad({ filter: /[\\/]zod[\\/]v4[\\/]locales[\\/]index\.js$/ }, () => ({
      contents: 'export { default as en } from "./en.js";',
      loader: "js",
    }));
  },
};

// Chunk names carry a hash of their contents: the last build's would stay beside this one's.
rmSync("dist/chunks", { recursive: true, force: true });
const result = await build({
  entryPoints: [
    { in: "dist/main.js", out: "memdesc" },
    { in: "dist/fleet/survey-worker.js", out: "chunks/survey-worker" },
  ],
  outdir: "dist",
  entryNames: "[dir]/[name]",
  chunkNames: "chunks/[name]-[hash]",
  bundle: true,
  splitting: true,
  format: "esm",
  platform: "node",
  target: "node20.19",
  external: ["jiti", "@memdesc/explorer", "@duckdb/node-api"],
  // Whitespace and syntax only: names stay, so a stack printed with --debug still reads.
  minifyWhitespace: true,
  minifySyntax: true,
  plugins: [zodEnglishOnly],
  legalComments: "none",
  logLevel: "warning",
  write: false,
});

// A bundled CommonJS module's `require` of a node built-in goes through esbuild's `__require`, which calls the
// `require` in scope of the one chunk that defines it: that chunk gets one (an ES module has none of its own).
const requireLine =
  'import { createRequire as __createRequire } from "node:module"; const require = __createRequire(import.meta.url);\n';
let defined = 0;
for (const file of result.outputFiles) {
  const defines = file.text.includes("__require=");
  defined += defines ? 1 : 0;
  mkdirSync(dirname(file.path), { recursive: true });
  writeFileSync(file.path, defines ? requireLine + file.text : file.contents);
}
if (defined !== 1) throw new Error(`bundle: expected one chunk to define __require, found ${defined}`);
