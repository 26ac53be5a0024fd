import type { Labels } from "@memdesc/kpageflags";

/**
 * Which machine a bill is of, and when: what every machine-readable output carries so that a fleet's files can
 * be told apart, grouped and joined (the host's name, kernel, architecture, RAM, when it was read, the labels
 * it was given). Null where the input does not say: a snapshot made before memdesc recorded the hostname, a raw
 * dump, which has no counters at all.
 */
export interface HostIdentity {
  /** /proc/sys/kernel/hostname as read with the counters. */
  readonly hostname: string | null;
  /** `uname -r`. */
  readonly kernelRelease: string | null;
  /** `uname -m`. */
  readonly arch: string | null;
  readonly pageSize: number;
  /** Pages with a struct page (System RAM), and their bytes: the bill's denominator. */
  readonly ramPages: number;
  readonly ramBytes: number;
  /** When the page map was read (ISO 8601, UTC). */
  readonly capturedAt: string | null;
  readonly labels: Labels;
}

/**
 * The survey's schema version: the shape of `survey --format json|ndjson|parquet` output and of the Parquet
 * columns. It changes when a field is removed or changes meaning; `memdesc fleet` refuses other versions.
 */
export const surveySchemaVersion = 1;

/** ISO 8601 in UTC to the millisecond, or null for a time that does not parse. */
export function isoTime(text: string | undefined): string | null {
  if (text === undefined) return null;
  const t = Date.parse(text);
  return Number.isNaN(t) ? null : new Date(t).toISOString();
}
