/**
 * `@memdesc/kpageflags/browser`: everything that works without Node.js — snapshot decoding from bytes, the
 * classifier, the survey of any page-map source, picture, bill, the survey JSON schema and the flag table — so
 * a web page (the memdesc explorer) surveys and bills a snapshot with exactly the code the CLI runs. Reading
 * /proc, raw dumps, files and writing snapshots stay in the main entry.
 */
import { crc32 } from "./crc32.js";
import { decodeBody, decodeInflated, readEnvelope, type Snapshot } from "./snapshot/decode.js";

export type { Account, GroupAccount } from "./account/account.js";
export { agreeWithinPercent, type CrossCheckRow, crossCheck } from "./account/crosscheck.js";
export { type Attribution, type BilledTally, type CounterRef, countedLabel } from "./account/ledger.js";
export { surveyBill } from "./bill.js";
export {
  type Labels,
  labelKeyPattern,
  labelProblem,
  maxLabels,
  maxLabelValue,
  parseLabels,
  reservedLabelKeys,
  sortLabels,
} from "./capture/labels.js";
export {
  type CaptureMeta,
  captureMetaPath,
  inodesPath,
  parseCaptureMeta,
  readCaptureMeta,
  vmstatAfterPath,
} from "./capture/meta.js";
export { type CaptureTree, captureTree } from "./capture/root.js";
export {
  type Anomalies,
  type Anomaly,
  type AnomalyKind,
  type CgroupTally,
  type Classification,
  Classifier,
  type ClassifierOptions,
  type GroupTally,
  type MapcountTally,
  type Quirks,
  type RamTally,
  type UseTally,
  useNumbers,
  useOfFlags,
} from "./classify.js";
export type { KernelCounters, VmstatCounter, ZoneCounters } from "./counters/kernel.js";
export { crc32 } from "./crc32.js";
export { KpageflagsError, type KpageflagsErrorCode } from "./errors.js";
export * from "./flags.js";
export {
  cgroupGrouping,
  type GroupKey,
  type GroupRange,
  type PfnGrouping,
  rangeGrouping,
} from "./grouping.js";
export { type HugetlbState, hugetlbNotes, hugetlbStateOf } from "./hugetlb.js";
export { maxSnapshotBytes, maxSurveyJsonBytes } from "./limits.js";
export { pictureUses, surveyLabel, surveyPicture } from "./picture.js";
export {
  checkChunkPfns,
  defaultChunkPfns,
  defaultSectionBytes,
  maxPfnsFor,
  maxPhysBits,
  type PageChunk,
  type PageMapFiles,
  type PageMapInfo,
  type PageMapSource,
  type ReadProgress,
  sectionPfnsFor,
} from "./read/chunk.js";
export { type PfnRange, type RamMap, ramMap } from "./read/ram.js";
export {
  crossCheckRowSchema,
  groupBillsSchema,
  type SurveyReport,
  surveyReport,
  surveyReportJsonSchema,
  surveyReportSchema,
} from "./report.js";
export { recordingRoot, type TreeEntry, treeRoot } from "./root/record.js";
export {
  emptyRoot,
  type RootErrorCode,
  type RootResult,
  type RootStat,
  readText,
  type SystemRoot,
} from "./root/root.js";
export { encodeRuns, type FileRuns, type RunBatch } from "./runs.js";
export { defaultSampleName, type SampleInfo, sampleInfo, samples } from "./samples.js";
export {
  hugetlbStateSchema,
  kernelCountersSchema,
  type SurveyJson,
  surveyJsonSchema,
  surveySchema,
} from "./schema.js";
export { type DecodedStream, expandChunksSync, type Snapshot } from "./snapshot/decode.js";
export {
  type SnapshotHeader,
  type SnapshotHeaderV1,
  type SnapshotHeaderV2,
  type SnapshotStream,
  type StreamFile,
  snapshotExtension,
  snapshotHeaderSchema,
  snapshotMagic,
  snapshotVersion,
  snapshotVersions,
} from "./snapshot/format.js";
export {
  classifierFor,
  makeSurvey,
  type Survey,
  type SurveyGrouping,
  type SurveyOptions,
  type SurveySource,
  survey,
  type UnseenEntry,
} from "./survey-core.js";
export {
  type BilledUse,
  billedUses,
  type CountedUse,
  countedUses,
  describedUses,
  type SurveyUse,
  surveyUses,
  type UnseenUse,
  unseenUses,
} from "./uses.js";

/**
 * Inflates a gzip member with the platform's DecompressionStream, refusing to produce more than `max` bytes
 * (the size the snapshot declared, itself bounded by the file's size).
 */
async function gunzip(stored: Uint8Array, max: number): Promise<Uint8Array> {
  const ds = new DecompressionStream("gzip");
  const writer = ds.writable.getWriter();
  writer.write(stored as Uint8Array<ArrayBuffer>).catch(() => {});
  writer.close().catch(() => {});
  const reader = ds.readable.getReader();
  const out = new Uint8Array(max);
  let at = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) return out.subarray(0, at);
    if (at + value.length > max) {
      await reader.cancel().catch(() => {});
      throw new Error(`more than the ${max} bytes declared`);
    }
    out.set(value, at);
    at += value.length;
  }
}

/**
 * Validates and decodes a snapshot held in memory (a fetched or dropped file); version 2's body is inflated
 * with DecompressionStream, so this is asynchronous. `path` names it in errors.
 */
export async function decodeSnapshot(
  data: Uint8Array,
  path = "<snapshot>",
  options: { batchRuns?: number } = {},
): Promise<Snapshot> {
  const env = readEnvelope(data, path);
  const h = env.header;
  if (h.version === 1) return decodeBody(crc32, env, env.stored, options);
  let inflated: { body: Uint8Array } | { error: unknown };
  try {
    inflated = { body: await gunzip(env.stored, h.body.rawBytes) };
  } catch (error) {
    inflated = { error };
  }
  return decodeInflated(crc32, env, inflated, options);
}
