import type { z } from "zod";
import { MemdescError } from "./errors.js";

/** `typeTable[3].tag: tag 16 does not fit in 4 type bits`, one issue per line. */
export function formatIssues(issues: readonly z.core.$ZodIssue[]): string {
  return issues
    .map((i) => {
      const path = i.path
        .map((p, n) => (typeof p === "number" ? `[${p}]` : n === 0 ? String(p) : `.${String(p)}`))
        .join("");
      return path ? `${path}: ${i.message}` : i.message;
    })
    .join("\n");
}

/** A value that failed its schema: the message names what it is and every offending key. */
export class ValidationError extends MemdescError {
  readonly issues: readonly z.core.$ZodIssue[];
  constructor(code: string, what: string, issues: readonly z.core.$ZodIssue[]) {
    const detail = formatIssues(issues);
    super(code, issues.length === 1 ? `${what}: ${detail}` : `${what}:\n${detail.replace(/^/gm, "  ")}`);
    this.issues = issues;
  }
}

/** Parses with a zod schema, throwing a `ValidationError` that names `what` instead of a raw ZodError. */
export function parseWith<S extends z.ZodType>(
  schema: S,
  value: unknown,
  code: string,
  what: string,
): z.output<S> {
  const result = schema.safeParse(value);
  if (!result.success) throw new ValidationError(code, what, result.error.issues);
  return result.data;
}
