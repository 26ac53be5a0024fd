import { extname, relative } from "node:path";
import { pathToFileURL } from "node:url";
import type { z } from "zod";
import { UserError } from "../errors.js";
import { readJsonFile } from "./json-file.js";
import { type Config, configSchema } from "./schema.js";
import { settle } from "./settle.js";
import { syntaxPlace } from "./syntax.js";

/** A config file, read and validated. */
export interface LoadedConfig {
  readonly path: string;
  readonly config: Config;
}

/** How a file is named in messages: relative to the working directory when it is below it (and that is not /). */
export function displayPath(path: string, cwd = process.cwd()): string {
  if (cwd === "/") return path;
  const rel = relative(cwd, path);
  return rel && !rel.startsWith("..") && !rel.startsWith("/") ? rel : path;
}

/** `plugins[2].options.fields[0]` from a zod issue path. */
export function keyPath(path: readonly PropertyKey[], prefix = ""): string {
  let out = prefix;
  for (const p of path) out += typeof p === "number" ? `[${p}]` : out ? `.${String(p)}` : String(p);
  return out;
}

/**
 * The issues to show for a failed parse. A union reports every branch's issues; the branch that got furthest
 * (whose issues are not all "wrong type at this very key") is the one the user meant.
 */
export function flattenIssues(
  issues: readonly z.core.$ZodIssue[],
): { path: PropertyKey[]; message: string }[] {
  const out: { path: PropertyKey[]; message: string }[] = [];
  for (const issue of issues) {
    if (issue.code === "invalid_union" && issue.errors.length > 0) {
      const atRoot = (branch: readonly z.core.$ZodIssue[]) =>
        branch.every((i) => (i.code === "invalid_type" || i.code === "custom") && i.path.length === 0);
      const meant = issue.errors.filter((b) => !atRoot(b));
      if (meant.length === 1) {
        for (const i of flattenIssues(meant[0]!))
          out.push({ path: [...issue.path, ...i.path], message: i.message });
        continue;
      }
      const received = issue.errors[0]?.find((i) => i.code === "invalid_type");
      out.push({
        path: [...issue.path],
        message: `expected one of: ${describeUnion(issue.path)}${received ? ` (${received.message.replace(/^Invalid input: expected \w+, /, "")})` : ""}`,
      });
      continue;
    }
    out.push({ path: [...issue.path], message: issue.message });
  }
  return out;
}

function describeUnion(path: readonly PropertyKey[]): string {
  if (path[0] === "plugins")
    return 'a package name ("@memdesc/folio"), { "package": NAME, "options": {…} }, or a plugin object from defineDescriptor()';
  if (path[0] === "design") return 'a design name ("memdesc-8") or a design object';
  return "the documented forms";
}

const configHint = "see `memdesc plugins --help` for the config file's form";

/** Validation issues as one user error naming the file and each key. */
export function configIssuesError(
  file: string,
  issues: readonly z.core.$ZodIssue[],
  prefix = "",
  hint = configHint,
): UserError {
  const flat = flattenIssues(issues);
  const text = flat.map((i) => `${keyPath(i.path, prefix) || "(top level)"}: ${i.message}`).join("; ");
  return new UserError(`${displayPath(file)}: ${text}`, hint, { code: "BAD_CONFIG" });
}

/** Reads a config file: JSON parsed, JS imported, TypeScript imported through tsx; then checked by zod. */
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
    let tsImport: (specifier: string, parent: string) => Promise<unknown>;
    // tsx keeps compiled files in a cache under the system's temporary directory (`$TMPDIR/tsx-<uid>`) and
    // runs what it finds there, whoever put it there: on a shared /tmp another user could plant compiled
    // code for root. Compile afresh every time (tsx reads this when it is first imported).
    process.env.TSX_DISABLE_CACHE = "1";
    try {
      ({ tsImport } = (await import("tsx/esm/api")) as unknown as {
        tsImport: (specifier: string, parent: string) => Promise<unknown>;
      });
    } catch (err) {
      throw new UserError(
        `${shown}: a TypeScript config needs tsx, which is not installed`,
        "install it (npm install --save-dev tsx), or write memdesc.config.mjs or .json instead",
        { cause: err },
      );
    }
    try {
      mod = (await settle(`${shown}: its import`, loadHint, () =>
        tsImport(pathToFileURL(path).href, import.meta.url),
      )) as Record<string, unknown>;
    } catch (err) {
      throw moduleLoadError(path, shown, err);
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
  // A CommonJS config imported as ESM, or compiled by tsx, can arrive wrapped in a second default.
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

function moduleLoadError(path: string, shown: string, err: unknown): UserError {
  if (err instanceof UserError) return err;
  const place = syntaxPlace(path, err);
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
  const first = (e?.message ?? String(err)).split("\n")[0];
  const inImport = (e as Error)?.name === "SyntaxError" ? "a module it imports has a syntax error: " : "";
  return new UserError(`${shown}: cannot be loaded: ${inImport}${first}`, loadHint, {
    cause: err,
    code: "BAD_CONFIG",
  });
}
