export { type ParsedArgs, parseCommandLine, usage } from "./args.js";
export { type MainOptions, main } from "./main.js";
export {
  camelCase,
  checkAnswers,
  defaultDescription,
  defaultKind,
  defaultName,
  defaultStruct,
  type PluginAnswers,
  pascalCase,
  ScaffoldError,
  type ScaffoldIssue,
  slug,
  validateDirectory,
  validateKind,
  validateName,
  validateStorage,
  validateStruct,
  validateUses,
  withDefaults,
} from "./options.js";
export {
  applyConditions,
  conditions,
  packageJson,
  renderFiles,
  replaceAll,
  replacements,
  scaffold,
  templateDir,
} from "./scaffold.js";
export { readStamp, type Stamp } from "./stamp.js";
