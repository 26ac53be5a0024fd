#!/usr/bin/env node
// End to end against a real npm registry, as a plugin author and a plugin user would work:
//
//  1. start Verdaccio on 127.0.0.1 (a free port, temporary storage; third-party packages proxied from the
//     npm registry npm is configured for, memdesc's own packages served only from what this run publishes);
//  2. publish every public workspace package to it at a snapshot version (0.0.0-e2e-<timestamp>, set in
//     temporary copies: the repository's versions are not touched);
//  3. in a temporary directory outside the repository, run docs/plugins.md's commands (read from its code
//     blocks): scaffold a plugin with `npm init memdesc-plugin`, install it from the registry, run its
//     tests, release it with changesets;
//  4. in a second project, install memdesc, @memdesc/folio, @memdesc/slab and the new plugin from the
//     registry, compose them in code and in memdesc.config.json, and run `memdesc plugins` and
//     `memdesc survey --snapshot` with the sample snapshot @memdesc/kpageflags ships;
//  5. run the monorepo's own `npm run release` (build, check:packages, changeset publish) against the same
//     registry, without git tags, and check every public package's version arrived.
//
// The server is stopped and everything made is removed in a `finally`, also on SIGINT/SIGTERM.
//
//   node scripts/e2e-registry.mjs [--keep]     (--keep leaves the temporary directory for inspection)
import { spawn } from "node:child_process";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { dirname, join, relative } from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { workspaceDirs } from "./check-packages.mjs";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const { values: flags } = parseArgs({ options: { keep: { type: "boolean", default: false } } });

/** memdesc's own package names: served only from this registry's storage, never proxied. */
const OWN = ["@memdesc/*", "memdesc", "create-memdesc-plugin", "memdesc-plugin-*"];
const PLUGIN = { dir: "my-desc", name: "memdesc-plugin-my-desc", kind: "my-desc" };

const started = performance.now();
const timings = [];
const seconds = (ms) => `${(ms / 1000).toFixed(1)} s`;
const log = (line) => console.log(`e2e: ${line}`);

async function step(title, fn) {
  const t = performance.now();
  log(`${title} …`);
  const result = await fn();
  const ms = performance.now() - t;
  timings.push([title, ms]);
  log(`${title}: done in ${seconds(ms)}`);
  return result;
}

let temp;
let server;
let cleaned = false;
/** Commands still running, stopped by cleanup() when the run is interrupted. */
const running = new Set();

function cleanup() {
  if (cleaned) return;
  cleaned = true;
  for (const child of running) {
    try {
      process.kill(-child.pid, "SIGTERM");
    } catch {
      // already gone
    }
  }
  if (server && server.exitCode === null && server.signalCode === null) {
    try {
      process.kill(server.pid, "SIGTERM");
    } catch {
      // already gone
    }
  }
  if (temp && !flags.keep) rmSync(temp, { recursive: true, force: true });
  else if (temp) log(`kept ${temp}`);
}

for (const signal of ["SIGINT", "SIGTERM"])
  process.on(signal, () => {
    log(`${signal}: stopping the registry and removing ${temp ?? "nothing"}`);
    cleanup();
    process.exit(130);
  });
process.on("exit", cleanup);

/** The environment every npm command of the run gets: only this run's config, cache and registry. */
let npmEnv;
function makeEnv(registry, userconfig, cache) {
  const env = {};
  for (const [k, v] of Object.entries(process.env)) {
    // What `npm run` exports (npm_config_*, npm_package_*, INIT_CWD) would point npm at the monorepo.
    if (/^(npm_|INIT_CWD$|VITEST|TURBO_|NODE_OPTIONS$)/i.test(k)) continue;
    env[k] = v;
  }
  return {
    ...env,
    npm_config_registry: registry,
    npm_config_userconfig: userconfig,
    npm_config_cache: cache,
    npm_config_update_notifier: "false",
    npm_config_fund: "false",
    npm_config_audit: "false",
    npm_config_loglevel: "warn",
    NO_COLOR: "1",
    GIT_AUTHOR_NAME: "memdesc e2e",
    GIT_AUTHOR_EMAIL: "e2e@memdesc.invalid",
    GIT_COMMITTER_NAME: "memdesc e2e",
    GIT_COMMITTER_EMAIL: "e2e@memdesc.invalid",
  };
}

