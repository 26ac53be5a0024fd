import { execFile } from "node:child_process";
import {
  cpSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { afterAll, describe, expect, it } from "vitest";

/*
 * The release flow's versioning, run for real: `changeset status` and `changeset version` in throwaway
 * copies of the monorepo's manifests and changesets config (a git repository on branch main), with a
 * changeset that bumps @memdesc/core. A minor core release must not give every plugin a major bump.
 */

const run = promisify(execFile);
const root = join(dirname(fileURLToPath(import.meta.url)), "..", "..", "..");
const changesetBin = join(root, "node_modules", "@changesets", "cli", "bin.js");
const readJson = (path: string) => JSON.parse(readFileSync(path, "utf8"));
const config = readJson(join(root, ".changeset", "config.json"));
const rootManifest = readJson(join(root, "package.json"));

interface Manifest {
  name: string;
  version: string;
  private?: boolean;
  peerDependencies?: Record<string, string>;
  dependencies?: Record<string, string>;
  devDependencies?: Record<string, string>;
}

const workspaceDirs = (rootManifest.workspaces as string[]).flatMap((w) => {
  const base = w.replace(/\/\*$/, "");
  return readdirSync(join(root, base))
    .map((d) => `${base}/${d}`)
    .filter((d) => {
      try {
        readFileSync(join(root, d, "package.json"));
        return true;
      } catch {
        return false;
      }
    });
});
const manifests = new Map<string, Manifest>(
  workspaceDirs.map((d) => [d, readJson(join(root, d, "package.json"))]),
);
const core = [...manifests.values()].find((m) => m.name === "@memdesc/core")!;
/** Packages that peer-depend on core: the descriptor plugins. */
const plugins = [...manifests.values()]
  .filter((m) => m.peerDependencies?.["@memdesc/core"])
  .map((m) => m.name);

const made: string[] = [];
afterAll(() => {
  for (const d of made) rmSync(d, { recursive: true, force: true });
});

interface Release {
  name: string;
  type: "major" | "minor" | "patch" | "none";
  oldVersion: string;
  newVersion: string;
}

/** A throwaway copy with one changeset; `edit` may change a manifest or the config first. */
async function copyWith(
  bump: "minor" | "major",
  edit: { config?: (c: Record<string, unknown>) => void; manifest?: (dir: string, m: Manifest) => void } = {},
) {
  const dir = mkdtempSync(join(tmpdir(), "memdesc-release-"));
  made.push(dir);
  mkdirSync(join(dir, ".changeset"));
  const c = structuredClone(config);
  edit.config?.(c);
  writeFileSync(join(dir, ".changeset", "config.json"), JSON.stringify(c, null, 2));
  cpSync(join(root, "package.json"), join(dir, "package.json"));
  for (const [d, m] of manifests) {
    mkdirSync(join(dir, d), { recursive: true });
    const copy = structuredClone(m);
    edit.manifest?.(d, copy);
    writeFileSync(join(dir, d, "package.json"), JSON.stringify(copy, null, 2));
  }
  // The changelog generator is resolved from the config's directory.
  symlinkSync(join(root, "node_modules"), join(dir, "node_modules"));
  const git = (...args: string[]) => run("git", args, { cwd: dir });
  await git("init", "-q", "-b", "main");
  await git("add", "-A");
  await git("-c", "user.name=t", "-c", "user.email=t@t.invalid", "commit", "-q", "-m", "base");
  writeFileSync(
    join(dir, ".changeset", "core-bump.md"),
    `---\n"@memdesc/core": ${bump}\n---\n\nA core ${bump}.\n`,
  );
  return dir;
}

async function plan(dir: string): Promise<Map<string, Release>> {
  await run(process.execPath, [changesetBin, "status", "--output", "plan.json"], { cwd: dir });
  const { releases } = readJson(join(dir, "plan.json")) as { releases: Release[] };
  return new Map(releases.map((r) => [r.name, r]));
}

const nextMinor = (v: string) => v.replace(/^(\d+)\.(\d+)\..*$/, (_, a, b) => `${a}.${Number(b) + 1}.0`);

describe("the changesets configuration", () => {
  it("publishes publicly from main, updates internal dependents, and leaves in-range peers alone", () => {
    expect(config).toMatchObject({
      access: "public",
      baseBranch: "main",
      updateInternalDependencies: "patch",
      privatePackages: { version: false, tag: false },
      ___experimentalUnsafeOptions_WILL_CHANGE_IN_PATCH: { onlyUpdatePeerDependentsWhenOutOfRange: true },
    });
  });

  it("has root scripts that keep the lockfile in step and gate publishing on the package checks", () => {
    expect(rootManifest.scripts["version-packages"]).toBe(
      "changeset version && npm install --package-lock-only",
    );
    expect(rootManifest.scripts.release).toMatch(
      /turbo run build.*&& npm run check:packages && changeset publish$/,
    );
  });

  it("has plugins that peer on core with a range covering the next minor", () => {
    expect(plugins.length).toBeGreaterThanOrEqual(6);
    for (const m of manifests.values())
      if (m.peerDependencies?.["@memdesc/core"])
        expect(m.peerDependencies["@memdesc/core"], m.name).toBe(
          `>=${core.version.replace(/\.\d+$/, ".0")} <1`,
        );
  });
});

describe("a minor @memdesc/core release", () => {
  it("bumps core a minor and no plugin a major (changeset status)", async () => {
    const releases = await plan(await copyWith("minor"));
    expect(releases.get("@memdesc/core")).toMatchObject({
      type: "minor",
      newVersion: nextMinor(core.version),
    });
    for (const name of plugins) expect(releases.get(name)?.type ?? "none", name).not.toBe("major");
  }, 60_000);

  it("leaves every plugin's version and peer range alone, and patches regular dependents (changeset version)", async () => {
    const dir = await copyWith("minor");
    await run(process.execPath, [changesetBin, "version"], { cwd: dir });
    const after = new Map(
      [...manifests.keys()].map((d) => [d, readJson(join(dir, d, "package.json")) as Manifest]),
    );
    for (const [d, m] of after) {
      const before = manifests.get(d)!;
      if (m.name === "@memdesc/core") expect(m.version).toBe(nextMinor(core.version));
      else if (plugins.includes(m.name)) {
        expect(m.version, m.name).toBe(before.version);
        expect(m.peerDependencies, m.name).toEqual(before.peerDependencies);
        // The workspace copy they develop against follows core.
        if (m.devDependencies?.["@memdesc/core"])
          expect(m.devDependencies["@memdesc/core"], m.name).toBe(`^${nextMinor(core.version)}`);
      } else if (m.dependencies?.["@memdesc/core"] && !m.private) {
        expect(m.dependencies["@memdesc/core"], m.name).toBe(`^${nextMinor(core.version)}`);
        expect(m.version, m.name).not.toBe(before.version);
      }
    }
  }, 60_000);

  // Controls: the two settings that make the difference, each taken away, do give the plugins a major.
  it("would major a plugin whose peer range is ^core (the default caret range)", async () => {
    const victim = plugins[0]!;
    const releases = await plan(
      await copyWith("minor", {
        manifest: (_, m) => {
          if (m.name === victim) m.peerDependencies!["@memdesc/core"] = `^${core.version}`;
        },
      }),
    );
    expect(releases.get(victim)?.type).toBe("major");
  }, 60_000);

  it("would major every plugin without onlyUpdatePeerDependentsWhenOutOfRange", async () => {
    const releases = await plan(
      await copyWith("minor", {
        config: (c) => {
          delete c.___experimentalUnsafeOptions_WILL_CHANGE_IN_PATCH;
        },
      }),
    );
    for (const name of plugins) expect(releases.get(name)?.type, name).toBe("major");
  }, 60_000);
});

describe("a major @memdesc/core release", () => {
  it("takes core out of the plugins' peer range, so they get a major bump", async () => {
    const releases = await plan(await copyWith("major"));
    expect(releases.get("@memdesc/core")?.newVersion).toBe("1.0.0");
    for (const name of plugins) expect(releases.get(name)?.type, name).toBe("major");
  }, 60_000);
});
