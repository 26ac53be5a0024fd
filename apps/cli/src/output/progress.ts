import type { ProgressResult } from "@clack/prompts";

/** Progress of a long step, for a terminal: a bar on stderr that appears only once the step passes a second. */
export interface Progress {
  /** `done` of `total` units so far (`total` undefined while unknown). */
  update(done: number, total: number | undefined): void;
  /** Gives the event loop a turn, so the bar's timer and drawing can run inside a busy loop. */
  tick(): Promise<void>;
  /** Removes the bar (the command prints its own result). */
  stop(): void;
}

const SHOW_AFTER_MS = 1000;
const STEPS = 1000;

const none: Progress = {
  update() {},
  tick: () => Promise.resolve(),
  stop() {},
};

/**
 * A progress bar for `label`, shown on stderr when it is a terminal and the step is still running after a
 * second; otherwise nothing, so pipes, files, CI logs and `--json` output never see it. @clack/prompts is
 * imported only when the bar is actually drawn.
 */
export function startProgress(label: string, enabled: boolean): Progress {
  if (!enabled) return none;
  let bar: ProgressResult | undefined;
  let stopped = false;
  let shown = 0;
  let done = 0;
  let total: number | undefined;
  const target = () => (total ? Math.min(STEPS, Math.floor((done / total) * STEPS)) : 0);
  const timer = setTimeout(() => {
    void import("@clack/prompts").then((clack) => {
      if (stopped) return;
      bar = clack.progress({ max: STEPS, output: process.stderr, withGuide: false, style: "heavy" });
      bar.start(label);
      sync();
    });
  }, SHOW_AFTER_MS);
  timer.unref();
  const sync = () => {
    if (!bar) return;
    const t = target();
    if (t > shown) {
      bar.advance(t - shown, total ? `${label} ${Math.floor((done / total) * 100)}%` : label);
      shown = t;
    }
  };
  return {
    update(d, t) {
      done = d;
      total = t;
      sync();
    },
    tick: () => new Promise((resolve) => setImmediate(resolve)),
    stop() {
      stopped = true;
      clearTimeout(timer);
      if (bar) bar.clear();
    },
  };
}

/** Whether a progress bar may be drawn: stderr is a terminal, and not in CI. */
export function progressEnabled(): boolean {
  return process.stderr.isTTY === true && !process.env.CI;
}
