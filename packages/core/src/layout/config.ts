import type { KernelConfig } from "./types.js";

/**
 * Whether an `#ifdef` condition holds: `CONFIG_X`, `!CONFIG_X`, or several joined with `&&`.
 * A numeric value counts as set when it is not zero.
 */
export function configEnabled(config: KernelConfig, ifdef: string | undefined): boolean {
  if (ifdef === undefined) return true;
  return ifdef.split("&&").every((term) => {
    const t = term.trim();
    return t.startsWith("!") ? !config[t.slice(1)] : Boolean(config[t]);
  });
}
