import type { z } from "zod";
import type { AbiName } from "../abi/abi.js";
import { abis } from "../abi/abi.js";
import type { CType } from "../ctype/types.js";
import { MemdescError, type MemdescIssue } from "../errors.js";
import { linux618 } from "../kernel/config.js";
import { LayoutEngine } from "../layout/engine.js";
import type { KernelConfig } from "../layout/types.js";
import { issuesOf } from "../validate.js";

/**
 * Options a plugin factory was given that it cannot use: unknown keys, bad member specs, members that do not lay
 * out. The subject names the factory (`folio() options`); each issue the option's key path.
 */
export class PluginOptionsError extends MemdescError {
  constructor(factory: string, issues: readonly MemdescIssue[]) {
    super("BAD_PLUGIN_OPTIONS", { subject: `${factory}() options`, issues });
  }
}

/**
 * A plugin factory's options, validated with `schema` (make it `.strict()`, so a misspelt key is an error rather
 * than ignored): the parsed value, or a PluginOptionsError naming the factory and every offending key.
 */
export function parseOptions<S extends z.ZodType>(schema: S, input: unknown, factory: string): z.output<S> {
  // Parsed once per plugin: zod's compiled fast path would cost more to build than it saves (`jitless`).
  const result = schema.safeParse(input ?? {}, { jitless: true });
  if (!result.success) throw new PluginOptionsError(factory, issuesOf(result.error.issues));
  return result.data;
}

/**
 * Lays each type out under every ABI core knows (lp64, ilp32, ilp32-arm), so that options adding members fail in
 * the factory that took them, naming the layout (by its key: `small memdesc-era folio`) and the ABI, rather than
 * later inside a registry.
 */
export function checkLayouts(
  types: Readonly<Record<string, CType>>,
  factory: string,
  config: KernelConfig = linux618,
): void {
  const issues: MemdescIssue[] = [];
  const failed = new Set<string>();
  for (const abi of Object.keys(abis) as AbiName[]) {
    const engine = new LayoutEngine({ abi, config });
    for (const [what, type] of Object.entries(types)) {
      try {
        engine.layout(type);
      } catch (e) {
        if (!(e instanceof MemdescError)) throw e;
        if (failed.has(what)) continue;
        failed.add(what);
        for (const i of e.issues)
          issues.push({
            path: [],
            message: `the ${what} does not lay out (${abi}): ${e.subject === undefined ? "" : `${e.subject}: `}${i.message}`,
            code: e.code,
          });
      }
    }
  }
  if (issues.length > 0) throw new PluginOptionsError(factory, issues);
}
