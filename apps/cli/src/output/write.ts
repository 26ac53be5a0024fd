import { lstatSync } from "node:fs";
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
  const path = resolve(ctx.cwd, target);
  // A device, FIFO or directory is never replaced by a file (a rename over /dev/null would be): refused.
  const st = lstatSync(path, { throwIfNoEntry: false });
  if (st && !st.isFile())
    throw new UserError(
      `cannot write ${target}: it is ${st.isDirectory() ? "a directory" : st.isSymbolicLink() ? "a symbolic link" : "not a regular file"}`,
      "give a regular file's path with -o, or leave -o out and redirect standard output",
    );
  writeFileAtomic(path, typeof data === "string" ? new TextEncoder().encode(data) : data);
}
