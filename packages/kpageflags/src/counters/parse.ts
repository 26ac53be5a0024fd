import { KpageflagsError } from "../errors.js";

// Shared by the counter-file parsers: one error naming the file and line, and whole-number fields.

const hint =
  "pass the files exactly as the kernel wrote them (copied with `cat`), or leave the file out: a missing counter file is named and skipped";

/** One clear error for a counter file that is not what the kernel writes. */
export function badCounters(path: string, line: number | undefined, message: string): KpageflagsError {
  const at = line === undefined ? "" : ` line ${line}`;
  return new KpageflagsError("BAD_COUNTERS", `${path}${at}: ${message}`, hint, { path });
}

/** A whole number the kernel printed with `%lu`/`%d`; beyond 2^53 it cannot be a page or block count. */
export function whole(text: string, path: string, line: number | undefined, what: string): number {
  const n = Number(text);
  if (!/^-?\d+$/.test(text) || !Number.isSafeInteger(n))
    throw badCounters(path, line, `${what} is ${JSON.stringify(text.slice(0, 40))}, not a whole number`);
  return n;
}

/** The lines of a file, without the empty last one. */
export function linesOf(text: string): string[] {
  const lines = text.split("\n");
  if (lines[lines.length - 1] === "") lines.pop();
  return lines;
}

/** Shows the start of a line in an error. */
export const quote = (line: string): string =>
  JSON.stringify(line.length > 60 ? `${line.slice(0, 60)}…` : line);
