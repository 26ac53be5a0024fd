import { mkdirSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { dirname, join, relative, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { camelCase, checkAnswers, type PluginAnswers, pascalCase, ScaffoldError } from "./options.js";
import { readStamp } from "./stamp.js";

/** The template directory shipped with the package (`template/`, beside `dist/` and `src/`). */
export const templateDir = fileURLToPath(new URL("../template", import.meta.url));

/**
 * Template file names npm would mangle or drop: `npm pack` leaves out `.gitignore` files, and dot-directories
 * are easy to lose, so they are shipped with `_` and renamed on copy (as create-vite does).
 */
const RENAME: Readonly<Record<string, string>> = { _gitignore: ".gitignore", _changeset: ".changeset" };

/** The sample identity the template is written with; every spelling of it is replaced. */
const SAMPLE = {
  kind: "tmpl-desc",
  struct: "tmpl_desc",
  camel: "tmplDesc",
  pascal: "TmplDesc",
  macro: "TMPL_DESC",
};

/** The uses an answer set names that are not core's: the generated plugin declares them. */
export const declaredUses = (a: PluginAnswers): string[] => {
  const core = new Set(readStamp().memoryUses.map((u) => u.name));
  return a.uses.filter((u) => !core.has(u));
};

/** Which `#if` blocks of the template to keep. */
export function conditions(a: PluginAnswers): Record<string, boolean> {
  return {
    pointer: a.storage === "pointer",
    inline: a.storage === "inline",
    today: a.today,
    "!today": !a.today,
    // A pointer kind with a use gets a workload action that allocates its descriptors for that use.
    simulation: a.storage === "pointer" && a.uses.length > 0,
    declares: declaredUses(a).length > 0,
  };
}

/**
 * Keeps or drops the lines between `#if NAME` and `#endif` markers (written as `// #if today`,
 * `# #if today` or `<!-- #if today -->`), and drops the marker lines. Blocks nest.
 */
export function applyConditions(text: string, when: Record<string, boolean>, file = "template"): string {
  const marker = /^\s*(?:\/\/|#|<!--)\s*#(if|endif)\b\s*([!\w-]*)\s*(?:-->)?\s*$/;
  const out: string[] = [];
  const stack: boolean[] = [];
  for (const [i, line] of text.split("\n").entries()) {
    const m = marker.exec(line);
    if (m?.[1] === "if") {
      const name = m[2] ?? "";
      if (!(name in when))
        throw new ScaffoldError("TEMPLATE", `${file}:${i + 1}: unknown condition "${name}"`);
      stack.push(when[name]!);
      continue;
    }
    if (m?.[1] === "endif") {
      if (stack.pop() === undefined)
        throw new ScaffoldError("TEMPLATE", `${file}:${i + 1}: #endif without #if`);
      continue;
    }
    // The template's own lint suppressions (for its #if blocks) are not the generated project's.
    if (/^\s*\/\/ biome-ignore-all /.test(line)) continue;
    if (stack.every(Boolean)) out.push(line);
  }
  if (stack.length > 0) throw new ScaffoldError("TEMPLATE", `${file}: ${stack.length} #if without #endif`);
  // A dropped block between two blank lines leaves one blank line, not two.
  return out.join("\n").replace(/\n{3,}/g, "\n\n");
}

/** The text replacements for one plugin: the sample identity's spellings and the `__TOKENS__`. */
export function replacements(a: PluginAnswers, year = new Date().getFullYear()): Map<string, string> {
  const macro = a.struct.toUpperCase();
  const uses = a.uses.map((u) => JSON.stringify(u)).join(", ");
  const declared = declaredUses(a)
    .map((u) => `${JSON.stringify(u)}: ${JSON.stringify(`pages described by struct ${a.struct}`)}`)
    .join(", ");
  return new Map([
    // Quoted tokens become JavaScript/JSON strings; bare ones are plain text (README, LICENSE).
    ['"__DESCRIPTION__"', JSON.stringify(a.description)],
    ["__DESCRIPTION__", a.description],
    ['"__PACKAGE_NAME__"', JSON.stringify(a.name)],
    ['"__STORAGE__"', JSON.stringify(a.storage)],
    ["__PACKAGE_NAME__", a.name],
    ['["__USES__"]', `[${uses}]`],
    ["__MEMORY_USES__", `{ ${declared} }`],
    ['"__ACTION_USE__"', JSON.stringify(a.uses[0] ?? "")],
    ["__ACTION_USE__", a.uses[0] ?? ""],
    ["__USES_LIST__", a.uses.length > 0 ? a.uses.map((u) => `\`${u}\``).join(", ") : "no memory use yet"],
    ["__AUTHOR__", a.author || `the ${a.name} authors`],
    ["__YEAR__", String(year)],
    // Longest spellings first, so TMPL_DESC_MATCH becomes MY_DESC_MATCH.
    [SAMPLE.macro, macro],
    [SAMPLE.pascal, pascalCase(a.kind)],
    [SAMPLE.camel, camelCase(a.kind)],
    [SAMPLE.struct, a.struct],
    [SAMPLE.kind, a.kind],
  ]);
}

const escapeRegExp = (s: string) => s.replace(/[.*+?^${}()|[\]\\/]/g, "\\$&");

/** Replaces every key of `map` in one pass, so a replacement is never replaced again. */
export function replaceAll(text: string, map: ReadonlyMap<string, string>): string {
  const re = new RegExp([...map.keys()].map(escapeRegExp).join("|"), "g");
  return text.replace(re, (m) => map.get(m)!);
}

/** The generated package.json: ESM, exports with types first, peers on core and zod, and the dev tools. */
export function packageJson(a: PluginAnswers): Record<string, unknown> {
  const stamp = readStamp();
  const tools = stamp.devDependencies;
  return {
    name: a.name,
    version: "0.0.0",
    description: a.description,
    keywords: ["memdesc-plugin", "memdesc", "linux", "kernel", "struct-page", a.kind],
    license: "MIT",
    ...(a.author ? { author: a.author } : {}),
    type: "module",
    sideEffects: false,
    engines: { node: ">=20.19" },
    exports: {
      ".": { types: "./dist/index.d.ts", default: "./dist/index.js" },
      "./package.json": "./package.json",
    },
    files: ["dist"],
    publishConfig: { access: "public" },
    scripts: {
      build: "tsc -p tsconfig.build.json",
      typecheck: "tsc --noEmit",
      test: "vitest run --typecheck",
      changeset: "changeset",
      "version-packages": "changeset version && npm install --package-lock-only",
      release: "npm run build && npm test && changeset publish",
      prepublishOnly: "npm run build",
    },
    peerDependencies: { "@memdesc/core": stamp.corePeer, zod: stamp.zodPeer },
    devDependencies: Object.fromEntries(
      Object.entries({
        ...tools,
        "@memdesc/core": stamp.coreDev,
        // Its tests check its workload action on the simulator.
        ...(conditions(a).simulation ? { "@memdesc/memmap": stamp.memmapDev } : {}),
      }).sort(([x], [y]) => x.localeCompare(y)),
    ),
  };
}

function listFiles(dir: string, base = dir): string[] {
  return readdirSync(dir, { withFileTypes: true })
    .sort((x, y) => x.name.localeCompare(y.name))
    .flatMap((e) =>
      e.isDirectory() ? listFiles(join(dir, e.name), base) : [relative(base, join(dir, e.name))],
    );
}

/** The files of a generated package, by path relative to its directory (in the order they are written). */
export function renderFiles(
  a: PluginAnswers,
  options: { year?: number; from?: string } = {},
): Map<string, string> {
  const from = options.from ?? templateDir;
  const when = conditions(a);
  const map = replacements(a, options.year);
  const files = new Map<string, string>();
  files.set("package.json", `${JSON.stringify(packageJson(a), null, 2)}\n`);
  for (const rel of listFiles(from)) {
    const target = rel
      .split(/[\\/]/)
      .map((part) => RENAME[part] ?? part)
      .join("/");
    const text = readFileSync(join(from, rel), "utf8");
    files.set(target, replaceAll(applyConditions(text, when, rel), map));
  }
  return files;
}

/** Writes a new plugin package; checks the answers first, so nothing is written when one is bad. */
export function scaffold(answers: PluginAnswers, options: { cwd?: string; year?: number } = {}): string[] {
  const cwd = options.cwd ?? process.cwd();
  const a = checkAnswers(answers, cwd);
  const root = resolve(cwd, a.directory);
  const files = renderFiles(a, options.year === undefined ? {} : { year: options.year });
  for (const [rel, text] of files) {
    const path = join(root, rel);
    mkdirSync(dirname(path), { recursive: true });
    writeFileSync(path, text);
  }
  return [...files.keys()];
}
