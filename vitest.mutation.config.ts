import { defineConfig } from "vitest/config";

// The projects StrykerJS runs for `npm run test:mutation`: the packages that hold a mutated module, as their own
// configs define them, without the type tests (they check types, not answers, and a mutant is not a type change).
const project = (dir: string) => ({
  extends: `./packages/${dir}/vitest.config.ts`,
  root: `./packages/${dir}`,
  test: { typecheck: { enabled: false } },
});

export default defineConfig({
  test: {
    projects: ["core", "kpageflags", "btf"].map(project),
  },
});
