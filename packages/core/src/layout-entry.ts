/**
 * `@memdesc/core/layout`: the C type model, the layout engine, pahole printing and overlay checks, without
 * zod, designs or registries. Tools that only lay out and print structs (reading a kernel's BTF, say) import
 * this and start in a fraction of the time the full entry takes.
 */
export * from "./abi/abi.js";
export * as ctypes from "./ctype/builtins.js";
export {
  type AggregateAttrs,
  c,
  type IfdefGroup,
  type MemberAttrs,
  type MemberSpec,
  type TypeSpec,
} from "./ctype/dsl.js";
export { moveMember, swapMembers } from "./ctype/edit.js";
export { declarator, typeName } from "./ctype/name.js";
export { parseTypeName } from "./ctype/parse.js";
export * from "./ctype/types.js";
export * from "./errors.js";
export { kernelConfigs, linux618, linux618Measured } from "./kernel/config.js";
export * from "./kernel/constants.js";
export { page } from "./kernel/page.js";
export { assembleLayout, type PlacedAggregate } from "./layout/assemble.js";
export { configEnabled } from "./layout/config.js";
export {
  type DiffLine,
  describeFieldDiff,
  diffLayouts,
  type FieldChange,
  type FieldDiff,
  type FieldPlace,
  formatLayoutDiff,
  type LayoutDiff,
  summarizeLayoutDiff,
} from "./layout/diff.js";
export { LayoutEngine, type LayoutOptions, layoutOf } from "./layout/engine.js";
export { fieldsByPath, findField, layoutLabel } from "./layout/fields.js";
export { type CompareOptions, formatCompare } from "./layout/pahole-compare.js";
export { diffPahole } from "./layout/pahole-diff.js";
export { formatPaholeEnum } from "./layout/pahole-enum.js";
export { formatPahole, type PaholeFormatOptions } from "./layout/pahole-format.js";
export { type PaholeField, PaholeParseError, type PaholeStruct, parsePahole } from "./layout/pahole-parse.js";
export { type PaholeRow, type PaholeRowKind, paholeRows } from "./layout/pahole-rows.js";
export * from "./layout/types.js";
export { checkOverlay, type RuleResult, type RuleStatus } from "./overlay/check.js";
export * from "./overlay/rules.js";
