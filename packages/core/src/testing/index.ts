/**
 * `@memdesc/core/testing`: what a plugin's tests use. Reference descriptors with the plan's field lists (a struct
 * slab to simulate a kind alone), and the conformance checks every descriptor plugin should pass.
 */

export {
  type ConformanceCheck,
  ConformanceError,
  type ConformanceOptions,
  conformance,
  type InvalidValue,
  type PaholeReference,
} from "./conformance.js";
export { refFolio, refPtdesc, refSlab } from "./reference.js";
