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
export { fsError, KpageflagsError, type KpageflagsErrorCode } from "./errors.js";
export * from "./flags.js";
export { surveyLabel, surveyPicture } from "./picture.js";
export {
  defaultChunkPfns,
  defaultSectionBytes,
  type PageChunk,
  type PageMapFiles,
  type PageMapInfo,
  type PageMapSource,
  type ReadProgress,
  sectionPfnsFor,
} from "./read/chunk.js";
export { type PfnRange, parseIomem, type RamMap, ramMap, readIomem } from "./read/iomem.js";
export { defaultParallelReads, type ProcSourceOptions, procSource } from "./read/proc.js";
export { type RawSourceOptions, rawSource } from "./read/raw.js";
export { type SurveyReport, surveyReport, surveyReportJsonSchema, surveyReportSchema } from "./report.js";
export { sampleSnapshotPath } from "./sample.js";
export { type SurveyJson, surveyJsonSchema, surveySchema } from "./schema.js";
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
  type DecodedStream,
  decodeSnapshot,
  expandChunksSync,
  readSnapshot,
  type Snapshot,
  snapshotSource,
} from "./snapshot/read.js";
export {
  captureSnapshot,
  encodeSnapshot,
  StreamEncoder,
  type WriteSnapshotOptions,
  type WrittenSnapshot,
  writeFileAtomic,
  writeSnapshot,
} from "./snapshot/write.js";
export {
  classifierFor,
  makeSurvey,
  type Survey,
  type SurveyOptions,
  type SurveySource,
  survey,
  surveyProc,
  surveyRaw,
  type UnseenEntry,
} from "./survey.js";
export {
  describedUses,
  largeKmallocNote,
  type SurveyUse,
  surveyUses,
  type UnseenUse,
  unseenUses,
} from "./uses.js";
