#!/usr/bin/env node
// Pre-publish gate for every public workspace package: publint, attw (ESM-only profile) and the tarball's
// contents against an allow-list read from the package's own `files`. Run after a build:
//
//   node scripts/check-packages.mjs [--json] [--dir PACKAGE_DIR ...]
//
// Exit status 0 when every package passes, 1 otherwise. `--dir` checks only the given package directories
// (used by the tests to show that a bad package is caught).
import { execFile } from "node:child_process";
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { availableParallelism, tmpdir } from "node:os";
import { dirname, join, normalize, posix, relative, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";

const root = resolve(dirname(fileURLToPath(import.meta.url)), "..");
const bin = (name) => join(root, "node_modules", ".bin", name);

/** Files npm always puts in a tarball, whatever `files` says. */
const ALWAYS = ["package.json", "README.md", "LICENSE"];

/** What tsc emits into dist that a consumer needs: JavaScript and declarations (and JSON modules). */
const DIST_FILE = /^dist\/.+\.(js|mjs|cjs|d\.ts|d\.mts|d\.cts|json)$/;
const TEST_FILE = /(^|\/)(__tests__|__snapshots__)\/|\.test(-d)?\.[cm]?[jt]sx?$|\.spec\.[cm]?[jt]sx?$/;
const SOURCE_FILE = /\.[cm]?tsx?$/;
const DECLARATION = /\.d\.[cm]?ts$/;
/** The resolution modes attw's `esm-only` profile does not judge. */
const ESM_ONLY_IGNORED = ["node10", "node16-cjs"];

function run(cmd, args, cwd, timeout = 120_000) {
  return new Promise((done) => {
    execFile(
      cmd,
      args,
      { cwd, timeout, maxBuffer: 64 * 1024 * 1024, env: { ...process.env, NO_COLOR: "1" } },
      (err, stdout, stderr) =>
        done({ code: err ? (typeof err.code === "number" ? err.code : 1) : 0, stdout, stderr, err }),
    );
  });
}

/** The workspace package directories named by the root package.json's `workspaces` (`dir/*` globs). */
export function workspaceDirs(rootDir = root) {
  const { workspaces = [] } = JSON.parse(readFileSync(join(rootDir, "package.json"), "utf8"));
  const dirs = [];
  for (const pattern of workspaces) {
    if (pattern.endsWith("/*")) {
      const base = join(rootDir, pattern.slice(0, -2));
      if (!existsSync(base)) continue;
      for (const e of readdirSync(base, { withFileTypes: true }).sort((a, b) => a.name.localeCompare(b.name)))
        if (e.isDirectory() && existsSync(join(base, e.name, "package.json"))) dirs.push(join(base, e.name));
    } else if (existsSync(join(rootDir, pattern, "package.json"))) dirs.push(join(rootDir, pattern));
  }
  return dirs;
}

/**
 * The allow-list of one package: dist's JavaScript and declarations, the files npm always ships, and the
 * data a package declares explicitly in `files` (anything that is not `dist`: a sample snapshot, a CLI's
 * `bin` and `schemas`, a scaffolder's `template`).
 */
export function allowList(manifest) {
  const data = [];
  for (const entry of manifest.files ?? []) {
    if (entry.startsWith("!")) continue;
    const e = posix.normalize(entry.replace(/^\.\//, "")).replace(/\/(\*\*)?$/, "");
    if (e === "dist" || e.startsWith("dist/")) continue;
    data.push(e);
  }
  return { always: ALWAYS, dist: DIST_FILE, data };
}

const underData = (file, data) => data.some((d) => file === d || file.startsWith(`${d}/`));

/** Problems with a tarball's file list (paths relative to the package), reading source maps from `dir`. */
export function checkTarball(manifest, files, dir) {
  const problems = [];
  const list = allowList(manifest);
  const shipped = new Set(files);
  for (const f of ALWAYS) if (!shipped.has(f)) problems.push(`${f} is missing from the tarball`);
  for (const f of files) {
    if (ALWAYS.includes(f)) continue;
    if (f.endsWith(".tsbuildinfo")) {
      problems.push(`${f}: a TypeScript build-info file`);
      continue;
    }
    if (f.endsWith(".map")) {
      const missing = mapSourcesMissing(join(dir, f), f, shipped);
      if (missing.length > 0 || !underData(f, list.data))
        problems.push(
          missing.length > 0
            ? `${f}: a source map pointing at ${missing.slice(0, 3).join(", ")}${missing.length > 3 ? " …" : ""}, which the package does not ship`
            : `${f}: a source map`,
        );
      continue;
    }
    if (underData(f, list.data)) continue;
    if (TEST_FILE.test(f)) problems.push(`${f}: a test file`);
    else if (SOURCE_FILE.test(f) && !DECLARATION.test(f)) problems.push(`${f}: a TypeScript source file`);
    else if (!DIST_FILE.test(f))
      problems.push(
        `${f}: not in the allow-list (dist JavaScript and declarations, ${[...ALWAYS, ...list.data].join(", ")})`,
      );
  }
  // Everything the package points at must be in the tarball.
  for (const target of entryPoints(manifest))
    if (!shipped.has(target)) problems.push(`${target} is named in package.json but is not in the tarball`);
  return problems;
}

function mapSourcesMissing(path, file, shipped) {
  let map;
  try {
    map = JSON.parse(readFileSync(path, "utf8"));
  } catch {
    return [`(unreadable map ${file})`];
  }
  if (Array.isArray(map.sourcesContent) && map.sourcesContent.every((s) => typeof s === "string")) return [];
  return (map.sources ?? [])
    .map((s) => posix.normalize(posix.join(posix.dirname(file), map.sourceRoot ?? "", s)))
    .filter((s) => !shipped.has(s));
}

/** Files named by `exports`, `main`, `types` and `bin` (wildcard exports are skipped). */
function entryPoints(manifest) {
  const out = new Set();
  const add = (p) => {
    if (typeof p === "string" && !p.includes("*")) out.add(posix.normalize(p.replace(/^\.\//, "")));
  };
  const walk = (v) => {
    if (typeof v === "string") add(v);
    else if (v && typeof v === "object") for (const x of Object.values(v)) walk(x);
  };
  walk(manifest.exports);
  add(manifest.main);
  add(manifest.types);
  if (typeof manifest.bin === "string") add(manifest.bin);
  else walk(manifest.bin);
  return out;
}

/** Runs every check on one package directory; resolves to { name, dir, ok, checks: { pack, publint, attw } }. */
export async function checkPackage(dir) {
  const manifest = JSON.parse(readFileSync(join(dir, "package.json"), "utf8"));
  const name = manifest.name;
  const started = performance.now();
  // Pack once, then lint that very tarball: what is checked is what would be published.
  const tmp = mkdtempSync(join(tmpdir(), "memdesc-check-"));
  try {
    const packed = await run("npm", ["pack", "--json", "--ignore-scripts", "--pack-destination", tmp], dir);
    if (packed.code !== 0) {
      const problems = [`npm pack failed: ${lines(packed.stderr).pop() ?? ""}`];
      const failed = { ok: false, problems };
      return result(name, dir, started, { pack: failed, publint: failed, attw: failed });
    }
    const info = JSON.parse(packed.stdout)[0];
    const files = info.files.map((f) => f.path);
    const tarball = join(tmp, info.filename);
    const packProblems = checkTarball(manifest, files, dir);
    const [publint, attw] = await Promise.all([
      run(bin("publint"), ["run", tarball, "--strict"], dir).then((r) => ({
        ok: r.code === 0,
        problems:
          r.code === 0
            ? []
            : lines(r.stdout + r.stderr).filter((l) => !/^(Running publint|Packing files|Linting)/.test(l)),
      })),
      run(bin("attw"), [tarball, "--profile", "esm-only", "--format", "json", "--no-color"], dir).then(
        (r) => {
          let problems = [];
          try {
            const json = JSON.parse(r.stdout);
            // The JSON lists every problem, including those the esm-only profile ignores (node10, CJS).
            problems = Object.values(json.problems ?? {})
              .flat()
              .filter((p) => !ESM_ONLY_IGNORED.includes(p.resolutionKind))
              .map(
                (p) =>
                  `${p.kind}${p.entrypoint ? ` at "${p.entrypoint}"` : ""}${p.resolutionKind ? ` (${p.resolutionKind})` : ""}`,
              );
          } catch {
            problems = [];
          }
          if (r.code !== 0 && problems.length === 0) problems = lines(r.stdout + r.stderr).slice(0, 5);
          return { ok: r.code === 0, problems };
        },
      ),
    ]);
    return result(name, dir, started, {
      pack: { ok: packProblems.length === 0, problems: packProblems, files },
      publint,
      attw,
    });
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
}

function result(name, dir, started, checks) {
  const ok = checks.pack.ok && checks.publint.ok && checks.attw.ok;
  return { name, dir: relative(root, dir) || dir, ok, ms: Math.round(performance.now() - started), checks };
}

const lines = (s) =>
  s
    .split("\n")
    .map((l) => l.trimEnd())
    .filter((l) => l.trim() !== "");

async function pool(items, limit, fn) {
  const out = new Array(items.length);
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(limit, items.length) }, async () => {
      while (next < items.length) {
        const i = next++;
        out[i] = await fn(items[i]);
      }
    }),
  );
  return out;
}

async function main() {
  const { values } = parseArgs({
    options: { json: { type: "boolean", default: false }, dir: { type: "string", multiple: true } },
  });
  const dirs = values.dir
    ? values.dir.map((d) => resolve(d))
    : workspaceDirs().filter((d) => !JSON.parse(readFileSync(join(d, "package.json"), "utf8")).private);
  const started = performance.now();
  // Each package runs three processes at once; attw is CPU-bound, so keep the pool near the core count.
  const results = await pool(dirs, Math.max(2, availableParallelism()), checkPackage);
  const failed = results.filter((r) => !r.ok);
  if (values.json) {
    process.stdout.write(`${JSON.stringify({ ok: failed.length === 0, results }, null, 2)}\n`);
  } else {
    for (const r of results) {
      const mark = (c) => (c.ok ? "ok" : "FAIL");
      console.log(
        `${r.ok ? "✓" : "✗"} ${r.name.padEnd(24)} pack ${mark(r.checks.pack)} (${r.checks.pack.files?.length ?? "?"} files)  publint ${mark(r.checks.publint)}  attw ${mark(r.checks.attw)}  ${(r.ms / 1000).toFixed(1)} s`,
      );
      for (const [check, c] of Object.entries(r.checks))
        for (const p of c.problems) console.log(`    ${check}: ${p}`);
    }
    console.log(
      `${results.length - failed.length} of ${results.length} packages pass publint, attw (esm-only) and the tarball allow-list in ${((performance.now() - started) / 1000).toFixed(1)} s`,
    );
  }
  process.exitCode = failed.length === 0 ? 0 : 1;
}

if (normalize(process.argv[1] ?? "") === fileURLToPath(import.meta.url)) await main();
