import { spawnSync } from "node:child_process";

/*
 * Where a JavaScript config's (or plugin's) syntax error is. Node's `import()` of an ES module with a syntax
 * error gives only the message ("Unexpected string"): the file and line are added to the stack only when the
 * error reaches the top level. `node --check FILE` parses without running anything and prints `FILE:LINE`, the
 * line and a caret under the column. (A TypeScript config's place comes from jiti: load.ts.)
 */

/** `memdesc.config.mjs:3:9: Unexpected string`: the place and what is wrong there. */
export interface SyntaxPlace {
  readonly line: number;
  readonly column: number;
  readonly message: string;
}

/** The place of a syntax error `err` met while importing `file`, if it is in `file` and can be found. */
export function syntaxPlace(file: string, err: unknown): SyntaxPlace | undefined {
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
