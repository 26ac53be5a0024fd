import { readFileSync, realpathSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { MemdescError } from "@memdesc/core";
import { IommuPagesError } from "@memdesc/ioptdesc";
import { NetmemError } from "@memdesc/netmem";
import { ZsmallocError } from "@memdesc/zpdesc";
import semver from "semver";
import { describe, expect, it } from "vitest";
import { z } from "zod";
import { allPlugins, pluginPackages } from "./plugins.js";

/*
 * The packages as a user's project sees them: resolved through node_modules from this package, then each
 * plugin's own dependencies resolved from the plugin's directory. A plugin that bundled or pinned its own
 * zod or core would resolve to a second copy here, and its schemas and errors would stop being the user's.
 */

const here = dirname(fileURLToPath(import.meta.url));
const fromHere = createRequire(join(here, "..", "package.json"));
const packageDir = (name: string, from = fromHere) =>
  dirname(realpathSync(from.resolve(`${name}/package.json`)));
const manifest = (dir: string) =>
  JSON.parse(readFileSync(join(dir, "package.json"), "utf8")) as {
    name: string;
    version: string;
    private?: boolean;
    type?: string;
    peerDependencies?: Record<string, string>;
    dependencies?: Record<string, string>;
    exports?: Record<string, unknown>;
    files?: string[];
  };

const pluginDirs = Object.values(pluginPackages).map((name) => [name, packageDir(name)] as const);
const zodDir = packageDir("zod");
const coreDir = packageDir("@memdesc/core");

describe("installing core with every plugin", () => {
  it("finds every plugin package under its npm name", () => {
    for (const [name, dir] of pluginDirs) expect(manifest(dir).name).toBe(name);
  });

  it("resolves exactly one zod and one @memdesc/core from every plugin's directory", () => {
    for (const [name, dir] of pluginDirs) {
      const fromPlugin = createRequire(join(dir, "package.json"));
      expect(packageDir("zod", fromPlugin), `${name} → zod`).toBe(zodDir);
      expect(packageDir("@memdesc/core", fromPlugin), `${name} → @memdesc/core`).toBe(coreDir);
    }
    expect(packageDir("zod", createRequire(join(coreDir, "package.json"))), "core → zod").toBe(zodDir);
  });

  it("shares that one zod and core at run time: schemas and errors are the user's classes", () => {
    for (const p of allPlugins()) expect(p.schema, p.name).toBeInstanceOf(z.ZodType);
    const errors = [
      () => new ZsmallocError("x"),
      () => new NetmemError("x"),
      () => new IommuPagesError("BAD_SIZE", "x"),
    ];
    for (const make of errors) expect(make()).toBeInstanceOf(MemdescError);
  });

  it("declares core and zod as peer dependencies whose ranges include the installed versions", () => {
    const coreVersion = manifest(coreDir).version;
    const zodVersion = manifest(zodDir).version;
    for (const [name, dir] of pluginDirs) {
      const m = manifest(dir);
      const peers = m.peerDependencies ?? {};
      expect(Object.keys(peers).sort(), name).toEqual(["@memdesc/core", "zod"]);
      expect(
        semver.satisfies(coreVersion, peers["@memdesc/core"]!),
        `${name} peer core ${peers["@memdesc/core"]}`,
      ).toBe(true);
      expect(semver.satisfies(zodVersion, peers.zod!), `${name} peer zod ${peers.zod}`).toBe(true);
      // A regular dependency on either would install a second copy beside the user's.
      expect(Object.keys(m.dependencies ?? {}), name).not.toContain("zod");
      expect(Object.keys(m.dependencies ?? {}), name).not.toContain("@memdesc/core");
    }
  });

  it("publishes every plugin as an ESM-only package with types first", () => {
    for (const [name, dir] of pluginDirs) {
      const m = manifest(dir);
      expect(m.type, name).toBe("module");
      expect(m.private, name).toBeUndefined();
      expect(m.files, name).toContain("dist");
      const root = m.exports?.["."] as Record<string, string>;
      expect(Object.keys(root), name).toEqual(["types", "default"]);
    }
  });
});
