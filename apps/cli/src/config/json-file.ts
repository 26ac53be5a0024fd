import { readFileSync } from "node:fs";
import { UserError } from "../errors.js";
import { describeJsonError } from "./json-where.js";

/** What to tell the user about a JSON input file that cannot be used. */
export interface JsonFileErrors {
  /** The error code the JSON output carries (BAD_PICTURE, BAD_WORKLOAD, BAD_CONFIG). */
  readonly code: string;
  /** The hint for a file that cannot be read. */
  readonly hint: string;
  /** The message for a file that does not exist (default: "FILE does not exist"). */
  readonly missing?: string;
}

/**
 * A JSON input file's value, read whole: a missing or unreadable file, or one JSON.parse rejects, is one
 * UserError naming the file (as `shown`) and, for bad JSON, the line and column.
 */
export function readJsonFile(path: string, shown: string, errors: JsonFileErrors): unknown {
  let text: string;
  try {
    text = readFileSync(path, "utf8");
  } catch (err) {
    const missing = (err as NodeJS.ErrnoException).code === "ENOENT";
    throw new UserError(
      missing
        ? (errors.missing ?? `${shown} does not exist`)
        : `cannot read ${shown}: ${(err as Error).message}`,
      errors.hint,
      { cause: err, code: errors.code },
    );
  }
  try {
    return JSON.parse(text);
  } catch (err) {
    throw new UserError(`${shown}: not valid JSON: ${describeJsonError(text)}`, "fix the JSON syntax", {
      cause: err,
      code: errors.code,
    });
  }
}
