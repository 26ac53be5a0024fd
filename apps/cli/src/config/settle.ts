import { UserError } from "../errors.js";

/*
 * Loading a config or a plugin runs someone else's code, which may never finish: a top-level `await` on a
 * promise nothing resolves, or a factory that returns one. Node then either exits when nothing is left to do
 * (status 13, "unsettled top-level await", and no word of which module) or waits forever. Every such step is
 * awaited through `settle`, which names the step in one line in both cases.
 */

/** Longest a config or plugin may take to load (its import, then its factory) before memdesc gives up. */
export const SETTLE_TIMEOUT_MS = 30_000;

const pending = new Map<number, { what: string; hint: string }>();
let nextId = 0;
let hooked = false;

/**
 * When the event loop empties while a step is pending, Node is about to exit with status 13. The handler runs
 * first (it is prepended), says which step never settled, and makes the exit status 1, as for any user error.
 */
function hook(): void {
  if (hooked) return;
  hooked = true;
  process.prependListener("exit", () => {
    const first = pending.values().next().value;
    if (!first || process.exitCode !== undefined) return;
    process.stderr.write(
      `memdesc: ${first.what} never finished: it waits for a promise that never settles\nhint: ${first.hint}\n`,
    );
    process.exitCode = 1;
  });
}

/**
 * Awaits `step` (an import, or a plugin factory's result), failing with one line naming `what` if it does not
 * settle within SETTLE_TIMEOUT_MS or never settles at all.
 */
export async function settle<T>(what: string, hint: string, step: () => Promise<T> | T): Promise<T> {
  hook();
  const id = nextId++;
  pending.set(id, { what, hint });
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () =>
        reject(
          new UserError(`${what} did not finish within ${SETTLE_TIMEOUT_MS / 1000} s`, hint, {
            code: "LOAD_TIMEOUT",
          }),
        ),
      SETTLE_TIMEOUT_MS,
    );
    // The timer alone must not keep the process alive: an empty event loop is reported by the exit hook.
    timer.unref();
  });
  try {
    return await Promise.race([Promise.resolve().then(step), timeout]);
  } finally {
    clearTimeout(timer);
    pending.delete(id);
  }
}
