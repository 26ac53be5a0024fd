import { configDefaults, defineConfig } from "vitest/config";
import btf from "./packages/btf/vitest.config.ts";
import core from "./packages/core/vitest.config.ts";
import kpageflags from "./packages/kpageflags/vitest.config.ts";
import memmap from "./packages/memmap/vitest.config.ts";
import { modules } from "./scripts/mutation/modules.mjs";

// The projects StrykerJS runs for `npm run test:mutation`: the packages that hold a mutated module, as their own
// configs define them, without the type tests (they check types, not answers, and a mutant is not a type change)
// and without the surveys of this machine's whole page map (minutes each under Stryker's instrumentation, for
// every mutant; the same code is tested on hand-made maps, properties and the stored sample).
// A module may name the test files that run for it (scripts/mutation/modules.mjs). The package configs are
// spread here, not `extends`-ed: extending concatenates `include` lists, so the module's list would only add to
// the package's, and every test file would run.
// biome-ignore lint/suspicious/noUndeclaredEnvVars: set by scripts/mutation/run.mjs, not by a turbo task
const only = modules.find((m) => m.name === process.env.MEMDESC_MUTATION_MODULE)?.tests;
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
      include: only ? [...only] : base.test?.include,
      exclude: [...configDefaults.exclude, ...exclude],
    },
  };
};

export default defineConfig({
  test: {
    projects: [project("core"), project("kpageflags", ["src/read/proc.test.ts"]), project("btf")],
  },
});
