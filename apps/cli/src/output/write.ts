import type { Context } from "../context.js";
import { UserError } from "../errors.js";

/**
 * Writes a command's output in a machine format: text, or bytes (Parquet), through the report (standard output,
 * or the file given with `-o`, complete or not at all). Binary output is never written to a terminal.
 */
export function writeOutput(ctx: Context, data: string | Uint8Array): void {
  if (typeof data !== "string" && ctx.terminal)
    throw new UserError(
      "Parquet is binary and standard output is a terminal",
      "write it to a file with -o FILE.parquet, or pipe it",
      { code: "OUTPUT_TERMINAL" },
    );
  ctx.out(data);
}
