import { builtinDesignNames } from "@memdesc/core/design-names";
import { z } from "zod";

/** An npm package name, as npm accepts it. */
const packageName = z
  .string()
  .regex(
    /^(@[a-z0-9-~][a-z0-9-._~]*\/)?[a-z0-9-~][a-z0-9-._~]*$/,
    'must be an npm package name, e.g. "@memdesc/folio" or "memdesc-plugin-foo"',
  );

/** A plugin package with options for its factory: `{ "package": "@memdesc/folio", "options": { … } }`. */
export const pluginPackageSchema = z
  .object({
    package: packageName.describe("The npm package to load, resolved from the config file's directory"),
    options: z
      .record(z.string(), z.unknown())
      .optional()
      .describe("Passed to the package's plugin factory; the plugin validates them"),
    export: z
      .string()
      .min(1)
      .optional()
      .describe(
        "The named export to use (default: the default export, else the one named after the package)",
      ),
  })
  .strict();

/** In a .js/.mjs/.ts config, a plugin object made by defineDescriptor() can be listed directly. */
const pluginObjectSchema = z.custom<Record<string, unknown>>(
  (v) => typeof v === "object" && v !== null && !Array.isArray(v) && "kind" in v && "schema" in v,
  { error: "a plugin object made by defineDescriptor()" },
);

export const pluginEntrySchema = z.union([packageName, pluginObjectSchema, pluginPackageSchema], {
  error:
    'expected one of: a package name ("@memdesc/folio"), { "package": NAME, "options": {…} }, or a plugin object from defineDescriptor()',
});

/**
 * `memdesc.config.{js,mjs,ts,json}`: the design and the descriptor plugins a run composes. Every key is
 * optional; without `plugins`, the first-party set is used.
 */
export const configSchema = z
  .object({
    $schema: z.string().optional().describe("Path or URL of this schema, for editors"),
    design: z
      .union([z.string().min(1), z.record(z.string(), z.unknown())], {
        error: 'expected one of: a design name ("memdesc-8") or a design object',
      })
      .optional()
      .describe(`A built-in design name (${builtinDesignNames.join(", ")}) or a design object`),
    abi: z
      .enum(["lp64", "ilp32", "ilp32-arm"])
      .optional()
      .describe("The C ABI layouts are computed for (default lp64)"),
    plugins: z
      .array(pluginEntrySchema)
      .optional()
      .describe(
        'The descriptor set: package names ("@memdesc/folio"), { "package", "options", "export" } objects, or plugin objects in a JS config',
      ),
  })
  .strict();

export type ConfigInput = z.input<typeof configSchema>;
export type Config = z.output<typeof configSchema>;
export type PluginEntry = z.output<typeof pluginEntrySchema>;

/**
 * The JSON Schema for `memdesc.config.json`, published as `schemas/config.schema.json`. Plugin objects exist
 * only in JS configs, so the JSON form lists the two JSON-able entry forms.
 */
export const configJsonSchema = configSchema.extend({
  plugins: z
    .array(z.union([packageName, pluginPackageSchema]))
    .optional()
    .describe(configSchema.shape.plugins.description ?? ""),
});
