import { decodeSnapshot, type SnapshotHeader, type Survey, survey } from "@memdesc/kpageflags/browser";
import { pageUseRuns, type UseRuns } from "./usemap.js";

/** The raw kpageflags words of a page map as runs, for the page map's hover: `flagAt(pfn)`. */
export interface FlagRuns {
  /** Exclusive end offset (from startPfn) of each run. */
  readonly end: Float64Array;
  /** Index into `values` of each run. */
  readonly value: Uint32Array;
  /** Distinct words as u32 halves, low first. */
  readonly values: Uint32Array;
}

/** A snapshot, surveyed and turned into what the Survey view draws. */
export interface Analysis {
  readonly name: string;
  readonly bytes: number;
  readonly header: SnapshotHeader;
  readonly survey: Survey;
  readonly uses: UseRuns;
  readonly flags: FlagRuns;
  /** Milliseconds spent decoding, classifying and building the use runs. */
  readonly timings: { readonly decode: number; readonly survey: number; readonly useRuns: number };
}

/**
 * Decodes and validates a snapshot (kpageflags' `decodeSnapshot`, the same checks as the CLI; a version-2 body is
 * inflated with DecompressionStream), surveys it and the counters it holds as `memdesc survey` does, and builds
 * the use runs and flag runs of the page map.
 */
export async function analyzeSnapshot(data: Uint8Array, name: string): Promise<Analysis> {
  const t0 = performance.now();
  const snap = await decodeSnapshot(data, name);
  const t1 = performance.now();
  // The counters the capture recorded (version 2) are replayed, so the page shows what `memdesc survey` does.
  const s = await survey(snap.source, { root: snap.root() });
  const t2 = performance.now();
  const flags = snap.streams.find((x) => x.file === "kpageflags")!;
  const uses = pageUseRuns(flags, {
    startPfn: snap.header.startPfn,
    pfnCount: snap.header.pfnCount,
    ram: snap.source.info.ram,
    sectionPfns: snap.header.sectionPfns,
  });
  const end = new Float64Array(flags.runLength.length);
  let at = 0;
  for (let i = 0; i < end.length; i++) {
    at += flags.runLength[i]!;
    end[i] = at;
  }
  const t3 = performance.now();
  return {
    name,
    bytes: data.length,
    header: snap.header,
    survey: s,
    uses,
    flags: { end, value: flags.runValue, values: flags.values },
    timings: { decode: t1 - t0, survey: t2 - t1, useRuns: t3 - t2 },
  };
}
