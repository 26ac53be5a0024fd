import type { Context } from "../context.js";

/** Prints one JSON document as the report: what `--json` gives, the shape its published schema describes. */
export function printJson(ctx: Context, value: unknown): void {
  ctx.out(`${JSON.stringify(value, null, 2)}\n`);
}
