import { resolve } from "node:path";
import { writeFileAtomic } from "@memdesc/kpageflags";
import type { Context } from "../context.js";
import { UserError } from "../errors.js";

/**
 * Writes a command's output: to standard output, or with `-o FILE` to that file, complete or not at all (a
 * temporary file beside it, renamed over it). Binary output is never written to a terminal.
 */
export function writeOutput(ctx: Context, target: string | undefined, data: string | Uint8Array): void {
  if (target === undefined || target === "-") {
    if (typeof data !== "string" && process.stdout.isTTY)
      throw new UserError(
        "Parquet is binary and standard output is a terminal",
        "write it to a file with -o FILE.parquet, or pipe it",
      );
    if (typeof data === "string") ctx.out(data);
    else process.stdout.write(data);
    return;
  }
  writeFileAtomic(resolve(ctx.cwd, target), typeof data === "string" ? new TextEncoder().encode(data) : data);
}
