import { existsSync, readdirSync } from "node:fs";
import { dirname, join, sep } from "node:path";
import { fileURLToPath } from "node:url";
import { configDefaults, defineConfig } from "vitest/config";
import { BaseSequencer, type TestSpecification } from "vitest/node";
import { modules } from "./scripts/mutation/modules.mjs";

// The projects StrykerJS runs for `npm run test:mutation`: the packages that hold a mutated module, as their own
// configs define them, without the type tests (they check types, not answers, and a mutant is not a type change)
// and without the surveys of this machine's whole page map (minutes each under Stryker's instrumentation, for
// every mutant; the same code is tested on hand-made maps, properties and the stored sample).
// A module may name the test files that run for it (scripts/mutation/modules.mjs).
const here = dirname(fileURLToPath(import.meta.url));
// biome-ignore lint/suspicious/noUndeclaredEnvVars: set by scripts/mutation/run.mjs, not by a turbo task
const chosen = modules.find((m) => m.name === process.env.MEMDESC_MUTATION_MODULE);

/** `*` within a path segment, `**` across segments: the globs `tests` uses in scripts/mutation/modules.mjs. */
const globRegExp = (glob: string) =>
  new RegExp(
    `^${glob
      .split("**/")
      .map((part) =>
        part
          .split("*")
          .map((s) => s.replace(/[.+?^${}()|[\]\\]/g, "\\$&"))
          .join("[^/]*"),
      )
      .join("(?:.*/)?")}$`,
  );

/**
 * The package's test files that the chosen module's `tests` leave out, as excludes: a project that `extends` its
 * package's config gets the package's `include` and ours concatenated, so only an exclude can narrow it.
 */
function leftOut(dir: string): string[] {
  if (chosen?.project !== dir || !chosen.tests) return [];
  const wanted = chosen.tests.map(globRegExp);
  const root = join(here, "packages", dir);
  return ["src", "test"]
    .filter((sub) => existsSync(join(root, sub)))
    .flatMap((sub) =>
      (readdirSync(join(root, sub), { recursive: true }) as string[]).map(
        (f) => `${sub}/${f.split(sep).join("/")}`,
      ),
    )
    .filter((f) => f.endsWith(".test.ts") && !wanted.some((w) => w.test(f)));
}

const project = (dir: string, exclude: string[] = []) => ({
  extends: `./packages/${dir}/vitest.config.ts`,
  root: `./packages/${dir}`,
  test: {
    typecheck: { enabled: false },
    // Instrumented code on a shared machine runs several times slower than the suite's own timeouts allow.
    testTimeout: 120_000,
    exclude: [...configDefaults.exclude, ...exclude, ...leftOut(dir)],
  },
});

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
    projects: [project("core"), project("kpageflags", ["src/read/proc.test.ts"]), project("btf")],
  },
});
