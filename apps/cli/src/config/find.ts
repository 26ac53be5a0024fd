import { existsSync, statSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { UserError } from "../errors.js";

/** The config file names, in the order they are looked for in each directory. */
export const configNames = [
  "memdesc.config.js",
  "memdesc.config.mjs",
  "memdesc.config.ts",
  "memdesc.config.json",
] as const;

/**
 * The config file for a run: `--config FILE` if given (it must exist), else the first `memdesc.config.*` found
 * in the working directory or a parent of it, else none (the first-party descriptor set is used). Two config
 * files in one directory are an error rather than a silent choice.
 */
export function findConfig(cwd: string, explicit?: string): string | undefined {
  if (explicit !== undefined) {
    const path = resolve(cwd, explicit);
    let ok = false;
    try {
      ok = statSync(path).isFile();
    } catch {
      ok = false;
    }
    if (!ok)
      throw new UserError(
        `config file ${explicit} does not exist`,
        `write one (${configNames.join(", ")}), or leave out --config to use the first-party descriptor set`,
        { code: "CONFIG_NOT_FOUND" },
      );
    return path;
  }
  for (let dir = resolve(cwd); ; ) {
    const found = configNames.map((n) => join(dir, n)).filter((p) => existsSync(p));
    if (found.length > 1)
      throw new UserError(
        `${dir} has ${found.length} config files (${found.map((p) => p.slice(dir.length + 1)).join(", ")})`,
        "keep one of them, or choose one with --config FILE",
        { code: "CONFIG_AMBIGUOUS" },
      );
    if (found[0]) return found[0];
    const parent = dirname(dir);
    if (parent === dir) return undefined;
    dir = parent;
  }
}
