import type { z } from "zod";
import { MemdescError, type MemdescIssue } from "./errors.js";

const atRoot = (branch: readonly z.core.$ZodIssue[]) =>
  branch.every((i) => (i.code === "invalid_type" || i.code === "custom") && i.path.length === 0);

/**
 * zod's issues as MemdescIssues. A union reports every branch's issues; when one branch got further than a
 * wrong type at the union's own key, that branch is the one the input meant and its issues are kept. Otherwise
 * the union's own message stands (give the union an `error` that lists its forms).
 */
export function issuesOf(issues: readonly z.core.$ZodIssue[]): MemdescIssue[] {
  const out: MemdescIssue[] = [];
  for (const issue of issues) {
    const path = issue.path.map((p) => (typeof p === "number" ? p : String(p)));
    if (issue.code === "invalid_union" && Array.isArray(issue.errors) && issue.errors.length > 0) {
      const meant = issue.errors.filter((b) => !atRoot(b));
      if (meant.length === 1) {
        for (const i of issuesOf(meant[0]!)) out.push({ ...i, path: [...path, ...i.path] });
        continue;
      }
    }
    out.push({ path, message: issue.message, code: issue.code });
  }
  return out;
}

/** A value that failed its schema: the subject names what it is, and every offending key is an issue. */
export class ValidationError extends MemdescError {
  constructor(code: string, subject: string, issues: readonly z.core.$ZodIssue[], hint?: string) {
    super(code, { subject, issues: issuesOf(issues), hint });
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
