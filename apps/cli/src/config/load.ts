import { readFileSync } from "node:fs";
import { extname } from "node:path";
import { pathToFileURL } from "node:url";
import { issuesOf } from "@memdesc/core";
import type { Jiti } from "jiti";
import type { z } from "zod";
import { UserError } from "../errors.js";
import { displayPath } from "../io/path.js";
import { readJsonFile } from "./json-file.js";
import { type Config, configSchema } from "./schema.js";
import { settle } from "./settle.js";
import { type SyntaxPlace, syntaxPlace } from "./syntax.js";

/** A config file, read and validated. */
export interface LoadedConfig {
  readonly path: string;
  readonly config: Config;
}

const configHint = "see `memdesc plugins --help` for the config file's form";

/** The config's validation issues as one user error naming the file and each key. */
export function configIssuesError(file: string, issues: readonly z.core.$ZodIssue[]): UserError {
  return new UserError({ subject: displayPath(file), issues: issuesOf(issues) }, configHint, {
    code: "BAD_CONFIG",
  });
}

/** Reads a config file: JSON parsed, JS imported, TypeScript imported through jiti; then checked by zod. */
export async function loadConfig(path: string): Promise<LoadedConfig> {
  const raw = await readConfigValue(path);
  const result = configSchema.safeParse(raw);
  if (!result.success) throw configIssuesError(path, result.error.issues);
  return { path, config: result.data };
}

const loadHint = "fix the config file, or run with --debug for the stack";

async function readConfigValue(path: string): Promise<unknown> {
  const ext = extname(path);
  const shown = displayPath(path);
  if (ext === ".json")
    return readJsonFile(path, shown, {
      code: "BAD_CONFIG",
      what: "config",
      hint: "check the file's permissions",
    });
  let mod: Record<string, unknown>;
  if (ext === ".ts" || ext === ".mts" || ext === ".cts") {
    const jiti = await loadJiti(shown);
    try {
      mod = (await settle(`${shown}: its import`, loadHint, () => jiti.import(path))) as Record<
        string,
        unknown
      >;
    } catch (err) {
      throw moduleLoadError(path, shown, err, () => tsSyntaxPlace(jiti, path));
    }
  } else {
    try {
      mod = (await settle(
        `${shown}: its import`,
        loadHint,
        () => import(pathToFileURL(path).href),
      )) as Record<string, unknown>;
    } catch (err) {
      throw moduleLoadError(path, shown, err);
    }
  }
  // A CommonJS config arrives as the default export (module.exports); an ES module must export one.
  if (!("default" in mod))
    throw new UserError(
      `${shown}: has no default export${namedExports(mod)}`,
      "export the config: `export default { plugins: [...] }`",
      { code: "BAD_CONFIG" },
    );
  let value = mod.default;
  // A CommonJS config imported as ESM can arrive wrapped in a second default.
  if (value && typeof value === "object" && "default" in value && Object.keys(value).length === 1)
    value = (value as { default: unknown }).default;
  if (typeof value === "function") {
    const fn = value as () => unknown;
    value = await settle(`${shown}: its default export()`, loadHint, () => fn());
  }
  if (value === undefined)
    throw new UserError(`${shown}: exports no config`, "write `export default { plugins: [...] }`", {
      code: "BAD_CONFIG",
    });
  return value;
}

/** ` (it exports plugins, design)`: what a module without a default export does export. */
function namedExports(mod: Record<string, unknown>): string {
  const names = Object.keys(mod);
  return names.length ? ` (it exports ${names.slice(0, 5).join(", ")}${names.length > 5 ? ", …" : ""})` : "";
}

/** jiti (an optional peer: only TypeScript configs need it), set up to compile afresh every time. */
async function loadJiti(shown: string): Promise<Jiti> {
  let createJiti: typeof import("jiti")["createJiti"];
  try {
    ({ createJiti } = await import("jiti"));
  } catch (err) {
    throw new UserError(
      `${shown}: a TypeScript config needs jiti, which is not installed`,
      "install it beside memdesc (npm install --save-dev jiti), or write memdesc.config.mjs or .json instead",
      { cause: err, code: "BAD_CONFIG" },
    );
  }
  // jiti keeps compiled files in a cache on disk (node_modules/.cache or the system's temporary directory) and
  // runs what it finds there: on a shared /tmp another user could plant compiled code for root. Compile afresh.
  return createJiti(import.meta.url, { fsCache: false, moduleCache: false, interopDefault: false });
}

/**
 * Where a TypeScript config's syntax error is: jiti's transform reports a file it cannot parse as data (the
 * `__JITI_ERROR__` record of the module it would have run), with a 1-based line and a 0-based column.
 */
function tsSyntaxPlace(jiti: Jiti, path: string): SyntaxPlace | undefined {
  let code: string;
  try {
    code = jiti.transform({ source: readFileSync(path, "utf8"), filename: path, ts: true });
  } catch {
    return undefined;
  }
  const prefix = "exports.__JITI_ERROR__ = ";
  if (!code.startsWith(prefix)) return undefined;
  const e = JSON.parse(code.slice(prefix.length)) as { line?: unknown; column?: unknown; message?: unknown };
  if (typeof e.line !== "number" || typeof e.column !== "number" || typeof e.message !== "string")
    return undefined;
  return { line: e.line, column: e.column + 1, message: e.message.trim() };
}

function moduleLoadError(
  path: string,
  shown: string,
  err: unknown,
  where: () => SyntaxPlace | undefined = () => syntaxPlace(path, err),
): UserError {
  if (err instanceof UserError) return err;
  const place = where();
  if (place)
    return new UserError(
      `${shown}:${place.line}:${place.column}: syntax error: ${place.message}`,
      "fix the config file",
      {
        cause: err,
        code: "BAD_CONFIG",
      },
    );
  const e = err as Error & { code?: string };
  const inImport = (e as Error)?.name === "SyntaxError" ? "a module it imports has a syntax error: " : "";
  return new UserError(`${shown}: cannot be loaded: ${inImport}${e?.message ?? String(err)}`, loadHint, {
    cause: err,
    code: "BAD_CONFIG",
  });
}
