import {
  type AbiName,
  type AnyDescriptor,
  createRegistry,
  type Design,
  defineDesign,
  isMemdescError,
  type Registry,
  resolveDesign,
  within,
} from "@memdesc/core";
import { hintFor, UserError } from "../errors.js";
import { displayPath } from "../io/path.js";
import { type ConfigChoice, findConfig } from "./find.js";
import type { LoadedConfig } from "./load.js";
import type { ComposedPlugin } from "./plugins.js";

export type { ComposedPlugin } from "./plugins.js";

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

/**
 * Composes the descriptor set: the config file's design and plugins (found upward from the working directory
 * and trusted, or given with `--config`: find.ts), read and checked (load.ts), its plugins loaded from the
 * config's directory (plugins.ts), or the first-party set; then a registry of them under the design.
 */
export async function compose(options: ComposeOptions = {}): Promise<Composition> {
  const cwd = options.cwd ?? process.cwd();
  const choice = findConfig(cwd, options.config);
  // Reading a config (zod's checks, jiti) and loading its packages (the resolver) are imported only when needed.
  const loaded = choice.file ? await (await import("./load.js")).loadConfig(choice.file) : undefined;
  const design = pickDesign(loaded, options.design);
  const abi = options.abi ?? loaded?.config.abi ?? "lp64";
  const plugins =
    loaded?.config.plugins !== undefined
      ? await (await import("./plugins.js")).loadConfigPlugins(
          loaded.path,
          loaded.config.plugins,
          choice.how === "found" ? cwd : undefined,
        )
      : await (await import("./first-party.js")).loadFirstParty();
  let registry: Registry<readonly AnyDescriptor[]>;
  try {
    registry = createRegistry({
      design,
      abi,
      plugins: plugins.map((p) => p.plugin) as readonly AnyDescriptor[],
    });
  } catch (err) {
    // The registry refused the set the config made: the config's to fix.
    if (loaded && isMemdescError(err))
      throw new UserError(within(err, displayPath(loaded.path)), hintFor(err.code), {
        cause: err,
        code: err.code,
      });
    throw err;
  }
  return { configFile: loaded?.path, config: choice, design, abi, plugins, registry };
}

/** `--design`, else the config's (a built-in name or a design object), else core's default. */
function pickDesign(loaded: LoadedConfig | undefined, flag: string | undefined): Design {
  if (flag !== undefined) return resolveDesign(flag);
  const d = loaded?.config.design;
  if (d === undefined) return resolveDesign(undefined);
  const shown = displayPath(loaded!.path);
  try {
    return typeof d === "string" ? resolveDesign(d) : defineDesign(d as Parameters<typeof defineDesign>[0]);
  } catch (err) {
    if (!isMemdescError(err)) throw err;
    // A design object's issues are at keys under `design`; a name that is none is the design key's.
    throw new UserError(
      {
        subject: shown,
        issues: err.issues.map((i) => ({
          ...i,
          path: ["design", ...i.path],
          message: typeof d === "string" ? `${err.subject ? `${err.subject}: ` : ""}${i.message}` : i.message,
        })),
      },
      typeof d === "string"
        ? hintFor("UNKNOWN_DESIGN")
        : "a design object follows @memdesc/core's designSchema",
      { cause: err, code: typeof d === "string" ? "UNKNOWN_DESIGN" : "BAD_CONFIG" },
    );
  }
}
