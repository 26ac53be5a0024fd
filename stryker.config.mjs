// StrykerJS configuration for `npm run test:mutation` (scripts/mutation/run.mjs), which sets
// MEMDESC_MUTATION_MODULE to the module to mutate (scripts/mutation/modules.mjs). One module at a time, one
// worker, incremental: a run re-tests only the mutants whose code or tests changed since the last one.
import { moduleNamed } from "./scripts/mutation/modules.mjs";

// biome-ignore lint/suspicious/noUndeclaredEnvVars: set by scripts/mutation/run.mjs, not by a turbo task
const module = moduleNamed(process.env.MEMDESC_MUTATION_MODULE ?? "");

/** @type {import('@stryker-mutator/api/core').PartialStrykerOptions} */
export default {
  testRunner: "vitest",
  vitest: { configFile: "vitest.mutation.config.ts", related: true },
  coverageAnalysis: "perTest",
  mutate: module.files,
  // biome-ignore lint/suspicious/noUndeclaredEnvVars: set by whoever runs `npm run test:mutation`
  concurrency: Number(process.env.MEMDESC_MUTATION_CONCURRENCY ?? 1),
  incremental: true,
  incrementalFile: `reports/mutation/${module.name}/incremental.json`,
  reporters: ["clear-text", "progress-append-only", "json", "html"],
  jsonReporter: { fileName: `reports/mutation/${module.name}/mutation.json` },
  htmlReporter: { fileName: `reports/mutation/${module.name}/index.html` },
  clearTextReporter: { allowColor: false, logTests: false, reportScoreTable: true },
  // Only what the mutated packages' tests read is copied to the sandbox; the workspace packages they import
  // resolve through node_modules to the built originals.
  // kpageflags' reader threads load its built worker (dist/read/worker.js), so that dist goes in.
  ignorePatterns: [
    "apps",
    "**/dist",
    "!packages/kpageflags/dist",
    "**/.turbo",
    "test-artifacts",
    "reports",
    "**/*.tsbuildinfo",
  ],
  tempDirName: ".stryker-tmp",
  cleanTempDir: "always",
  timeoutMS: 30_000,
  thresholds: { high: 90, low: 85, break: null },
};
