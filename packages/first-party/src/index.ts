/**
 * `@memdesc/first-party`: the descriptor plugins memdesc composes when no config names a set, in the order it
 * composes them, and the workload presets written for that set.
 */
export { preset, presets } from "./presets.js";
export {
  type FirstPartyPlugin,
  type FirstPartyPlugins,
  firstPartyPackages,
  firstPartyPlugins,
  firstPartySet,
} from "./set.js";
