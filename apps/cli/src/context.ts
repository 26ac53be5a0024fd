import { type Colors, colorEnabled, colors } from "./output/color.js";
import { progressEnabled } from "./output/progress.js";

/** What every command gets besides its own options: output style and switches that apply everywhere. */
export interface Context {
  readonly json: boolean;
  readonly debug: boolean;
  /** Colour for stdout (bold headers, pass/fail) — off unless stdout is a terminal. */
  readonly c: Colors;
  /** Whether a progress bar may be drawn on stderr. */
  readonly progress: boolean;
  readonly cwd: string;
  out(text: string): void;
  err(text: string): void;
}

export function makeContext(options: { json?: boolean; debug?: boolean; color?: boolean }): Context {
  const json = options.json === true;
  return {
    json,
    debug: options.debug === true,
    c: colors(!json && colorEnabled(process.stdout, process.env, options.color !== false)),
    progress: progressEnabled(),
    cwd: process.cwd(),
    out: (text) => process.stdout.write(text),
    err: (text) => process.stderr.write(text),
  };
}
