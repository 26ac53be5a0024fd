export {
  type CrossCheckCategory,
  type CrossCheckEntry,
  type CrossCheckOptions,
  type CrossCheckResult,
  crossCheck,
  crossCheckHeadline,
  formatCrossCheck,
  type InferredAttribute,
} from "./cross-check.js";
export {
  type ElfFile,
  type ElfSection,
  findSection,
  isElf,
  type LoadRange,
  parseElf,
  sectionBytes,
} from "./elf.js";
export { BtfError, type BtfErrorCode, type BtfErrorSite } from "./errors.js";
export { type CTypesToBtfOptions, ctypesToBtf, type EncodedCTypes, writeCTypes } from "./from-ctype.js";
export { BASE_HEADER_LEN, BTF_MAGIC, type BtfHeader, parseHeader } from "./header.js";
export {
  type KernelMatrix,
  kernelMatrix,
  type MatrixCell,
  type MatrixRow,
  type MatrixStatus,
} from "./kernel-matrix.js";
export { Kind, kindNames, trailingBytes } from "./kinds.js";
export { type OpenBtfOptions, openBtf } from "./open.js";
export {
  checkPlugins,
  compareFields,
  type FieldCheck,
  type FieldSide,
  type FieldStatus,
  type PluginCheck,
  type PluginCheckResult,
  type RuleCheck,
} from "./plugin-check.js";
export { Btf, type BtfSource, type ReadBtfOptions, readBtf } from "./reader.js";
export { type ExtractedTypes, extractTypes, remap, type TypeClosure, typeClosure } from "./subset.js";
export { type AggregateAttributes, CTypeConverter } from "./to-ctype.js";
export type * from "./types.js";
export { type WriteBtfOptions, writeBtf } from "./writer.js";
