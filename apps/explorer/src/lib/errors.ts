import { isMemdescError, keyPath } from "@memdesc/core/errors";

/**
 * The explorer's one formatter of errors: a MemdescError's data (code, subject, issues, hint) as what a view shows
 * (a code, a heading and one line per issue), and anything else as one line of its own. Nothing reads a message
 * to find out what went wrong.
 */
export interface ShownError {
  readonly code: string;
  /** What it is about: the file, the plugin, the struct. */
  readonly subject: string | undefined;
  /** One line per issue: its key path, then what is wrong there. */
  readonly lines: readonly string[];
  readonly hint: string | undefined;
}

export function showError(err: unknown): ShownError {
  if (isMemdescError(err))
    return {
      code: err.code,
      subject: err.subject,
      lines: err.issues.map((i) => (i.path.length > 0 ? `${keyPath(i.path)}: ${i.message}` : i.message)),
      hint: err.hint,
    };
  const e = err instanceof Error ? err : new Error(String(err));
  return { code: "ERROR", subject: undefined, lines: [e.message], hint: undefined };
}

/** The shown error as one sentence, for an attribute or a title: `subject: line; line`. */
export function errorSentence(e: ShownError): string {
  return [e.subject, e.lines.join("; ")].filter(Boolean).join(": ");
}
