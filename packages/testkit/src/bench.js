// What the benchmarks share (`@memdesc/testkit/bench`): a median, a figure printed with thousands separators, a
// rate measured in rounds, and the environment whole processes are timed in.

export const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
export const fmt = (n) => Math.round(n).toLocaleString("en-US");

/**
 * Runs `fn` (which returns how many operations it did) for about `ms` milliseconds per round, after `warmup`
 * calls, and returns the median rate over `rounds` rounds in operations per second.
 */
export function rate(fn, { rounds = 7, ms = 200, warmup = 0 } = {}) {
  for (let w = 0; w < warmup; w++) fn();
  const rates = [];
  for (let r = 0; r < rounds; r++) {
    let ops = 0;
    const start = performance.now();
    let now = start;
    while (now - start < ms) {
      ops += fn();
      now = performance.now();
    }
    rates.push((ops * 1000) / (now - start));
  }
  return median(rates);
}

/**
 * This process's environment without the variables that make every node process do more at start-up
 * (NODE_EXTRA_CA_CERTS parses a certificate bundle, some 35 ms of CPU on a 2-CPU machine; NODE_OPTIONS may add
 * anything), and which of them were set. They add the same to memdesc and to a `node -e 0` baseline, and count
 * against node only beside page-types or cat.
 */
export function withoutStartupVars() {
  const removed = ["NODE_EXTRA_CA_CERTS", "NODE_OPTIONS"].filter((v) => process.env[v] !== undefined);
  const env = Object.fromEntries(Object.entries(process.env).filter(([k]) => !removed.includes(k)));
  return { env, removed };
}
