#!/usr/bin/env node
// Writes stamp.json: the @memdesc/core version this scaffolder is released with, the peer and dev ranges a
// generated plugin declares on it (and its dev range on @memdesc/memmap), core's memory uses and built-in kinds,
// and the tool versions the monorepo pins (zod, vitest, typescript, …), so a plugin scaffolded today tracks the
// release it was made with and the scaffolder needs no copy of core at run time. Run by `npm run build`; the
// registry e2e runs it again on its snapshot copy (`stampVersions({ coreManifest, memmapManifest, out })`).
import { readFileSync, writeFileSync } from "node:fs";
import { dirname, join, normalize } from "node:path";
import { fileURLToPath } from "node:url";
import { builtinKinds, memoryUses, unbackedUses } from "@memdesc/core";

const here = dirname(fileURLToPath(import.meta.url));
const packageDir = join(here, "..");
const repoRoot = join(packageDir, "..", "..");

/** The devDependencies a generated plugin gets, pinned as the monorepo pins them. */
const TOOLS = ["@changesets/cli", "@types/node", "typescript", "vitest", "zod"];

/**
 * The peer range a plugin declares on core: every later release of the same major. During 0.x that is
 * `>=0.N.0 <1`, so a minor core release (which changesets treats as breaking under `^0.N`) neither makes
 * npm refuse the plugin nor makes changesets give every plugin a major bump.
 */
export function corePeerRange(version) {
  const m = /^(\d+)\.(\d+)\.(\d+)(-.+)?$/.exec(version);
  if (!m) throw new Error(`@memdesc/core has version "${version}", which is not semver`);
  const [, major, minor, , pre] = m;
  if (pre) return major === "0" ? `>=${version} <1` : `>=${version} <${Number(major) + 1}`;
  return major === "0" ? `>=0.${minor}.0 <1` : `^${major}.${minor}.0`;
}

export function stampVersions({
  coreManifest = JSON.parse(readFileSync(join(packageDir, "..", "core", "package.json"), "utf8")),
  memmapManifest = JSON.parse(readFileSync(join(packageDir, "..", "memmap", "package.json"), "utf8")),
  rootManifest = JSON.parse(readFileSync(join(repoRoot, "package.json"), "utf8")),
  out = join(packageDir, "stamp.json"),
} = {}) {
  const dev = rootManifest.devDependencies ?? {};
  const missing = TOOLS.filter((t) => !dev[t]);
  if (missing.length > 0) throw new Error(`the root package.json pins no ${missing.join(", ")}`);
  const versions = {
    core: coreManifest.version,
    corePeer: corePeerRange(coreManifest.version),
    coreDev: `^${coreManifest.version}`,
    zodPeer: coreManifest.peerDependencies?.zod ?? "^4.0.0",
    memmapDev: `^${memmapManifest.version}`,
    devDependencies: Object.fromEntries(TOOLS.map((t) => [t, dev[t]])),
    // Uses with no struct page (holes) cannot be described by a plugin.
    memoryUses: Object.entries(memoryUses)
      .filter(([name]) => !unbackedUses.has(name))
      .map(([name, description]) => ({ name, description })),
    builtinKinds: builtinKinds.map((k) => k.kind),
  };
  writeFileSync(out, `${JSON.stringify(versions, null, 2)}\n`);
  return versions;
}

if (normalize(process.argv[1] ?? "") === fileURLToPath(import.meta.url)) stampVersions();