/** Runs a command to completion; rejects with its output when it fails. */
function sh(cmd, args, { cwd, env = npmEnv, quiet = true, timeout = 300_000 } = {}) {
  return new Promise((resolve, reject) => {
    // Its own process group, so stopping it stops what it started (sh → npm → node) too.
    const child = spawn(cmd, args, { cwd, env, stdio: ["ignore", "pipe", "pipe"], detached: true });
    running.add(child);
    let out = "";
    child.stdout.on("data", (d) => {
      out += d;
      if (!quiet) process.stdout.write(d);
    });
    child.stderr.on("data", (d) => {
      out += d;
      if (!quiet) process.stderr.write(d);
    });
    const timer = setTimeout(() => process.kill(-child.pid, "SIGTERM"), timeout);
    child.on("error", reject);
    child.on("close", (code, signal) => {
      running.delete(child);
      clearTimeout(timer);
      if (code === 0) resolve(out);
      else
        reject(
          new Error(
            `${cmd} ${args.join(" ")} (in ${cwd}) ${signal ? `was killed (${signal})` : `exited ${code}`}:\n${out.trim().split("\n").slice(-40).join("\n")}`,
          ),
        );
    });
  });
}

/** docs/plugins.md's fenced code blocks: the commands and files this test runs are read from there. */
const docs = readFileSync(join(root, "docs", "plugins.md"), "utf8");
function docBlock(lang, startsWith) {
  for (const m of docs.matchAll(/^```(\w+)\n([\s\S]*?)^```$/gm))
    if (m[1] === lang && m[2].startsWith(startsWith)) return m[2];
  throw new Error(`docs/plugins.md has no \`\`\`${lang} block starting with "${startsWith}"`);
}

/** Runs a docs shell block line by line, as a reader would type it (`cd DIR` moves on); returns the output. */
async function runDocCommands(block, cwd) {
  let dir = cwd;
  let out = "";
  for (const line of block.split("\n").map((l) => l.trim())) {
    if (!line || line.startsWith("#")) continue;
    const cd = /^cd\s+(\S+)$/.exec(line);
    if (cd) {
      dir = join(dir, cd[1]);
      continue;
    }
    log(`  $ ${line}`);
    out += await sh("sh", ["-c", line], { cwd: dir });
  }
  return { out, dir };
}

function freePort() {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.unref();
    s.on("error", reject);
    s.listen(0, "127.0.0.1", () => {
      const { port } = s.address();
      s.close(() => resolve(port));
    });
  });
}

function expectIn(text, what, needle) {
  const ok = needle instanceof RegExp ? needle.test(text) : text.includes(needle);
  if (!ok) throw new Error(`${what}: expected ${needle} in the output:\n${text}`);
}

