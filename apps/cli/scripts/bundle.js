// Bundles the CLI for start-up time, from tsc's output in dist/:
//  - dist/memdesc.cjs (the bin's entry) and dist/chunks/*.cjs, one chunk per command and per piece that commands
//    share: node reads a few large files instead of some four hundred small ones (zod alone is over a hundred
//    modules), and a command still loads only its own chunks;
//  - dist/chunks/survey-worker.js, `memdesc fleet`'s survey thread, an ES module of its own beside the chunks
//    (a worker thread starts from a file node loads itself), where the chunk that starts it looks for it
//    (`new URL("./survey-worker.js", import.meta.url)`).
// The chunks are CommonJS-shaped scripts that bin/memdesc.cjs compiles with V8's code cache (scripts/code-cache.js
// makes it): Node 20 keeps no compiled code for ES modules between runs, and compiling the chunks was a fifth
// of `memdesc types`. esbuild splits ES modules only, so the chunks are split as ES modules and each is then
// turned into a script whose wrapper (see the bin) gives it `require`, `importMeta`, `loadChunk` and
// `importModule`.
// Bundled in: @memdesc/kpageflags too (it finds its reader thread's script and its samples from its package
// name, not from its module's place), so a survey loads one zod and one core. Bundled in too: commander, whose
// eight CommonJS files Node's loader would find, read and wrap one by one. Left outside, loaded with `import()`:
// jiti (an optional peer, only for .ts configs), @memdesc/explorer (the built app is served from its package
// directory) and DuckDB (an optional peer with a native binding).
import { mkdirSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { basename, dirname } from "node:path";
import { init as lexerReady, parse as lexImports } from "es-module-lexer";
import { build, transform } from "esbuild";

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

const common = {
  bundle: true,
  platform: "node",
  target: "node20.19",
  external: ["jiti", "@memdesc/explorer", "@duckdb/node-api"],
  // Whitespace and syntax only: names stay, so a stack printed with --debug still reads.
  minifyWhitespace: true,
  minifySyntax: true,
  plugins: [zodEnglishOnly],
  legalComments: "none",
  logLevel: "warning",
};

// Chunk names carry a hash of their contents: the last build's would stay beside this one's.
rmSync("dist/chunks", { recursive: true, force: true });
rmSync("dist/memdesc.js", { force: true });
// V8 checks a code cache against its chunk's length only: none may outlive the chunk it was made from.
for (const f of readdirSync("dist")) if (f.endsWith(".v8cache")) rmSync(`dist/${f}`);

const split = await build({
  ...common,
  entryPoints: [{ in: "dist/main.js", out: "memdesc" }],
  outdir: "dist",
  entryNames: "[dir]/[name]",
  chunkNames: "chunks/[name]-[hash]",
  outExtension: { ".js": ".cjs" },
  splitting: true,
  format: "esm",
  write: false,
});

/**
 * A chunk's `import()` of another chunk becomes `loadChunk(...)`, which loads it through the bin's loader; any
 * other `import()` (a config, a plugin, jiti, DuckDB, the explorer) becomes `importModule(...)`, the bin's own
 * `import()`, since a script compiled by `vm` may not call `import()` without an experimental flag.
 * es-module-lexer (Vite's) finds each `import(` as JavaScript's grammar does, not in strings or regexps.
 */
function routeDynamicImports(name, text, chunks) {
  const [imports] = lexImports(text, name);
  let out = "";
  let at = 0;
  for (const i of imports) {
    if (i.d < 0) continue; // a static import, or import.meta
    if (text.slice(i.ss, i.d) !== "import")
      throw new Error(`bundle: ${name}: no \`import\` at offset ${i.ss}`);
    const chunk = i.n?.startsWith(".") ? basename(i.n) : undefined;
    if (chunk !== undefined && !chunks.has(chunk))
      throw new Error(`bundle: ${name} imports ${i.n}, not a chunk of this build`);
    out += text.slice(at, i.ss) + (chunk === undefined ? "importModule" : "loadChunk");
    at = i.d;
  }
  return out + text.slice(at);
}

await lexerReady;
const chunks = new Set(split.outputFiles.map((f) => basename(f.path)));
for (const file of split.outputFiles) {
  const esm = routeDynamicImports(basename(file.path), file.text, chunks);
  const { code } = await transform(esm, {
    format: "cjs",
    loader: "js",
    platform: "node",
    target: "node20.19",
    minifyWhitespace: true,
    minifySyntax: true,
    define: { "import.meta.url": "importMeta.url" },
    logLevel: "warning",
    sourcefile: basename(file.path),
  });
  if (/\bimport\.meta\b/.test(code))
    throw new Error(`bundle: ${basename(file.path)} still reads import.meta`);
  mkdirSync(dirname(file.path), { recursive: true });
  writeFileSync(file.path, code);
}

await build({
  ...common,
  entryPoints: [{ in: "dist/fleet/survey-worker.js", out: "chunks/survey-worker" }],
  outdir: "dist",
  entryNames: "[dir]/[name]",
  format: "esm",
});
