// What the benchmarks share (`@memdesc/testkit/bench`): a median, a figure printed with thousands separators, and a
// rate measured in rounds.

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