async function startRegistry(dir) {
  const port = await freePort();
  const upstream = (await sh("npm", ["config", "get", "registry"], { cwd: root, env: process.env })).trim();
  const access = (proxy) =>
    `    access: $all\n    publish: $authenticated\n    unpublish: $authenticated\n${proxy ? "    proxy: upstream\n" : ""}`;
  const config = [
    `storage: ${join(dir, "storage")}`,
    "auth:",
    "  htpasswd:",
    `    file: ${join(dir, "htpasswd")}`,
    "    max_users: 10",
    "uplinks:",
    "  upstream:",
    `    url: ${upstream}`,
    "    timeout: 60s",
    "    maxage: 30m",
    "packages:",
    ...OWN.map((p) => `  '${p}':\n${access(false)}`),
    `  '**':\n${access(true)}`,
    "web:",
    "  enable: false",
    "log:",
    "  type: stdout",
    "  format: pretty",
    "  level: error",
    "",
  ].join("\n");
  writeFileSync(join(dir, "config.yaml"), config);
  const bin = join(root, "node_modules", "verdaccio", "bin", "verdaccio");
  server = spawn(
    process.execPath,
    [bin, "--config", join(dir, "config.yaml"), "--listen", `127.0.0.1:${port}`],
    {
      cwd: dir,
      env: { ...process.env, NODE_ENV: "production" },
      stdio: ["ignore", "pipe", "pipe"],
    },
  );
  let output = "";
  server.stdout.on("data", (d) => {
    output += d;
  });
  server.stderr.on("data", (d) => {
    output += d;
  });
  const url = `http://127.0.0.1:${port}/`;
  const deadline = Date.now() + 60_000;
  for (;;) {
    if (server.exitCode !== null) throw new Error(`verdaccio exited ${server.exitCode}:\n${output}`);
    try {
      const r = await fetch(`${url}-/ping`);
      if (r.ok) break;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) throw new Error(`verdaccio did not answer on ${url} within 60 s:\n${output}`);
    await new Promise((r) => setTimeout(r, 200));
  }
  // A user for publishing: the CouchDB-style sign-up `npm adduser` performs.
  const user = "e2e";
  const password = `pw-${Date.now()}`;
  const r = await fetch(`${url}-/user/org.couchdb.user:${user}`, {
    method: "PUT",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ name: user, password, type: "user", roles: [], date: new Date().toISOString() }),
  });
  const body = await r.json();
  if (!r.ok || !body.token)
    throw new Error(`verdaccio refused to add a user: ${r.status} ${JSON.stringify(body)}`);
  return {
    url,
    port,
    token: body.token,
    upstream,
    version: JSON.parse(readFileSync(join(root, "node_modules", "verdaccio", "package.json"), "utf8"))
      .version,
  };
}

/** Copies of the public packages at the snapshot version, internal ranges pointing at it, published. */
async function publishSnapshot(snapshot, dir) {
  const packages = workspaceDirs(root)
    .map((d) => ({ dir: d, manifest: JSON.parse(readFileSync(join(d, "package.json"), "utf8")) }))
    .filter((p) => !p.manifest.private);
  const names = new Set(packages.map((p) => p.manifest.name));
  const staged = [];
  for (const p of packages) {
    // What `npm pack` would ship, unpacked: the same files a release publishes.
    const packs = join(dir, "packs");
    mkdirSync(packs, { recursive: true });
    const info = JSON.parse(
      await sh("npm", ["pack", "--json", "--ignore-scripts", "--pack-destination", packs], { cwd: p.dir }),
    )[0];
    const target = join(dir, "staging", p.manifest.name.replace("/", "__"));
    mkdirSync(target, { recursive: true });
    await sh("tar", ["-xzf", join(packs, info.filename), "-C", target, "--strip-components=1"], { cwd: dir });
    const manifest = JSON.parse(readFileSync(join(target, "package.json"), "utf8"));
    manifest.version = snapshot;
    for (const field of ["dependencies", "peerDependencies", "optionalDependencies", "devDependencies"])
      for (const dep of Object.keys(manifest[field] ?? {}))
        if (names.has(dep)) manifest[field][dep] = snapshot;
    writeFileSync(join(target, "package.json"), `${JSON.stringify(manifest, null, 2)}\n`);
    staged.push({ name: manifest.name, dir: target, manifest });
  }
  // The scaffolder stamps core's and the simulator's versions at build time; stamp the snapshot into its copy the
  // same way.
  const scaffolder = staged.find((s) => s.name === "create-memdesc-plugin");
  const core = staged.find((s) => s.name === "@memdesc/core");
  const memmap = staged.find((s) => s.name === "@memdesc/memmap");
  if (!scaffolder || !core || !memmap)
    throw new Error("no create-memdesc-plugin, @memdesc/core or @memdesc/memmap among the public packages");
  const { stampVersions } = await import(
    join(root, "packages", "create-plugin", "scripts", "stamp-versions.mjs")
  );
  const stamp = stampVersions({
    coreManifest: core.manifest,
    memmapManifest: memmap.manifest,
    out: join(scaffolder.dir, "stamp.json"),
  });
  await Promise.all(
    staged.map((s) => sh("npm", ["publish", "--tag", "latest", "--ignore-scripts"], { cwd: s.dir })),
  );
  return { staged, stamp };
}

