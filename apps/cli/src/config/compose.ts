import { existsSync, readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import {
  type AbiName,
  type AnyDescriptor,
  createRegistry,
  type Design,
  defineDesign,
  descriptorManifestSchema,
  type Registry,
  resolveDesign,
} from "@memdesc/core";
import type { z } from "zod";
import { hintFor, oneLine, UserError } from "../errors.js";
import { type ConfigChoice, findConfig, trustOrRefuse } from "./find.js";
import { configIssuesError, displayPath, type LoadedConfig, loadConfig } from "./load.js";
import type { PluginEntry } from "./schema.js";
import { settle } from "./settle.js";
import { syntaxPlace } from "./syntax.js";

/**
 * The first-party descriptor plugins, in the order composed when no config names a set: each package, and the
 * export that makes the plugin where a package has more than one (`@memdesc/folio`'s `anonFolio`, struct
 * anon_folio, bills anonymous memory under the plan's Anon type).
 */
export const firstPartySet: readonly { readonly package: string; readonly export?: string }[] = [
  { package: "@memdesc/folio", export: "folio" },
  { package: "@memdesc/folio", export: "anonFolio" },
  { package: "@memdesc/slab" },
  { package: "@memdesc/ptdesc" },
  { package: "@memdesc/ioptdesc" },
  { package: "@memdesc/zpdesc" },
  { package: "@memdesc/netmem" },
];

/** The first-party packages, each once. */
export const firstPartyPackages: readonly string[] = [...new Set(firstPartySet.map((e) => e.package))];

/** One plugin of the composed set and where it came from. */
export interface ComposedPlugin {
  readonly plugin: AnyDescriptor;
  /** The npm package it was loaded from (for a plugin object in a JS config, the plugin's own name). */
  readonly package: string;
  readonly version: string | undefined;
  /** `first-party` (no config), `config` (a package the config names), `object` (a plugin object in a JS config). */
  readonly from: "first-party" | "config" | "object";
  /** Where in the config it is: `plugins[2]`. */
  readonly key: string | undefined;
}

/** The descriptor set a run works with. */
export interface Composition {
  /** The config file used, if any. */
  readonly configFile: string | undefined;
  /** Which config was used and why (given, found and trusted, none found, or --no-config). */
  readonly config: ConfigChoice;
  readonly design: Design;
  readonly abi: AbiName;
  readonly plugins: readonly ComposedPlugin[];
  readonly registry: Registry<readonly AnyDescriptor[]>;
}

export interface ComposeOptions {
  readonly cwd?: string;
  /** `--config FILE`, or false for `--no-config`. */
  readonly config?: string | false | undefined;
  /** `--design NAME`: overrides the config's design. */
  readonly design?: string | undefined;
  /** `--abi NAME`: overrides the config's ABI. */
  readonly abi?: AbiName | undefined;
}

const cliRequire = createRequire(import.meta.url);

/**
 * Composes the descriptor set: the config file's design and plugins (found upward from the working directory,
 * or given with `--config`), or the first-party set; each plugin loaded by package name from the config's
 * directory, built with its options, checked to be a descriptor plugin, and composed into a registry.
 */
export async function compose(options: ComposeOptions = {}): Promise<Composition> {
  const cwd = options.cwd ?? process.cwd();
  const choice = findConfig(cwd, options.config);
  const loaded = choice.file ? await loadConfig(choice.file) : undefined;
  const design = pickDesign(loaded, options.design);
  const abi = options.abi ?? loaded?.config.abi ?? "lp64";
  const plugins =
    loaded?.config.plugins !== undefined
      ? await loadConfigPlugins(loaded.path, loaded.config.plugins, choice.how === "found" ? cwd : undefined)
      : await loadFirstParty();
  let registry: Registry<readonly AnyDescriptor[]>;
  try {
    registry = createRegistry({
      design,
      abi,
      plugins: plugins.map((p) => p.plugin) as readonly AnyDescriptor[],
    });
  } catch (err) {
    const e = err as Error & { code?: string };
    if (loaded && typeof e.code === "string")
      throw new UserError(`${displayPath(loaded.path)}: ${oneLine(e.message)}`, hintFor(e.code), {
        cause: err,
        code: e.code,
      });
    throw err;
  }
  return { configFile: loaded?.path, config: choice, design, abi, plugins, registry };
}

function pickDesign(loaded: LoadedConfig | undefined, flag: string | undefined): Design {
  if (flag !== undefined) return resolveDesign(flag);
  const d = loaded?.config.design;
  if (d === undefined) return resolveDesign(undefined);
  const file = loaded!.path;
  if (typeof d === "string") {
    try {
      return resolveDesign(d);
    } catch (err) {
      throw new UserError(
        `${displayPath(file)}: design: ${(err as Error).message}`,
        hintFor("UNKNOWN_DESIGN"),
        {
          cause: err,
          code: "UNKNOWN_DESIGN",
        },
      );
    }
  }
  try {
    return defineDesign(d as Parameters<typeof defineDesign>[0]);
  } catch (err) {
    const issues = (err as { issues?: z.core.$ZodIssue[] }).issues;
    if (issues)
      throw configIssuesError(file, issues, "design", "a design object follows @memdesc/core's designSchema");
    throw err;
  }
}

async function loadFirstParty(): Promise<ComposedPlugin[]> {
  const out: ComposedPlugin[] = [];
  for (const { package: name, export: exported } of firstPartySet) {
    const where = resolvePackage(name, dirname(fileURLToPath(import.meta.url)));
    if (!where)
      throw new UserError(
        `the first-party plugin ${name} is not installed`,
        "reinstall memdesc (npm ci in the repository), or name the plugins you have in memdesc.config.json",
        { code: "PLUGIN_NOT_FOUND" },
      );
    const plugin = await instantiate(name, where.entry, undefined, exported, (m) => `${name}: ${m}`);
    out.push({ plugin, package: name, version: where.version, from: "first-party", key: undefined });
  }
  return out;
}

/**
 * Loads the plugins a config lists. For a config memdesc found by itself (`checkFrom`: the working directory,
 * for messages), each package's entry must pass the same trust check as the config: Node resolves a package
 * name upward through every node_modules, so a package missing from the project would otherwise be taken from
 * whatever /tmp/node_modules someone left.
 */
async function loadConfigPlugins(
  file: string,
  entries: readonly PluginEntry[],
  checkFrom: string | undefined,
): Promise<ComposedPlugin[]> {
  const shown = displayPath(file);
  const dir = dirname(file);
  const out: ComposedPlugin[] = [];
  for (const [i, entry] of entries.entries()) {
    const key = `plugins[${i}]`;
    if (typeof entry === "object" && entry !== null && "kind" in entry) {
      const plugin = checkPlugin(entry, (m) => `${shown}: ${key}: ${m}`);
      out.push({
        plugin,
        package: plugin.name,
        version: plugin.version,
        from: "object",
        key,
      });
      continue;
    }
    const spec =
      typeof entry === "string"
        ? { package: entry }
        : (entry as { package: string; options?: Record<string, unknown>; export?: string });
    const name = spec.package;
    const fromProject = resolvePackage(name, dir);
    const where =
      fromProject ??
      (firstPartyPackages.includes(name)
        ? resolvePackage(name, dirname(fileURLToPath(import.meta.url)))
        : undefined);
    if (!where)
      throw new UserError(
        `${shown}: ${key}: cannot find package "${name}" from ${displayPath(dir)}`,
        `install it in that project (npm install ${name}), or fix the name`,
        { code: "PLUGIN_NOT_FOUND" },
      );
    // The CLI's own first-party packages are part of the program, not of the project.
    if (checkFrom !== undefined && fromProject) trustOrRefuse(where.entry, `plugin "${name}"`, checkFrom);
    const plugin = await instantiate(
      name,
      where.entry,
      spec.options,
      spec.export,
      (m) => `${shown}: ${key} ("${name}"): ${m}`,
      {
        file: shown,
        key,
      },
    );
    out.push({ plugin, package: name, version: where.version ?? plugin.version, from: "config", key });
  }
  return out;
}

/** Imports a plugin package, finds its factory (or plugin object), builds it with the options and checks it. */
async function instantiate(
  name: string,
  entry: string,
  options: Record<string, unknown> | undefined,
  exportName: string | undefined,
  where: (message: string) => string,
  site?: { file: string; key: string },
): Promise<AnyDescriptor> {
  const label = site ? `plugin "${name}" (${site.key} in ${site.file})` : `plugin "${name}"`;
  const stuck = `${name} is broken, or awaits something at load time that never comes: reinstall it, or report it to its authors`;
  let mod: Record<string, unknown>;
  try {
    mod = (await settle(`${label}: its import`, stuck, () => import(pathToFileURL(entry).href))) as Record<
      string,
      unknown
    >;
  } catch (err) {
    if (err instanceof UserError) throw err;
    const place = syntaxPlace(entry, err);
    const detail = place
      ? `syntax error at ${entry}:${place.line}:${place.column}: ${place.message}`
      : (err as Error).message.split("\n")[0];
    throw new UserError(where(`cannot be loaded: ${detail}`), "reinstall the package, or run with --debug", {
      cause: err,
      code: "PLUGIN_LOAD",
    });
  }
  const [exported, value] = pickExport(mod, name, exportName, where);
  let made: unknown = value;
  if (typeof value === "function") {
    try {
      made = await settle(`${label}: ${exported}()`, stuck, () =>
        (value as (o?: unknown) => unknown)(options),
      );
    } catch (err) {
      if (err instanceof UserError) throw err;
      // defineDescriptor() rejected what the plugin built: the plugin's bug, whatever the options were.
      if (isManifestError(err)) throw invalidDescriptor(name, err as Error);
      const issues = (err as { issues?: z.core.$ZodIssue[] }).issues;
      if (site && Array.isArray(issues))
        throw configIssuesError(
          site.file,
          issues,
          `${site.key}.options`,
          `see ${name}'s README for its options`,
        );
      throw new UserError(
        where(
          `${exported}(${options ? "options" : ""}) failed: ${(err as Error).message.split("\n").join("; ")}`,
        ),
        `see ${name}'s README for its options`,
        {
          cause: err,
          code: "BAD_PLUGIN_OPTIONS",
        },
      );
    }
  } else if (options !== undefined) {
    throw new UserError(
      where(`options were given, but export "${exported}" is a plugin object, not a factory`),
      'remove "options"',
      {
        code: "BAD_PLUGIN_OPTIONS",
      },
    );
  }
  return checkPlugin(
    made,
    (m) =>
      where(
        `${exported === "default" ? "the default export" : `export "${exported}"`}${typeof value === "function" ? "()" : ""}: ${m}`,
      ),
    name,
  );
}

/** An error from defineDescriptor(): the manifest the plugin built failed core's schema. */
const isManifestError = (err: unknown): boolean =>
  err instanceof Error && (err.name === "PluginError" || (err as { code?: unknown }).code === "BAD_PLUGIN");

/** `plugin "X" built an invalid descriptor: kind: …`, blamed on the plugin, not on the user's config. */
function invalidDescriptor(name: string, err: Error & { issues?: readonly z.core.$ZodIssue[] }): UserError {
  const issues = err.issues;
  const detail = Array.isArray(issues)
    ? issues.map((i) => `${i.path.map(String).join(".") || "(plugin)"}: ${i.message}`).join("; ")
    : oneLine(err.message);
  return new UserError(
    `plugin "${name}" built an invalid descriptor: ${detail}`,
    `this is a bug in ${name}, not in your config: report it to its authors, or use a version that works`,
    { cause: err, code: "BAD_PLUGIN" },
  );
}

const isPluginLike = (v: unknown): v is Record<string, unknown> =>
  typeof v === "object" && v !== null && "kind" in v && "schema" in v;

/**
 * The export to use: the one the config names, else the default export, else the export named after the
 * package (`@memdesc/folio` → `folio`, `memdesc-plugin-my-desc` → `myDesc`), else the only plugin-like export.
 */
function pickExport(
  mod: Record<string, unknown>,
  name: string,
  exportName: string | undefined,
  where: (message: string) => string,
): [string, unknown] {
  const names = Object.keys(mod).filter((k) => k !== "__esModule");
  if (exportName !== undefined) {
    if (!(exportName in mod))
      throw new UserError(
        where(`has no export "${exportName}" (exports: ${names.join(", ") || "none"})`),
        'fix "export"',
        {
          code: "BAD_PLUGIN",
        },
      );
    return [exportName, mod[exportName]];
  }
  let scope = mod;
  const d = mod.default;
  if (d !== undefined) {
    if (typeof d === "function" || isPluginLike(d)) return ["default", d];
    // A CommonJS module: its exports object arrives as the default export.
    if (typeof d === "object" && d !== null) scope = d as Record<string, unknown>;
  }
  const base = name
    .replace(/^@[^/]+\//, "")
    .replace(/^memdesc-plugin-/, "")
    .replace(/^memdesc-/, "");
  const camel = base.replace(/[-.]([a-z0-9])/g, (_, c: string) => c.toUpperCase());
  for (const n of [camel, base])
    if (typeof scope[n] === "function" || isPluginLike(scope[n])) return [n, scope[n]];
  const candidates = Object.entries(scope).filter(([, v]) => typeof v === "function" || isPluginLike(v));
  if (candidates.length === 1) return candidates[0]!;
  const listed = candidates.slice(0, 5).map(([k]) => k);
  const more = candidates.length > 5 ? `, … ${candidates.length - 5} more` : "";
  throw new UserError(
    where(
      `exports no descriptor plugin: no default export and no export named "${camel}"${candidates.length > 1 ? ` (exports: ${listed.join(", ")}${more})` : ""}`,
    ),
    'a plugin package exports a factory made with defineDescriptor(); name it with { "package": …, "export": "NAME" }',
    { code: "BAD_PLUGIN" },
  );
}

/**
 * Checks a value is a descriptor plugin: an object with kind, name and a zod schema, that passes core's
 * manifest. A package's plugin (`pkg`) that fails the manifest is the package's bug, and is blamed on it.
 */
function checkPlugin(value: unknown, where: (message: string) => string, pkg?: string): AnyDescriptor {
  if (!isPluginLike(value) || typeof value.name !== "string")
    throw new UserError(
      where(`is not a descriptor plugin (${describe(value)}); a plugin has kind, name and schema`),
      "a plugin is what defineDescriptor() from @memdesc/core returns",
      {
        code: "NOT_A_PLUGIN",
      },
    );
  const result = descriptorManifestSchema.safeParse(value);
  if (!result.success && pkg !== undefined)
    throw invalidDescriptor(
      pkg,
      Object.assign(new Error("invalid descriptor"), { issues: result.error.issues }),
    );
  if (!result.success) {
    const text = result.error.issues.map((i) => `${i.path.join(".") || "(plugin)"}: ${i.message}`).join("; ");
    throw new UserError(
      where(`is not a valid descriptor plugin: ${text}`),
      "a plugin is what defineDescriptor() from @memdesc/core returns",
      {
        code: "NOT_A_PLUGIN",
      },
    );
  }
  return value as unknown as AnyDescriptor;
}

function describe(v: unknown): string {
  if (v === null) return "null";
  if (Array.isArray(v)) return "an array";
  if (typeof v === "object") {
    const keys = Object.keys(v as object);
    return `an object with ${keys.length ? `keys ${keys.slice(0, 5).join(", ")}${keys.length > 5 ? ", …" : ""}` : "no keys"}`;
  }
  return typeof v === "function" ? "a function" : `${typeof v} ${JSON.stringify(v)}`;
}

/**
 * Finds an installed package from a directory as Node would (node_modules upward, workspaces, symlinks),
 * and the file its ESM entry point is. Packages whose `exports` have no `require` condition are found by
 * walking node_modules and reading `exports` ourselves.
 */
export function resolvePackage(
  name: string,
  fromDir: string,
): { entry: string; version: string | undefined } | undefined {
  const req = createRequire(join(fromDir, "__memdesc__.js"));
  let entry: string | undefined;
  try {
    entry = req.resolve(name);
  } catch (err) {
    const code = (err as { code?: string }).code;
    if (code !== "ERR_PACKAGE_PATH_NOT_EXPORTED" && code !== "MODULE_NOT_FOUND") throw err;
    entry = resolveByWalking(name, fromDir);
  }
  if (!entry) return undefined;
  return { entry, version: packageVersion(name, entry) };
}

function resolveByWalking(name: string, fromDir: string): string | undefined {
  for (let dir = fromDir; ; dir = dirname(dir)) {
    const pkgDir = join(dir, "node_modules", name);
    const pkgJson = join(pkgDir, "package.json");
    if (existsSync(pkgJson)) {
      const pkg = JSON.parse(readFileSync(pkgJson, "utf8")) as {
        exports?: unknown;
        main?: string;
        module?: string;
      };
      const target = exportTarget(pkg.exports) ?? pkg.module ?? pkg.main ?? "index.js";
      const file = join(pkgDir, target);
      return existsSync(file) ? file : undefined;
    }
    if (dirname(dir) === dir) return undefined;
  }
}

/** The `.` entry of an `exports` field for `import`: a string, or the first of import / node / default. */
function exportTarget(exports: unknown): string | undefined {
  if (typeof exports === "string") return exports;
  if (!exports || typeof exports !== "object") return undefined;
  const e = exports as Record<string, unknown>;
  const dot = "." in e ? e["."] : Object.keys(e).some((k) => k.startsWith(".")) ? undefined : e;
  const pick = (v: unknown): string | undefined => {
    if (typeof v === "string") return v;
    if (Array.isArray(v)) return v.map(pick).find(Boolean);
    if (v && typeof v === "object") {
      const o = v as Record<string, unknown>;
      for (const c of ["import", "node", "default"]) if (c in o) return pick(o[c]);
    }
    return undefined;
  };
  return pick(dot);
}

/** The version in the package.json of `name` that contains `entry`. */
function packageVersion(name: string, entry: string): string | undefined {
  for (let dir = dirname(entry); ; dir = dirname(dir)) {
    const p = join(dir, "package.json");
    if (existsSync(p)) {
      try {
        const pkg = JSON.parse(readFileSync(p, "utf8")) as { name?: string; version?: string };
        if (pkg.name === name) return pkg.version;
      } catch {
        // not the package's own manifest; keep walking
      }
    }
    if (dirname(dir) === dir) return undefined;
  }
}

/** For `memdesc plugins`: the CLI's own version, from its package.json. */
export function cliVersion(): string {
  return (cliRequire("../../package.json") as { version: string }).version;
}
