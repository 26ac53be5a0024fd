import { configDefaults, defineConfig } from "vitest/config";
import { modules } from "./scripts/mutation/modules.mjs";

// The projects StrykerJS runs for `npm run test:mutation`: the packages that hold a mutated module, as their own
// configs define them, without the type tests (they check types, not answers, and a mutant is not a type change)
// and without the surveys of this machine's whole page map (minutes each under Stryker's instrumentation, for
// every mutant; the same code is tested on hand-made maps, properties and the stored sample).
// A module may name the test files that run for it (scripts/mutation/modules.mjs).
// biome-ignore lint/suspicious/noUndeclaredEnvVars: set by scripts/mutation/run.mjs, not by a turbo task
const only = modules.find((m) => m.name === process.env.MEMDESC_MUTATION_MODULE)?.tests;
const project = (dir: string, exclude: string[] = []) => ({
  extends: `./packages/${dir}/vitest.config.ts`,
  root: `./packages/${dir}`,
  test: {
    typecheck: { enabled: false },
    // Instrumented code on a shared machine runs several times slower than the suite's own timeouts allow.
    testTimeout: 120_000,
    exclude: [...configDefaults.exclude, ...exclude],
    ...(only ? { include: [...only] } : {}),
  },
});

export default defineConfig({
  test: {
    projects: [
      project("core"),
      project("kpageflags", ["src/read/proc.test.ts"]),
      project("btf"),
      // The workload runner, its schema and the conformance kit run whole workloads (seconds per mutant) and check
      // reports; the allocators' answers are checked by the other memmap tests.
      project("memmap", ["src/workload/**", "src/testing/**"]),
    ],
  },
});
