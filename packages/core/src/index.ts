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
export { declarator, typeName } from "./ctype/name.js";
export { parseTypeName } from "./ctype/parse.js";
export * from "./ctype/types.js";
export * from "./errors.js";
export { kernelConfigs, linux618, linux618Measured } from "./kernel/config.js";
export { page } from "./kernel/page.js";
export * from "./bill/picture.js";
export * from "./bill/uses.js";
export { assembleLayout, type PlacedAggregate } from "./layout/assemble.js";
export { LayoutEngine, type LayoutOptions, layoutOf } from "./layout/engine.js";
export { type PaholeField, PaholeParseError, type PaholeStruct, parsePahole } from "./layout/pahole-parse.js";
export * from "./layout/types.js";
