import { existsSync, statSync } from "node:fs";
import { homedir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { UserError } from "../errors.js";
import { checkInput, inputCaps } from "../io/input.js";
import { displayPath } from "../io/path.js";
import { ownerName } from "../io/users.js";
import { checkTrust, describeTrustProblem } from "./trust.js";

/** The config file names, in the order they are looked for in each directory. */
export const configNames = [
  "memdesc.config.js",
  "memdesc.config.mjs",
  "memdesc.config.ts",
  "memdesc.config.json",
] as const;

/** Which config a run uses, and why: what `memdesc plugins` reports. */
export interface ConfigChoice {
  /** The config file, or undefined for the first-party set. */
  readonly file: string | undefined;
  /** `given` with --config, `found` by the upward search, `none` found, or `disabled` with --no-config. */
  readonly how: "given" | "found" | "none" | "disabled";
  /** One line: why this file (or none). */
  readonly why: string;
}

/** Where the upward search stops, and why there. */
export interface SearchStop {
  readonly dir: string;
  readonly why: "package.json" | ".git" | "home" | "root";
}

const stopWords: Record<SearchStop["why"], string> = {
  "package.json": "the project root: it has package.json",
  ".git": "the repository root: it has .git",
  home: "your home directory",
  root: "the file system root",
};

/**
 * The directories searched for a config, from `cwd` upward: each in turn until one that is a project root
 * (it has package.json or .git), the user's home directory, or /. The search never leaves the project it
 * starts in, so a config in a shared parent directory (/tmp, /home) is never picked up.
 */
export function searchDirs(cwd: string, home = homedir()): { dirs: string[]; stop: SearchStop } {
  const dirs: string[] = [];
  for (let dir = resolve(cwd); ; dir = dirname(dir)) {
    dirs.push(dir);
    if (existsSync(join(dir, "package.json"))) return { dirs, stop: { dir, why: "package.json" } };
    if (existsSync(join(dir, ".git"))) return { dirs, stop: { dir, why: ".git" } };
    if (home && dir === resolve(home)) return { dirs, stop: { dir, why: "home" } };
    if (dirname(dir) === dir) return { dirs, stop: { dir, why: "root" } };
  }
}

/**
 * The config file for a run: `--config FILE` if given (it must exist; trusted as given), none with
 * `--no-config`, else the first `memdesc.config.*` found upward from the working directory to the project
 * root (see `searchDirs`), which must pass the trust check (`trust.ts`), else none (the first-party
 * descriptor set is used). Two config files in one directory are an error rather than a silent choice.
 */
export function findConfig(cwd: string, explicit?: string | false): ConfigChoice {
  if (explicit === false)
    return { file: undefined, how: "disabled", why: "--no-config: the first-party set" };
  if (explicit !== undefined) {
    const path = resolve(cwd, explicit);
    // A regular file, as every input is (a FIFO or device given as a config would never end).
    checkInput(path, {
      shown: explicit,
      what: "config",
      maxBytes: inputCaps.json,
      code: "CONFIG_NOT_FOUND",
      hint: `write one (${configNames.join(", ")}), or leave out --config to use the first-party descriptor set`,
      missing: `config file ${explicit} does not exist`,
    });
    return { file: path, how: "given", why: "given with --config, and trusted as given" };
  }
  const { dirs, stop } = searchDirs(cwd);
  for (const dir of dirs) {
    const found = configNames.map((n) => join(dir, n)).filter((p) => existsSync(p));
    if (found.length > 1)
      throw new UserError(
        `${dir} has ${found.length} config files (${found.map((p) => p.slice(dir.length + 1)).join(", ")})`,
        "keep one of them, or choose one with --config FILE",
        { code: "CONFIG_AMBIGUOUS" },
      );
    const file = found[0];
    if (!file) continue;
    const owner = trustOrRefuse(file, "config", cwd);
    checkInput(file, {
      shown: displayPath(file, cwd),
      what: "config",
      maxBytes: inputCaps.json,
      code: "BAD_CONFIG",
      hint: "remove it, or use --no-config",
    });
    return {
      file,
      how: "found",
      why: `found upward from the working directory; owned by ${owner}, and only trusted users can write where it is`,
    };
  }
  const where =
    stop.dir === resolve(cwd)
      ? "in the working directory"
      : `from the working directory up to ${displayPath(stop.dir, cwd)}`;
  return {
    file: undefined,
    how: "none",
    why: `no memdesc.config.* ${where} (${stopWords[stop.why]}): the first-party set`,
  };
}

/**
 * Refuses, with one line naming the file and its owner, a file that is not to be trusted (`trust.ts`); returns
 * its owner's name otherwise. `what` says what the file is: `config`, or `plugin "NAME"`.
 */
export function trustOrRefuse(file: string, what: string, cwd: string): string {
  let result: ReturnType<typeof checkTrust>;
  try {
    result = checkTrust(file);
  } catch (err) {
    throw new UserError(
      `refusing to load ${what} ${displayPath(file, cwd)}: cannot check who could have written it: ${(err as Error).message}`,
      "pass --config FILE to load a config you trust, or --no-config for the first-party set",
      { code: "CONFIG_UNTRUSTED", cause: err },
    );
  }
  if ("problem" in result) {
    let owner = "";
    try {
      owner = ownerName(statSync(file).uid);
    } catch {
      owner = "an unknown user";
    }
    throw new UserError(
      `refusing to load ${what} ${displayPath(file, cwd)}${describeTrustProblem(result.problem, file, owner)}`,
      what === "config"
        ? "a config runs as code: remove it, or pass --config FILE to load one you trust, or --no-config for the first-party set"
        : "install the plugin in the project (npm install), or pass --config FILE to trust the config and what it loads",
      { code: "CONFIG_UNTRUSTED" },
    );
  }
  return ownerName(result.trusted.uid);
}
