import { colorEnabled } from "./color.js";

/*
 * A progress bar for a long step, drawn on stderr only where it can be drawn well: stderr is a terminal that
 * reports its width (a serial console reports none: nothing is drawn there), TERM names a terminal that can
 * erase a line (not `dumb`, not unset), and not in CI. It is one line, redrawn with a carriage return and
 * "erase to end of line" (ESC [ K), never wider than the terminal, coloured only where colour is allowed
 * (--no-color and NO_COLOR turn it off), and made of printable ASCII: no NUL, no cursor-movement sequences
 * beyond those two. It appears only once the step is still running after a second.
 */

/** Where a bar may be drawn: the terminal's width and whether it may be coloured. */
export interface ProgressTerminal {
  readonly columns: number;
  readonly color: boolean;
  write(text: string): void;
}

/** Progress of a long step. */
export interface Progress {
  /** `done` of `total` units so far (`total` undefined while unknown). */
  update(done: number, total: number | undefined): void;
  /** Gives the event loop a turn, so the bar's timer and drawing can run inside a busy loop. */
  tick(): Promise<void>;
  /** Removes the bar (the command prints its own result). */
  stop(): void;
}

const SHOW_AFTER_MS = 1000;
const REDRAW_MS = 100;
/** Narrower than this, a bar says nothing useful. */
const MIN_COLUMNS = 20;

const none: Progress = {
  update() {},
  tick: () => Promise.resolve(),
  stop() {},
};

interface Stream {
  readonly isTTY?: boolean;
  readonly columns?: number;
  write(text: string): unknown;
}

/**
 * The terminal a bar may be drawn on, or false: stderr must be a TTY that reports a width of at least 20
 * columns, TERM must be set and not `dumb`, and CI must not be set.
 */
export function progressTerminal(
  stream: Stream = process.stderr,
  env: NodeJS.ProcessEnv = process.env,
  colorFlag = true,
): ProgressTerminal | false {
  if (stream.isTTY !== true || env.CI) return false;
  if (!env.TERM || env.TERM === "dumb") return false;
  const columns = stream.columns;
  if (typeof columns !== "number" || !Number.isInteger(columns) || columns < MIN_COLUMNS) return false;
  return {
    columns,
    color: colorEnabled(stream, env, colorFlag),
    write: (text) => {
      stream.write(text);
    },
  };
}

/** Control characters (C0, DEL, C1) would move the cursor or worse: a file name is shown with `?` for them. */
// biome-ignore lint/suspicious/noControlCharactersInRegex: removing control characters is the point
const control = /[\u0000-\u001f\u007f-\u009f]/g;

/** `text`, cut to `n` characters with `~` marking the cut. */
const clip = (text: string, n: number) =>
  text.length <= n ? text : n > 1 ? `${text.slice(0, n - 1)}~` : text.slice(0, Math.max(0, n));

/**
 * One line of the bar, at most `columns - 1` characters wide (the last column would wrap on some terminals):
 * the label, a bar of up to 30 cells and the percentage. On a narrow terminal the bar shrinks first, then
 * the label is cut, then the bar goes.
 */
export function progressLine(
  label: string,
  done: number,
  total: number | undefined,
  columns: number,
  color: boolean,
): string {
  const width = columns - 1;
  let text = label.replace(control, "?");
  if (!total || total <= 0) return clip(text, width);
  const fraction = Math.min(1, Math.max(0, done / total));
  const pct = ` ${Math.floor(fraction * 100)}%`;
  let cells = Math.min(30, width - text.length - pct.length - 3);
  if (cells < 10) {
    cells = 10;
    const room = width - pct.length - 3 - cells;
    if (room < 8) return `${clip(text, width - pct.length)}${pct}`;
    text = clip(text, room);
  }
  const filled = Math.round(fraction * cells);
  const bar = `${"#".repeat(filled)}${"-".repeat(cells - filled)}`;
  const shownBar = color
    ? `\u001b[35m${bar.slice(0, filled)}\u001b[2m${bar.slice(filled)}\u001b[22;39m`
    : bar;
  return `${text} [${shownBar}]${pct}`;
}

/**
 * A progress bar for `label` on `terminal` (from `progressTerminal`), or nothing when there is none, so pipes,
 * files, CI logs and `--json` output never see it.
 */
export function startProgress(label: string, terminal: ProgressTerminal | false): Progress {
  if (!terminal) return none;
  let shown = false;
  let stopped = false;
  let done = 0;
  let total: number | undefined;
  let last = "";
  let lastDraw = 0;
  const draw = (force: boolean) => {
    if (!shown || stopped) return;
    const now = performance.now();
    if (!force && now - lastDraw < REDRAW_MS) return;
    const line = progressLine(label, done, total, terminal.columns, terminal.color);
    if (line === last) return;
    last = line;
    lastDraw = now;
    terminal.write(`\r${line}\u001b[K`);
  };
  const timer = setTimeout(() => {
    shown = true;
    draw(true);
  }, SHOW_AFTER_MS);
  timer.unref();
  return {
    update(d, t) {
      done = d;
      total = t;
      draw(false);
    },
    tick: () => new Promise((resolve) => setImmediate(resolve)),
    stop() {
      clearTimeout(timer);
      if (shown && !stopped && last !== "") terminal.write("\r\u001b[K");
      stopped = true;
    },
  };
}
