import { existsSync, readdirSync, statSync } from "node:fs";
import { basename, resolve } from "node:path";
import { readStamp } from "./stamp.js";

/** Everything the scaffolder asks, as a prompt or a flag. */
export interface PluginAnswers {
  /** Where to create the package (relative to the working directory, or absolute). */
  readonly directory: string;
  /** The npm package name: `memdesc-plugin-my-desc`, `@you/memdesc-my-desc`. */
  readonly name: string;
  /** The registry kind: `my-desc`. */
  readonly kind: string;
  /** The C struct the descriptor is: `my_desc` (`struct my_desc`). */
  readonly struct: string;
  readonly description: string;
  /** `pointer`: a separately allocated descriptor in the memdesc era; `inline`: fields packed into the word. */
  readonly storage: "pointer" | "inline";
  /** The memory uses the descriptor describes: core's (`pagetable`, `hugetlb`, …), or new ones it declares. */
  readonly uses: readonly string[];
  /** Include today's layout overlaying struct page, with its `*_MATCH` rules. */
  readonly today: boolean;
  /** For package.json and LICENSE; may be empty. */
  readonly author: string;
}

/** One problem with the answers: the option it is about (`--kind`), if one, and what is wrong with it. */
export interface ScaffoldIssue {
  readonly option?: string | undefined;
  readonly message: string;
}

/**
 * A bad answer or flag, as data: a `code` and the issues, each naming its option and value and saying what would
 * be accepted. The message is made from them, one line each.
 */
export class ScaffoldError extends Error {
  readonly code: string;
  readonly issues: readonly ScaffoldIssue[];
  constructor(code: string, detail: string | readonly ScaffoldIssue[]) {
    const issues = typeof detail === "string" ? [{ message: detail }] : detail;
    super(issues.map(issueLine).join("\n"));
    this.name = "ScaffoldError";
    this.code = code;
    this.issues = issues;
  }
}

/** `--kind: must start with a letter`, or the message alone for a problem with no option. */
export const issueLine = (i: ScaffoldIssue): string => (i.option ? `${i.option}: ${i.message}` : i.message);

const NPM_NAME = /^(?:@[a-z0-9-~][a-z0-9-._~]*\/)?[a-z0-9-~][a-z0-9-._~]*$/;
const KIND = /^[a-z][a-z0-9]*(?:-[a-z0-9]+)*$/;
const C_IDENT = /^[a-z_][a-z0-9_]*$/;
const STORAGES = ["pointer", "inline"] as const;

// Identifiers the generated code derives from the kind must be usable as JavaScript names.
const RESERVED = new Set(
  (
    "break case catch class const continue debugger default delete do else enum export extends false finally " +
    "for function if import in instanceof new null return super switch this throw true try typeof var void " +
    "while with yield let static implements interface package private protected public await arguments eval"
  ).split(" "),
);

/** `my-desc` → `myDesc`. */
export const camelCase = (kind: string) => kind.replace(/-([a-z0-9])/g, (_, ch: string) => ch.toUpperCase());
/** `my-desc` → `MyDesc`. */
export const pascalCase = (kind: string) => camelCase(kind).replace(/^[a-z]/, (ch) => ch.toUpperCase());

/** Lower-case, dash-separated: `My Desc!` → `my-desc`. */
export function slug(text: string): string {
  return text
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, "-")
    .replace(/^[^a-z]+/, "")
    .replace(/-+$/, "");
}

/** The package name a directory suggests: `my-desc` → `memdesc-plugin-my-desc`. */
export function defaultName(directory: string): string {
  const base = basename(resolve(directory));
  if (base.startsWith("memdesc-plugin-") && NPM_NAME.test(base)) return base;
  return `memdesc-plugin-${slug(base) || "descriptor"}`;
}

/**
 * The kind a package name suggests, derived as the memdesc CLI derives a plugin's export name:
 * `memdesc-plugin-my-desc` and `@you/memdesc-my-desc` → `my-desc`.
 */
