import { UserError } from "../errors.js";
import { inputCaps, readInput } from "../io/input.js";
import { describeJsonError } from "./json-where.js";

/** What to tell the user about a JSON input file that cannot be used. */
export interface JsonFileErrors {
  /** The error code the JSON output carries (BAD_PICTURE, BAD_WORKLOAD, BAD_CONFIG). */
  readonly code: string;
  /** The hint for a file that cannot be read. */
  readonly hint: string;
  /** The message for a file that does not exist (default: "FILE does not exist"). */
  readonly missing?: string;
  /** What the file is, for messages (default: "JSON file"). */
  readonly what?: string;
}

/**
 * A JSON input file's value, read whole by the CLI's input reader (a regular file of at most 64 MiB): a
 * missing, unreadable or non-regular file, or one JSON.parse rejects, is one UserError naming the file (as
 * `shown`) and, for bad JSON, the line and column.
 */
export function readJsonFile(path: string, shown: string, errors: JsonFileErrors): unknown {
  const bytes = readInput(path, {
    shown,
    what: errors.what ?? "JSON file",
    maxBytes: inputCaps.json,
    code: errors.code,
    hint: errors.hint,
    missing: errors.missing,
  });
  const text = bytes.toString("utf8");
  try {
    return JSON.parse(text);
  } catch (err) {
    throw new UserError(`${shown}: not valid JSON: ${describeJsonError(text)}`, "fix the JSON syntax", {
      cause: err,
      code: errors.code,
    });
  }
}
