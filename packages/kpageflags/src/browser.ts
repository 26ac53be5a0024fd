/**
 * `@memdesc/kpageflags/browser`: everything that works without Node.js — snapshot decoding from bytes, the
 * classifier, the survey of any page-map source, picture, bill, the survey JSON schema and the flag table — so
 * a web page (the memdesc explorer) surveys and bills a snapshot with exactly the code the CLI runs. Reading
 * /proc, raw dumps, files and writing snapshots stay in the main entry.
 */
import { crc32 } from "./crc32.js";
import { decodeSnapshotWith, type Snapshot } from "./snapshot/decode.js";

export { surveyBill } from "./bill.js";
export {
  type Anomalies,
  type Anomaly,
  type AnomalyKind,
  type CgroupTally,
  type Classification,
  Classifier,
  type ClassifierOptions,
  type MapcountTally,
  type Quirks,
  type RamTally,
  type UseTally,
  useNumbers,
  useOfFlags,
} from "./classify.js";
export { crc32 } from "./crc32.js";
export { KpageflagsError, type KpageflagsErrorCode } from "./errors.js";
export * from "./flags.js";
export { type HugetlbState, hugetlbNotes, hugetlbStateSchema } from "./hugetlb.js";
export { maxSnapshotBytes, maxSurveyJsonBytes } from "./limits.js";
export { surveyLabel, surveyPicture } from "./picture.js";
export {
  checkChunkPfns,
  defaultChunkPfns,
  defaultSectionBytes,
  type PageChunk,
  type PageMapFiles,
  type PageMapInfo,
  type PageMapSource,
  type ReadProgress,
  sectionPfnsFor,
} from "./read/chunk.js";
export { maxPfns, maxPhysBits, type PfnRange, type RamMap, ramMap } from "./read/ram.js";
export { type SurveyReport, surveyReport, surveyReportJsonSchema, surveyReportSchema } from "./report.js";
export { type SurveyJson, surveyJsonSchema, surveySchema } from "./schema.js";
export { type DecodedStream, expandChunksSync, type Snapshot } from "./snapshot/decode.js";
export {
  type SnapshotHeader,
  type SnapshotStream,
  type StreamFile,
  snapshotExtension,
  snapshotHeaderSchema,
  snapshotMagic,
  snapshotVersion,
} from "./snapshot/format.js";
export {
  classifierFor,
  makeSurvey,
  type Survey,
  type SurveyOptions,
  type SurveySource,
  survey,
  type UnseenEntry,
} from "./survey-core.js";
export {
  describedUses,
  largeKmallocNote,
  type SurveyUse,
  surveyUses,
  type UnseenUse,
  unseenUses,
} from "./uses.js";

/** Validates and decodes a snapshot held in memory (a fetched or dropped file). `path` names it in errors. */
export function decodeSnapshot(
  data: Uint8Array,
  path = "<snapshot>",
  options: { chunkPfns?: number } = {},
): Snapshot {
  return decodeSnapshotWith(crc32, data, path, options);
}
