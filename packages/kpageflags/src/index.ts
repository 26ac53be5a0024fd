// The Node entry: everything the browser entry has, plus reading /proc, raw dumps and snapshot files, and
// writing snapshots. Its decodeSnapshot checks CRCs with node:zlib rather than the browser's table.
export * from "./browser.js";
export { fsError } from "./errors.js";
export { HUGEPAGES_DIR, HVO_SYSCTL, readHugetlbState } from "./read/hugetlb.js";
export { parseIomem, readIomem } from "./read/iomem.js";
export { defaultParallelReads, type ProcSourceOptions, procSource } from "./read/proc.js";
export { type RawSourceOptions, rawSource } from "./read/raw.js";
export { sampleSnapshotPath } from "./sample.js";
export { decodeSnapshot, readSnapshot, snapshotSource } from "./snapshot/read.js";
export {
  captureSnapshot,
  encodeSnapshot,
  StreamEncoder,
  type WriteSnapshotOptions,
  type WrittenSnapshot,
  writeFileAtomic,
  writeSnapshot,
} from "./snapshot/write.js";
export { surveyProc, surveyRaw } from "./survey.js";
