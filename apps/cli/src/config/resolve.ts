import { existsSync, readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { resolve as resolveImport } from "import-meta-resolve";
import { UserError } from "../errors.js";

/** An installed package: the file `import` loads, and the version in its package.json. */
export interface ResolvedPackage {
  readonly entry: string;
  readonly version: string | undefined;
}

/** Resolution failures that mean "not installed there", not "installed but broken". */
const notFound = new Set(["ERR_MODULE_NOT_FOUND", "ERR_UNSUPPORTED_DIR_IMPORT"]);

/**
 * Finds a package as `import` would from a directory (import-meta-resolve, Node's own ESM resolution): up
 * through node_modules, following `exports` with the `node` and `import` conditions, so a package shipping both
 * ESM and CommonJS gives its ESM entry, as `import()` then loads it. Undefined when it is not installed there; a
 * package whose `exports` has no entry for `import` is a UserError naming it.
 */
export function resolvePackage(name: string, fromDir: string): ResolvedPackage | undefined {
  let url: string;
  try {
    url = resolveImport(name, pathToFileURL(join(fromDir, "/")).href);
  } catch (err) {
    const code = (err as { code?: string }).code ?? "";
    if (notFound.has(code)) return undefined;
    throw new UserError(
      `package "${name}" cannot be imported from ${fromDir}: ${(err as Error).message}`,
      "reinstall it, or fix its package.json's exports",
      {
        cause: err,
        code: "PLUGIN_LOAD",
      },
    );
  }
  // A built-in module (node:fs) is not an installed package.
  if (!url.startsWith("file:")) return undefined;
  const entry = fileURLToPath(url);
  return { entry, version: packageVersion(name, entry) };
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

/** Where the CLI's own modules are: its first-party packages are resolved from here. */
export const cliDir = (): string => dirname(fileURLToPath(import.meta.url));
