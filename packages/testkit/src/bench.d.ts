/** The median of some numbers (the upper one of an even count). */
export declare const median: (xs: readonly number[]) => number;
/** A figure with thousands separators, rounded: `12,345`. */
export declare const fmt: (n: number) => string;
/**
 * Runs `fn` (which returns how many operations it did) for about `ms` milliseconds per round, after `warmup`
 * calls, and returns the median rate over `rounds` rounds in operations per second.
 */
export declare function rate(
  fn: () => number,
  options?: { rounds?: number; ms?: number; warmup?: number },
): number;
/** This process's environment without NODE_EXTRA_CA_CERTS and NODE_OPTIONS, and which of them were set. */
export declare function withoutStartupVars(): { env: Record<string, string | undefined>; removed: string[] };
