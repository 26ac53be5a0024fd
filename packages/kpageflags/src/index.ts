// The Node entry: everything the browser entry has, plus reading /proc, raw dumps and snapshot files, and
// writing snapshots. Its decodeSnapshot is synchronous (node:zlib inflates and checks CRCs).

export {
  type ArchiveOptions,
  type CaptureArchive,
  maxArchiveBytes,
  maxArchiveEntries,
  openCaptureArchive,
} from "./archive/archive.js";
export * from "./browser.js";
export { fsError } from "./errors.js";
export { HUGEPAGES_DIR, HVO_SYSCTL, readHugetlbState } from "./read/hugetlb.js";
export { parseIomem, readIomem } from "./read/iomem.js";
export { defaultReaders } from "./read/pool.js";
export { type ProcSourceOptions, procSource, rootOf } from "./read/proc.js";
export { type RawSourceOptions, rawSource } from "./read/raw.js";
export { dirRoot } from "./root/dir.js";
export { sampleSnapshotPath } from "./sample.js";
export {
  decodeSnapshot,
  maxSnapshotFileBytes,
  type ReadSnapshotOptions,
  readSnapshot,
  snapshotSource,
} from "./snapshot/read.js";
export {
  captureSnapshot,
  encodeSnapshot,
  type SnapshotMeta,
  StreamEncoder,
  type WriteSnapshotOptions,
  type WrittenSnapshot,
  writeFileAtomic,
  writeSnapshot,
} from "./snapshot/write.js";
export { surveyMachine, surveyProc, surveyRaw } from "./survey.js";
