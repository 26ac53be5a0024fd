import type { ReportSink } from "./io/report.js";
import { type Colors, colorEnabled, colors } from "./output/color.js";
import { type ProgressTerminal, progressTerminal } from "./output/progress.js";

/** What every command gets besides its own options: output style and switches that apply everywhere. */
export interface Context {
  readonly json: boolean;
  readonly debug: boolean;
  /** Colour for the report (bold headers, pass/fail): off unless it goes to a terminal. */
  readonly c: Colors;
  /** Colour for stderr (notes, the progress bar): off unless stderr is a terminal. */
  readonly cErr: Colors;
  /** Where a progress bar may be drawn (stderr, when it is a terminal that can show one), or false. */
  readonly progress: ProgressTerminal | false;
  /** Whether the report goes to a terminal (standard output is a TTY and there is no `-o FILE`). */
  readonly terminal: boolean;
  readonly cwd: string;
  /** The report: standard output, or the file given with `-o`; bytes for a binary format. */
  out(data: string | Uint8Array): void;
  err(text: string): void;
}

export function makeContext(options: {
  json?: boolean;
  debug?: boolean;
  color?: boolean;
  sink: ReportSink;
}): Context {
  const json = options.json === true;
  const flag = options.color !== false;
  const sink = options.sink;
  return {
    json,
    debug: options.debug === true,
    c: colors(!json && sink.terminal && colorEnabled(process.stdout, process.env, flag)),
    cErr: colors(colorEnabled(process.stderr, process.env, flag)),
    progress: progressTerminal(process.stderr, process.env, flag),
    terminal: sink.terminal,
    cwd: process.cwd(),
    out: (text) => sink.write(text),
    err: (text) => process.stderr.write(text),
  };
}
