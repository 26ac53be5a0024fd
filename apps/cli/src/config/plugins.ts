import { dirname } from "node:path";
import { pathToFileURL } from "node:url";
import {
  type AnyDescriptor,
  descriptorManifestSchema,
  isMemdescError,
  issuesOf,
  type MemdescIssue,
} from "@memdesc/core";
import type { z } from "zod";
import { UserError } from "../errors.js";
import { displayPath } from "../io/path.js";
import { trustOrRefuse } from "./find.js";
import { cliDir, resolvePackage } from "./resolve.js";
import type { PluginEntry } from "./schema.js";
import { settle } from "./settle.js";
import { syntaxPlace } from "./syntax.js";

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

/** Where a plugin entry is: the config file as shown, the entry's index and key, and its package. */
interface Site {
  readonly file: string;
  readonly index: number;
  readonly key: string;
}

/**
 * Loads the plugins a config lists. For a config memdesc found by itself (`checkFrom`: the working directory,
 * for messages), each package's entry must pass the same trust check as the config: Node resolves a package
 * name upward through every node_modules, so a package missing from the project would otherwise be taken from
 * whatever /tmp/node_modules someone left.
 */
export async function loadConfigPlugins(
  file: string,
  entries: readonly PluginEntry[],
  checkFrom: string | undefined,
): Promise<ComposedPlugin[]> {
  const { firstPartyPackages } = await import("@memdesc/first-party");
  const shown = displayPath(file);
  const dir = dirname(file);
  const out: ComposedPlugin[] = [];
  for (const [index, entry] of entries.entries()) {
    const key = `plugins[${index}]`;
    const site: Site = { file: shown, index, key };
    if (typeof entry === "object" && entry !== null && "kind" in entry) {
      const plugin = checkPlugin(entry, `${shown}: ${key}`);
      out.push({ plugin, package: plugin.name, version: plugin.version, from: "object", key });
      continue;
    }
    const spec =
      typeof entry === "string"
        ? { package: entry }
        : (entry as { package: string; options?: Record<string, unknown>; export?: string });
    const name = spec.package;
    const fromProject = resolvePackage(name, dir);
    const where =
      fromProject ?? (firstPartyPackages.includes(name) ? resolvePackage(name, cliDir()) : undefined);
    if (!where)
      throw new UserError(
        {
          subject: `${shown}: ${key}`,
          issues: [{ path: [], message: `cannot find package "${name}" from ${displayPath(dir)}` }],
        },
        `install it in that project (npm install ${name}), or fix the name`,
        { code: "PLUGIN_NOT_FOUND" },
      );
    // The CLI's own first-party packages are part of the program, not of the project.
    if (checkFrom !== undefined && fromProject) trustOrRefuse(where.entry, `plugin "${name}"`, checkFrom);
    const plugin = await instantiate(name, where.entry, spec.options, spec.export, site);
    out.push({ plugin, package: name, version: where.version ?? plugin.version, from: "config", key });
  }
  return out;
}

/** A UserError about a plugin entry: one issue, the entry as its subject. */
const entryError = (subject: string, message: string, hint: string, code: string, cause?: unknown) =>
  new UserError({ subject, issues: [{ path: [], message }] }, hint, { code, cause });

