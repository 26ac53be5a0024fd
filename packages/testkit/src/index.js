// Test support for the workspace's packages. Plain JavaScript with a hand-written .d.ts next to it, so it
// needs no build step and depends on nothing, and any package (core included) can use it in tests.

export { byteMutation, fuzzReader, mutatedBytes, mutatedText, textMutation } from "./fuzz.js";
export { generatedReadme, markdownTable } from "./readme.js";
export { paholeReference, readReference, referenceDir } from "./reference.js";
export { canSwitchUser, copyForUnprivilegedUser, nobody } from "./unprivileged.js";