async function main() {
  temp = mkdtempSync(join(tmpdir(), "memdesc-e2e-"));
  if (!relative(root, temp).startsWith("..")) throw new Error(`${temp} is inside the repository`);
  for (const d of ["registry", "cache", "work"]) mkdirSync(join(temp, d));
  const snapshot = `0.0.0-e2e-${new Date().toISOString().replace(/\D/g, "").slice(0, 14)}`;
  log(`temporary directory ${temp}; snapshot version ${snapshot}`);

  await step("build the workspace (turbo)", () =>
    sh("npx", ["turbo", "run", "build", "--output-logs=errors-only"], { cwd: root, env: process.env }),
  );

  const registry = await step("start Verdaccio on 127.0.0.1", () => startRegistry(join(temp, "registry")));
  log(
    `verdaccio ${registry.version} at ${registry.url} (proxying ${registry.upstream} for third-party packages)`,
  );
  const npmrc = join(temp, "npmrc");
  writeFileSync(
    npmrc,
    `registry=${registry.url}\n//127.0.0.1:${registry.port}/:_authToken=${registry.token}\n`,
  );
  npmEnv = makeEnv(registry.url, npmrc, join(temp, "cache"));

  const { staged, stamp } = await step("publish every public package at the snapshot version", () =>
    publishSnapshot(snapshot, join(temp, "registry")),
  );
  log(
    `published ${staged.map((s) => s.name).join(", ")}; the scaffolder peers plugins on core ${stamp.corePeer}`,
  );
  const view = await sh("npm", ["view", "@memdesc/core", "version"], { cwd: temp });
  expectIn(view, "npm view @memdesc/core version", snapshot);

  // --- The plugin author, following docs/plugins.md ---
  const work = join(temp, "work");
  const pluginDir = join(work, PLUGIN.dir);
  const scaffoldBlock = docBlock("sh", "npm init memdesc-plugin");
  const [initLine, ...afterInit] = scaffoldBlock.split("\n");
  await step(initLine, async () => {
    const { out } = await runDocCommands(initLine, work);
    expectIn(out, "npm init memdesc-plugin", `Created ${PLUGIN.name} (kind ${PLUGIN.kind}, pointer)`);
    const pkg = JSON.parse(readFileSync(join(pluginDir, "package.json"), "utf8"));
    if (pkg.peerDependencies["@memdesc/core"] !== stamp.corePeer)
      throw new Error(
        `the generated peer range on core is ${pkg.peerDependencies["@memdesc/core"]}, not ${stamp.corePeer}`,
      );
  });
  await step("npm install && npm test in the plugin (dependencies from the registry)", async () => {
    const { out } = await runDocCommands(afterInit.join("\n"), work);
    expectIn(out, "npm test", /Test Files\s+2 passed/);
    const installedCore = JSON.parse(
      readFileSync(join(pluginDir, "node_modules", "@memdesc", "core", "package.json"), "utf8"),
    ).version;
    if (installedCore !== snapshot)
      throw new Error(`the plugin installed @memdesc/core ${installedCore}, not ${snapshot}`);
  });
  await step("release the plugin with changesets", async () => {
    const { out } = await runDocCommands(docBlock("sh", "git init"), pluginDir);
    const version = JSON.parse(readFileSync(join(pluginDir, "package.json"), "utf8")).version;
    if (version !== "0.1.0") throw new Error(`changeset version made ${version}, not 0.1.0`);
    expectIn(out, "npm run release", `${PLUGIN.name}@0.1.0`);
    const published = await sh("npm", ["view", PLUGIN.name, "version"], { cwd: work });
    expectIn(published, `npm view ${PLUGIN.name}`, "0.1.0");
  });

  // --- A second project composing it ---
  const app = join(work, "app");
  mkdirSync(app);
  await step("a second project installs memdesc, @memdesc/folio, @memdesc/slab and the plugin", async () => {
    await sh("npm", ["init", "-y"], { cwd: app });
    await runDocCommands(docBlock("sh", "npm install memdesc"), app);
  });
  await step("compose them in a registry (code)", async () => {
    writeFileSync(
      join(app, "registry.mjs"),
      docBlock("js", 'import { createRegistry } from "@memdesc/core";'),
    );
    const out = await sh("node", ["registry.mjs"], { cwd: app });
    expectIn(out, "node registry.mjs", `buddy misc folio slab ${PLUGIN.kind}`);
    expectIn(out, "node registry.mjs", `pagetable is described by ${PLUGIN.kind}`);
    log(out.trim().replace(/\n/g, " | "));
  });
  await step("memdesc plugins and memdesc survey --snapshot with memdesc.config.json", async () => {
    writeFileSync(
      join(app, "memdesc.config.json"),
      docBlock("json", '{\n  "design": "memdesc-8",\n  "plugins"'),
    );
    const block = docBlock("sh", "npx memdesc plugins");
    const [pluginsLine, surveyLine] = block.trim().split("\n");
    const plugins = (await runDocCommands(pluginsLine, app)).out;
    expectIn(plugins, "memdesc plugins", "memdesc.config.json");
    expectIn(plugins, "memdesc plugins", new RegExp(`${PLUGIN.name}\\s+0\\.1\\.0\\s+${PLUGIN.kind}\\b`));
    const survey = (await runDocCommands(surveyLine, app)).out;
    expectIn(survey, "memdesc survey", new RegExp(`^pagetable\\s+${PLUGIN.kind}\\s`, "m"));
    expectIn(survey, "memdesc survey", PLUGIN.name);
    console.log(plugins.trim().split("\n").slice(0, 12).join("\n"));
    console.log(
      survey
        .split("\n")
        .filter((l) => /^(plugins:|use |file |slab |pagetable |total )/.test(l))
        .join("\n"),
    );
  });

  // --- The monorepo's own release script, against the same registry ---
  await step("npm run release (the monorepo's: build, check:packages, changeset publish)", async () => {
    // Publishing from the repository itself: make sure npm goes nowhere but the local registry.
    const target = (await sh("npm", ["config", "get", "registry"], { cwd: root })).trim();
    if (target !== registry.url) throw new Error(`npm would publish to ${target}, not ${registry.url}`);
    // --no-git-tag: the repository's tags are not this test's to make.
    const out = await sh("npm", ["run", "release", "--", "--no-git-tag"], { cwd: root });
    expectIn(out, "npm run release", /packages published successfully/);
    const released = workspaceDirs(root)
      .map((d) => JSON.parse(readFileSync(join(d, "package.json"), "utf8")))
      .filter((m) => !m.private);
    const views = await Promise.all(
      released.map((m) => sh("npm", ["view", `${m.name}@${m.version}`, "version"], { cwd: temp })),
    );
    for (const [i, m] of released.entries()) expectIn(views[i], `npm view ${m.name}@${m.version}`, m.version);
    log(`released ${released.map((m) => `${m.name}@${m.version}`).join(", ")}`);
  });
}

try {
  await main();
  log(`passed in ${seconds(performance.now() - started)}`);
  for (const [title, ms] of timings) log(`  ${seconds(ms).padStart(7)}  ${title}`);
} catch (err) {
  process.exitCode = 1;
  console.error(`e2e: FAILED: ${err instanceof Error ? err.message : err}`);
  for (const [title, ms] of timings) log(`  ${seconds(ms).padStart(7)}  ${title}`);
} finally {
  cleanup();
}
