import { configDefaults, defineConfig } from "vitest/config";
import { BaseSequencer, type TestSpecification } from "vitest/node";
import btf from "./packages/btf/vitest.config.ts";
import core from "./packages/core/vitest.config.ts";
import kpageflags from "./packages/kpageflags/vitest.config.ts";
import memmap from "./packages/memmap/vitest.config.ts";
import { modules } from "./scripts/mutation/modules.mjs";

// The projects StrykerJS runs for `npm run test:mutation`: the packages that hold a mutated module, as their own
// configs define them, without the type tests (they check types, not answers, and a mutant is not a type change)
// and without the surveys of this machine's whole page map (minutes each under Stryker's instrumentation, for
// every mutant; the same code is tested on hand-made maps, properties and the stored sample).
// A module may name the test files that run for it (scripts/mutation/modules.mjs), in its own package's project.
// The package configs are spread here, not `extends`-ed: extending concatenates `include` lists, so the module's
// list would only add to the package's, and every test file would run.
// biome-ignore lint/suspicious/noUndeclaredEnvVars: set by scripts/mutation/run.mjs, not by a turbo task
const chosen = modules.find((m) => m.name === process.env.MEMDESC_MUTATION_MODULE);
const configs = { btf, core, kpageflags, memmap };
const project = (dir: keyof typeof configs, exclude: string[] = []) => {
  const base = configs[dir];
  return {
    ...base,
    root: `./packages/${dir}`,
    test: {
      ...base.test,
      typecheck: { enabled: false },
      // Instrumented code on a shared machine runs several times slower than the suite's own timeouts allow.
      testTimeout: 120_000,
      include: chosen?.project === dir && chosen.tests ? [...chosen.tests] : base.test?.include,
      exclude: [...configDefaults.exclude, ...exclude],
    },
  };
};

/**
 * The fastest test files first (vitest's own order is the slowest first, to fill its workers): Stryker runs with
 * bail, so a mutant that a quick hand-written test kills stops there instead of after the gcc + pahole oracle.
 */
class FastestFirst extends BaseSequencer {
  override async sort(files: TestSpecification[]): Promise<TestSpecification[]> {
    return (await super.sort(files)).reverse();
  }
}

export default defineConfig({
  test: {
    sequence: { sequencer: FastestFirst },
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