export function defaultKind(name: string): string {
  const base = name
    .replace(/^@[^/]+\//, "")
    .replace(/^memdesc-plugin-/, "")
    .replace(/^memdesc-/, "");
  return slug(base) || "descriptor";
}

export const defaultStruct = (kind: string) => kind.replace(/-/g, "_");
export const defaultDescription = (struct: string) => `struct ${struct} as a memdesc descriptor plugin`;

export function validateName(name: string): string | undefined {
  if (!name) return "the package name is empty";
  if (name.length > 214) return `package name "${name}" is longer than npm's 214 characters`;
  if (!NPM_NAME.test(name))
    return `"${name}" is not a valid npm package name: use lower-case letters, digits, "-", "." and "_", optionally under a @scope/ (e.g. memdesc-plugin-my-desc or @you/memdesc-my-desc)`;
  return undefined;
}

export function validateKind(kind: string): string | undefined {
  if (!KIND.test(kind))
    return `kind "${kind}" must be lower-case letters and digits in words joined by single dashes, starting with a letter (e.g. my-desc)`;
  const builtin = readStamp().builtinKinds;
  if (builtin.includes(kind))
    return `kind "${kind}" is built into @memdesc/core (${builtin.join(", ")}); choose another`;
  if (RESERVED.has(camelCase(kind)))
    return `kind "${kind}" would name the plugin's factory "${camelCase(kind)}", a JavaScript reserved word; choose another`;
  return undefined;
}

export function validateStruct(struct: string): string | undefined {
  if (!C_IDENT.test(struct))
    return `struct name "${struct}" must be a lower-case C identifier: letters, digits and "_" (e.g. my_desc)`;
  return undefined;
}

export function validateStorage(storage: string): string | undefined {
  if (!(STORAGES as readonly string[]).includes(storage))
    return `storage "${storage}" must be one of: ${STORAGES.join(", ")}`;
  return undefined;
}

/** How a use is named (core's `useNamePattern`): lower-case letters first, then letters, digits and dashes. */
const USE = /^[a-z][A-Za-z0-9-]*$/;

/**
 * Why a list of uses cannot be described, or undefined when it can: each is core's, or a new name the plugin will
 * declare (for memory core does not name); holes have no memory to describe, and a use is named once.
 */
export function validateUses(uses: readonly string[]): string | undefined {
  const bad = uses.filter((u) => !USE.test(u));
  if (bad.length > 0)
    return `${bad.map((u) => `"${u}"`).join(", ")} ${bad.length > 1 ? "are not use names" : "is not a use name"}: lower-case letters first, then letters, digits and dashes (core's uses are: ${readStamp()
      .memoryUses.map((u) => u.name)
      .join(", ")})`;
  if (uses.includes("hole")) return `"hole" is PFNs with no RAM behind them: there is no memory to describe`;
  const twice = uses.filter((u, i) => uses.indexOf(u) !== i);
  if (twice.length > 0) return `${twice.map((u) => `"${u}"`).join(", ")} named twice`;
  return undefined;
}

/** Why a directory cannot take a new package, or undefined when it can (absent, or empty). */
export function validateDirectory(directory: string, cwd = process.cwd()): string | undefined {
  if (!directory.trim()) return "the directory is empty; give one, e.g. my-desc";
  const path = resolve(cwd, directory);
  if (!existsSync(path)) return undefined;
  if (!statSync(path).isDirectory()) return `${directory} exists and is not a directory`;
  const entries = readdirSync(path).filter((e) => e !== ".git");
  if (entries.length > 0)
    return `directory ${directory} already exists and is not empty (${entries.length} entr${entries.length === 1 ? "y" : "ies"}: ${entries.slice(0, 3).join(", ")}${entries.length > 3 ? ", …" : ""}); choose another directory or empty it`;
  return undefined;
}

/** Checks a full set of answers; throws one ScaffoldError listing every problem, each naming its option. */
export function checkAnswers(a: PluginAnswers, cwd = process.cwd()): PluginAnswers {
  const problems = [
    ["directory", validateDirectory(a.directory, cwd)],
    ["--name", validateName(a.name)],
    ["--kind", validateKind(a.kind)],
    ["--struct", validateStruct(a.struct)],
    ["--storage", validateStorage(a.storage)],
    ["--uses", validateUses(a.uses)],
    [
      "--no-today",
      a.storage === "pointer" && !a.today
        ? "a pointer descriptor needs today's layout over struct page (core's defineDescriptor requires it); use --storage inline for a descriptor with no struct page overlay"
        : undefined,
    ],
  ].filter((p): p is [string, string] => p[1] !== undefined);
  if (problems.length > 0)
    throw new ScaffoldError(
      "BAD_OPTION",
      problems.map(([option, message]) => ({ option, message })),
    );
  return a;
}

/** Fills in every answer not given with its default (derived from the ones that are). */
export function withDefaults(given: Partial<PluginAnswers> & { directory: string }): PluginAnswers {
  const name = given.name ?? defaultName(given.directory);
  const kind = given.kind ?? defaultKind(name);
  const struct = given.struct ?? defaultStruct(kind);
  return {
    directory: given.directory,
    name,
    kind,
    struct,
    description: given.description ?? defaultDescription(struct),
    storage: given.storage ?? "pointer",
    uses: given.uses ?? [],
    today: given.today ?? true,
    author: given.author ?? "",
  };
}
