/*
 * Errors as data. Every error a user can cause is a MemdescError: a stable `code` (as zod's issues have), the
 * `subject` it is about (a plugin, a file, a struct, a workload) and the `issues` found in it, each with the key
 * path inside the subject where it is. Programs decide by `code` and read `issues`; the CLI and the explorer each
 * have one formatter that makes sentences of them. `message` is a plain rendering for logs and stack traces:
 * nothing reads it back.
 */

/** A key path inside an error's subject: `["phases", 0, "actions", 2, "share"]`. */
export type IssuePath = readonly (string | number)[];

/** One thing wrong with the subject: where it is (empty: the subject as a whole) and what. */
export interface MemdescIssue {
  readonly path: IssuePath;
  readonly message: string;
  /** A finer code, where there is one (zod's `too_big`, `invalid_type`, …). */
  readonly code?: string;
}

/** What a MemdescError says besides its code. */
export interface MemdescErrorData {
  /** What it is about: `plugin "@memdesc/folio"`, `workload db.json`, `struct page, field lru`. */
  readonly subject?: string | undefined;
  /** What is wrong. An error about one thing has one issue with an empty path. */
  readonly issues: readonly MemdescIssue[];
  /** What the user can do about it, when the code alone does not say. */
  readonly hint?: string | undefined;
}

/** `phases[0].actions[2].share`: an issue path as a key path. */
export function keyPath(path: IssuePath): string {
  let out = "";
  for (const p of path) out += typeof p === "number" ? `[${p}]` : out ? `.${p}` : p;
  return out;
}

/** The plain rendering of an error's data: `subject: path: message`, one issue a line when there are several. */
function render(data: MemdescErrorData): string {
  const lines = data.issues.map((i) => (i.path.length > 0 ? `${keyPath(i.path)}: ${i.message}` : i.message));
  if (data.subject === undefined) return lines.join("\n");
  if (lines.length === 1) return `${data.subject}: ${lines[0]}`;
  return `${data.subject}:\n${lines.map((l) => `  ${l}`).join("\n")}`;
}

/**
 * Every error a user can cause: a stable `code`, the `subject` it is about and its `issues`, so the CLI can
 * print one line (and the explorer a list) instead of a stack trace. `new MemdescError(code, "text")` is an
 * error with one issue and no subject.
 */
export class MemdescError extends Error {
  readonly code: string;
  readonly subject: string | undefined;
  readonly issues: readonly MemdescIssue[];
  readonly hint: string | undefined;

  constructor(code: string, detail: string | MemdescErrorData, options?: { cause?: unknown }) {
    const data: MemdescErrorData =
      typeof detail === "string" ? { issues: [{ path: [], message: detail }] } : detail;
    super(render(data), options?.cause !== undefined ? { cause: options.cause } : undefined);
    this.name = new.target.name;
    this.code = code;
    this.subject = data.subject;
    this.issues = data.issues;
    this.hint = data.hint;
  }
}

/** Whether a value is a MemdescError, by shape: a copy of core loaded twice still counts. */
export function isMemdescError(e: unknown): e is MemdescError {
  return (
    e instanceof Error &&
    typeof (e as { code?: unknown }).code === "string" &&
    Array.isArray((e as { issues?: unknown }).issues)
  );
}

/**
 * The data of `inner` seen from inside `subject` at `path`: its issues under that path, and its own subject kept
 * in front of each of their messages. For an error raised while reading part of something larger (a registry's
 * refusal of a plugin, inside the config file that listed it).
 */
export function within(inner: MemdescError, subject: string, path: IssuePath = []): MemdescErrorData {
  return {
    subject,
    issues: inner.issues.map((i) => ({
      ...i,
      path: [...path, ...i.path],
      message: inner.subject === undefined ? i.message : `${inner.subject}: ${i.message}`,
    })),
    hint: inner.hint,
  };
}

/** Where in a C description something went wrong: `struct page` → field `lru`. */
export interface TypeSite {
  readonly plugin?: string | undefined;
  readonly struct?: string | undefined;
  readonly field?: string | undefined;
}

export function describeSite(site: TypeSite): string {
  const parts: string[] = [];
  if (site.plugin) parts.push(`plugin ${site.plugin}`);
  if (site.struct) parts.push(site.struct);
  if (site.field) parts.push(`field ${site.field}`);
  return parts.join(", ");
}

/** A C description that cannot be laid out: unknown type, duplicate field, bad bitfield or array. */
export class LayoutError extends MemdescError {
  readonly site: TypeSite;
  constructor(
    code:
      | "UNKNOWN_TYPE"
      | "DUPLICATE_FIELD"
      | "ARRAY_LENGTH"
      | "BITFIELD_WIDTH"
      | "INCOMPLETE_TYPE"
      | "BAD_ALIGNMENT"
      | "FLEXIBLE_ARRAY"
      | "BAD_TYPE",
    detail: string,
    site: TypeSite,
  ) {
    const where = describeSite(site);
    super(code, { subject: where || undefined, issues: [{ path: [], message: detail }] });
    this.site = site;
  }
}