/** Imports a plugin package, finds its factory (or plugin object), builds it with the options and checks it. */
async function instantiate(
  name: string,
  entry: string,
  options: Record<string, unknown> | undefined,
  exportName: string | undefined,
  site: Site,
): Promise<AnyDescriptor> {
  const subject = `${site.file}: ${site.key} ("${name}")`;
  const label = `plugin "${name}" (${site.key} in ${site.file})`;
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
      : (err as Error).message;
    throw entryError(
      subject,
      `cannot be loaded: ${detail}`,
      "reinstall the package, or run with --debug",
      "PLUGIN_LOAD",
      err,
    );
  }
  const [exported, value] = pickExport(mod, name, exportName, subject);
  let made: unknown = value;
  if (typeof value === "function") {
    try {
      made = await settle(`${label}: ${exported}()`, stuck, () =>
        (value as (o?: unknown) => unknown)(options),
      );
    } catch (err) {
      if (err instanceof UserError) throw err;
      // defineDescriptor() rejected what the plugin built: the plugin's bug, whatever the options were.
      if (isMemdescError(err) && err.code === "BAD_PLUGIN") throw invalidDescriptor(name, err.issues, err);
      // Options the factory refused, as data (a MemdescError's issues, or a ZodError's): each at its key.
      const issues: readonly MemdescIssue[] | undefined = isMemdescError(err)
        ? err.issues
        : Array.isArray((err as { issues?: unknown }).issues)
          ? issuesOf((err as { issues: z.core.$ZodIssue[] }).issues)
          : undefined;
      const hint = `see ${name}'s README for its options`;
      if (issues)
        throw new UserError(
          {
            subject: site.file,
            issues: issues.map((i) => ({ ...i, path: ["plugins", site.index, "options", ...i.path] })),
          },
          hint,
          { cause: err, code: "BAD_CONFIG" },
        );
      throw entryError(
        subject,
        `${exported}(${options ? "options" : ""}) failed: ${(err as Error).message}`,
        hint,
        "BAD_PLUGIN_OPTIONS",
        err,
      );
    }
  } else if (options !== undefined) {
    throw entryError(
      subject,
      `options were given, but export "${exported}" is a plugin object, not a factory`,
      'remove "options"',
      "BAD_PLUGIN_OPTIONS",
    );
  }
  const what = `${exported === "default" ? "the default export" : `export "${exported}"`}${typeof value === "function" ? "()" : ""}`;
  return checkPlugin(made, `${subject}: ${what}`, name);
}

/** `plugin "X" built an invalid descriptor: kind: …`, blamed on the plugin, not on the user's config. */
function invalidDescriptor(name: string, issues: readonly MemdescIssue[], cause?: unknown): UserError {
  return new UserError(
    {
      subject: `plugin "${name}" built an invalid descriptor`,
      issues: issues.map((i) => (i.path.length > 0 ? i : { ...i, path: ["(plugin)"] })),
    },
    `this is a bug in ${name}, not in your config: report it to its authors, or use a version that works`,
    { cause, code: "BAD_PLUGIN" },
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
  subject: string,
): [string, unknown] {
  const names = Object.keys(mod).filter((k) => k !== "__esModule");
  if (exportName !== undefined) {
    if (!(exportName in mod))
      throw entryError(
        subject,
        `has no export "${exportName}" (exports: ${names.join(", ") || "none"})`,
        'fix "export"',
        "BAD_PLUGIN",
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
  throw entryError(
    subject,
    `exports no descriptor plugin: no default export and no export named "${camel}"${candidates.length > 1 ? ` (exports: ${listed.join(", ")}${more})` : ""}`,
    'a plugin package exports a factory made with defineDescriptor(); name it with { "package": …, "export": "NAME" }',
    "BAD_PLUGIN",
  );
}

/**
 * Checks a value is a descriptor plugin: an object with kind, name and a zod schema, that passes core's
 * manifest. A package's plugin (`pkg`) that fails the manifest is the package's bug, and is blamed on it.
 */
function checkPlugin(value: unknown, subject: string, pkg?: string): AnyDescriptor {
  const hint = "a plugin is what defineDescriptor() from @memdesc/core returns";
  if (!isPluginLike(value) || typeof value.name !== "string")
    throw entryError(
      subject,
      `is not a descriptor plugin (${describe(value)}); a plugin has kind, name and schema`,
      hint,
      "NOT_A_PLUGIN",
    );
  const result = descriptorManifestSchema.safeParse(value);
  if (!result.success && pkg !== undefined) throw invalidDescriptor(pkg, issuesOf(result.error.issues));
  if (!result.success)
    throw new UserError(
      {
        subject: `${subject}: is not a valid descriptor plugin`,
        issues: issuesOf(result.error.issues).map((i) =>
          i.path.length > 0 ? i : { ...i, path: ["(plugin)"] },
        ),
      },
      hint,
      { code: "NOT_A_PLUGIN" },
    );
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
