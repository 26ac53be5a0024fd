/*
 * Clean-ups that must run however the process ends: a staged output is removed on Ctrl-C (SIGINT), SIGTERM,
 * SIGHUP and on exit, so an interrupted capture leaves nothing behind. After the clean-ups a signal is raised
 * again with the default action, so the exit status still says which signal ended the process.
 */

const cleanups = new Set<() => void>();
const signals = ["SIGINT", "SIGTERM", "SIGHUP"] as const;

function runAll(): void {
  for (const fn of [...cleanups]) {
    try {
      fn();
    } catch {
      // one failed clean-up must not stop the others
    }
  }
  cleanups.clear();
}

function onSignal(signal: NodeJS.Signals): void {
  runAll();
  uninstall();
  process.kill(process.pid, signal);
}

let installed = false;

function install(): void {
  if (installed) return;
  installed = true;
  for (const s of signals) process.on(s, onSignal);
  process.on("exit", runAll);
}

function uninstall(): void {
  if (!installed) return;
  installed = false;
  for (const s of signals) process.off(s, onSignal);
  process.off("exit", runAll);
}

/** Runs `fn` if the process is interrupted or exits before the returned function is called. */
export function onInterrupt(fn: () => void): () => void {
  cleanups.add(fn);
  install();
  return () => {
    cleanups.delete(fn);
    if (cleanups.size === 0) uninstall();
  };
}
