import type { AnyDescriptor, BuiltinDesignName, Design } from "@memdesc/core";

/*
 * `memdesc/config`: typed configs, as ESLint's and Vite's `defineConfig` give them. In a memdesc.config.ts (or a
 * .mjs with JSDoc), `export default defineConfig({ ... })` lets the editor check the config as it is written;
 * memdesc itself checks every config when it loads it, typed or not.
 */

/** A plugin package with options for its factory: `{ package: "@memdesc/folio", options: { … } }`. */
export interface PluginPackageEntry {
  /** The npm package to load, resolved from the config file's directory. */
  readonly package: string;
  /** Passed to the package's plugin factory; the plugin validates them. */
  readonly options?: Readonly<Record<string, unknown>>;
  /** The named export to use (default: the default export, else the one named after the package). */
  readonly export?: string;
}

/** What `memdesc.config.{js,mjs,ts,json}` holds; every key is optional. */
export interface MemdescConfig {
  /** A JSON Schema for editors (`node_modules/memdesc/schemas/config.schema.json`). */
  readonly $schema?: string;
  /** A built-in design name, or a design object (`defineDesign` from @memdesc/core). */
  readonly design?: BuiltinDesignName | Design;
  /** The C ABI layouts are computed for (default lp64). */
  readonly abi?: "lp64" | "ilp32" | "ilp32-arm";
  /** The descriptor set: package names, packages with options, or plugin objects (`defineDescriptor`). */
  readonly plugins?: readonly (string | PluginPackageEntry | AnyDescriptor)[];
}

/** A typed config: returns it as given. */
export function defineConfig<const C extends MemdescConfig>(config: C): C {
  return config;
}
