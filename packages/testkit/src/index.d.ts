export {
  byteMutation,
  type FuzzOptions,
  fuzzReader,
  mutatedBytes,
  mutatedText,
  textMutation,
} from "./fuzz.js";
export { generatedReadme, markdownTable } from "./readme.js";
export { paholeReference, readReference, referenceDir } from "./reference.js";
export { canSwitchUser, copyForUnprivilegedUser, nobody, type UnprivilegedCopy } from "./unprivileged.js";
