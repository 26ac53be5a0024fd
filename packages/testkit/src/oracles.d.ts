import type { describe, it } from "vitest";

/** The oracles a test can need, as the summary names them. */
export type OracleName =
  | "pahole"
  | "bpftool"
  | "gcc"
  | "gcc -m32"
  | "chromium"
  | "root"
  | "kernel BTF"
  | "/proc/kpageflags"
  | "/proc/slabinfo"
  | "/proc/zoneinfo"
  | "prometheus_client";

export declare const oracleNames: readonly OracleName[];

/** Whether a missing oracle fails the test: the `CI` variable is set (and not "false" or "0"). */
export declare function oraclesRequired(): boolean;

/**
 * `describe` and `it` for tests that need `oracle` (one name or several); `missing` says why it is missing
 * here, or is undefined when it is present. Present: the tests run, with the oracles in their meta. Missing:
 * skipped with the reason printed, or, when `CI` is set, one failing test naming the oracle.
 */
export declare function needs(
  oracle: OracleName | readonly OracleName[],
  missing: string | undefined,
): { describe: typeof describe; it: typeof it };
/** The same, each oracle with why it is missing here (undefined when present). */
export declare function needs(oracles: Partial<Record<OracleName, string | undefined>>): {
  describe: typeof describe;
  it: typeof it;
};

declare module "@vitest/runner" {
  interface TaskMeta {
    /** The oracles the test needs (`needs()` of @memdesc/testkit). */
    oracles?: string[];
    /** The missing ones, with why, when the test was skipped or failed for want of them. */
    missing?: Record<string, string>;
  }
}
