import { builtinDesignNames } from "@memdesc/core/design-names";
import { isMemdescError, keyPath, MemdescError, type MemdescErrorData } from "@memdesc/core/errors";

/**
 * The CLI's error handling: a user error (bad input, a failed check, an unreadable machine) is one line and a
 * hint on stderr with exit status 1; anything else is an internal error, exit status 2. `--debug` adds the
 * stack. Errors are data (a MemdescError's code, subject and issues, from any @memdesc package or from here);
 * `describeError` is the one place that makes a sentence of them.
 */

/** An error the user can fix: printed as `memdesc: <subject>: <issues>` and `hint: <hint>`, exit status 1. */
export class UserError extends MemdescError {
  constructor(
    detail: string | MemdescErrorData,
    hint?: string,
    options?: { cause?: unknown; code?: string },
  ) {
    const data = typeof detail === "string" ? { issues: [{ path: [], message: detail }] } : detail;
    super(options?.code ?? "USER_ERROR", { ...data, hint: hint ?? data.hint }, { cause: options?.cause });
  }
}

/** A check that ran and found failures: its report is already printed, so only the exit status is left. */
export class CheckFailed extends Error {
  constructor(message: string) {
    super(message);
    this.name = "CheckFailed";
  }
}

/** Hints for the codes @memdesc packages throw, where the error does not carry one of its own. */
const hints: Record<string, string> = {
  UNKNOWN_DESIGN: `the built-in designs are ${builtinDesignNames.join(", ")}`,
  BAD_DESIGN: "a design needs name, title, entryBytes and typeBits; see `memdesc types --help`",
  BAD_PICTURE:
    'a picture is {"pageSize": 4096, "uses": {"file": {"pages": N, "descriptors": N}}}; see `memdesc bill --help`',
  BAD_PLUGIN: "a plugin is what defineDescriptor() from @memdesc/core returns",
  DUPLICATE_KIND: "list each kind once in the config's plugins",
  TAG_CONFLICT: "drop one plugin's preferred tag, or pick another design",
  TAG_RANGE: "pick a tag that fits the design's type bits",
  TOO_MANY_KINDS: "compose fewer plugins, or use a design with more type bits",
  OVERLAY_FIELD: "the plugin's overlay rules name a field its layout or struct page lacks",
  UNKNOWN_KIND: "list the composed set with `memdesc plugins`",
  UNKNOWN_LAYOUT: "list the composed set with `memdesc plugins`",
  UNKNOWN_TYPE: "the plugin's layout names a type the layout engine does not know",
  ACTION_CONFLICT: "compose one of the two plugins, or ask their authors to rename the action",
  BTF_NOT_FOUND: "check the struct name, e.g. `memdesc layout page --btf /sys/kernel/btf/vmlinux`",
  BTF_SPLIT:
    "pass the BTF of the kernel it was built for with --btf-base FILE (its vmlinux, or /sys/kernel/btf/vmlinux on that kernel)",
  BTF_NO_BTF: "pahole -J FILE (package dwarves) adds .BTF from the file's DWARF debug info",
  BTF_FORMAT: "pass a vmlinux, a .ko, an object with .BTF, or a raw BTF file such as /sys/kernel/btf/vmlinux",
  BTF_ELF: "pass an intact ELF file (a vmlinux, a .ko or an object built with debug info)",
};

/** The hint for an error code from the @memdesc packages, if there is one. */
export function hintFor(code: string): string | undefined {
  return hints[code] ?? (code.startsWith("BTF_") ? btfHint : undefined);
}

const btfHint =
  "pass a BTF file made by the kernel build (vmlinux's .BTF, or /sys/kernel/btf/vmlinux), whole";

/** Text from elsewhere (a system error, a plugin's message) on one line. */
const flat = (text: string) =>
  text
    .split("\n")
    .map((l) => l.trim())
    .filter(Boolean)
    .join("; ");

/** The sentence for an error's data: `subject: key.path: message; other: message`. */
export function sentence(data: Pick<MemdescErrorData, "subject" | "issues">): string {
  const issues = data.issues.map((i) => {
    const at = keyPath(i.path);
    return flat(at ? `${at}: ${i.message}` : i.message);
  });
  return [data.subject, issues.join("; ")].filter(Boolean).join(": ");
}

/** What to print for an error and the exit status: 1 for user errors, 2 for bugs. */
export function describeError(err: unknown): { message: string; hint: string | undefined; status: 1 | 2 } {
  if (isMemdescError(err)) return { message: sentence(err), hint: err.hint ?? hintFor(err.code), status: 1 };
  const e = err instanceof Error ? err : new Error(String(err));
  return {
    message: `internal error: ${flat(e.message)}`,
    hint: "this is a bug in memdesc or a plugin; run again with --debug and report the output",
    status: 2,
  };
}

/** Prints an error the way the CLI does and returns the exit status. */
export function reportError(err: unknown, debug: boolean): 1 | 2 {
  if (err instanceof CheckFailed) return 1;
  const { message, hint, status } = describeError(err);
  const lines = [`memdesc: ${message}`];
  if (hint) lines.push(`hint: ${hint}`);
  process.stderr.write(`${lines.join("\n")}\n`);
  if (debug && err instanceof Error) process.stderr.write(`\n${err.stack ?? err.message}\n`);
  if (debug && err instanceof Error && err.cause instanceof Error)
    process.stderr.write(`caused by: ${err.cause.stack ?? err.cause.message}\n`);
  return status;
}
