import { availableParallelism } from "node:os";
import { defineConfig } from "vitest/config";

// One vitest run over every workspace package, so `npm test` ends with a single summary, and after it the
// oracles the tests compared with (pahole, gcc, Chromium, the running kernel…), from @memdesc/testkit.
export default defineConfig({
  test: {
    projects: ["packages/*", "apps/*"],
    // Most of the suite's time is spent waiting on child processes (the CLI, gcc, pahole, npm, Chromium), so one
    // test file per CPU keeps the CPUs busy; vitest's default leaves one CPU idle, which on two is half the machine.
    maxWorkers: Math.max(2, availableParallelism()),
    reporters: ["default", "./packages/testkit/src/oracle-reporter.js"],
  },
});
