import type { Arbitrary } from "fast-check";

/** Mutations of bytes (overwrites, extreme 32-bit words, truncation, insertion, repetition). */
export declare function byteMutation(original: Uint8Array): Arbitrary<(b: Uint8Array) => Uint8Array>;
/** Mutations of text (tokens that break formats, deletions, repeated lines, truncation, byte edits). */
export declare function textMutation(original: string): Arbitrary<(t: string) => string>;
/** Up to `maxMutations` (default 3) mutations applied to a copy of `original`. */
export declare function mutatedBytes(
  original: Uint8Array,
  options?: { maxMutations?: number },
): Arbitrary<Uint8Array>;
/** Up to `maxMutations` (default 3) mutations applied to `original`. */
export declare function mutatedText(original: string, options?: { maxMutations?: number }): Arbitrary<string>;

export interface FuzzOptions {
  /** Whether an error is the reader's own (typed) error; anything else fails the run. */
  readonly expected: (error: unknown) => boolean;
  /** The fast-check seed: the run is the same every time. */
  readonly seed: number;
  readonly numRuns: number;
  /** Longest one input may take before it counts as a hang (default 5000 ms). */
  readonly hangMs?: number;
  /** Most the process's peak resident memory may grow over the run (default 512 MiB). */
  readonly maxGrowth?: number;
}

/**
 * Runs `read` on every input; each must return or throw an expected error within `hangMs`, and peak memory
 * must stay within `maxGrowth`. Resolves to how many inputs were accepted and rejected.
 */
export declare function fuzzReader<T>(
  inputs: Arbitrary<T>,
  read: (input: T) => unknown,
  options: FuzzOptions,
): Promise<{ accepted: number; rejected: number }>;
