import { spawnSync } from "node:child_process";

/*
 * Where a config's syntax error is. Node's `import()` of an ES module with a syntax error gives only the
 * message ("Unexpected string"): the file and line are added to the stack only when the error reaches the top
 * level. `node --check FILE` parses without running anything and prints `FILE:LINE`, the line and a caret
 * under the column. A TypeScript config's error comes from esbuild through tsx, as `FILE:LINE:COLUMN` in the
 * message (esbuild's columns count from 0) or as esbuild's location data.
 */

/** `memdesc.config.mjs:3:9: Unexpected string`: the place and what is wrong there. */
export interface SyntaxPlace {
  readonly line: number;
  readonly column: number;
  readonly message: string;
}

interface EsbuildMessage {
  readonly text?: unknown;
  readonly location?: { readonly line?: unknown; readonly column?: unknown } | null;
}

/** The place of a syntax error `err` met while importing `file`, if it is in `file` and can be found. */
export function syntaxPlace(file: string, err: unknown): SyntaxPlace | undefined {
  const errors = (err as { errors?: unknown })?.errors;
  if (Array.isArray(errors) && errors.length > 0) {
    // esbuild: line is 1-based, column 0-based (in bytes of UTF-8, which is characters for ASCII source).
    const first = errors[0] as EsbuildMessage;
    const loc = first.location;
    if (
      loc &&
      typeof loc.line === "number" &&
      typeof loc.column === "number" &&
      typeof first.text === "string"
    )
      return { line: loc.line, column: loc.column + 1, message: first.text };
    return undefined;
  }
  // tsx rethrows esbuild's failure as a TransformError whose message lists `FILE:LINE:COLUMN: ERROR: text`.
  if ((err as Error)?.name === "TransformError") {
    for (const l of String((err as Error).message).split("\n")) {
      if (!l.startsWith(`${file}:`)) continue;
      const m = /^:(\d+):(\d+): ERROR: (.*)$/.exec(l.slice(file.length));
      if (m) return { line: Number(m[1]), column: Number(m[2]) + 1, message: m[3]! };
    }
    return undefined;
  }
  if ((err as Error)?.name !== "SyntaxError") return undefined;
  const r = spawnSync(process.execPath, ["--check", file], {
    encoding: "utf8",
    timeout: 10_000,
    maxBuffer: 1 << 20,
  });
  if (r.status === 0 || typeof r.stderr !== "string") return undefined;
  // FILE:LINE, the source line, a line with ^ under the error, a blank line, then "SyntaxError: message".
  const lines = r.stderr.split("\n");
  const head = lines.findIndex((l) => l.startsWith(`${file}:`));
  if (head < 0) return undefined;
  const line = Number(lines[head]!.slice(file.length + 1));
  const caret = lines[head + 2] ?? "";
  const at = caret.indexOf("^");
  const column = at >= 0 ? at + 1 : caret.length + 1;
  const message = lines.find((l) => l.startsWith("SyntaxError: "))?.slice("SyntaxError: ".length);
  if (!Number.isInteger(line) || line < 1 || !message) return undefined;
  return { line, column, message };
}
