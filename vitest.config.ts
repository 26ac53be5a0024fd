import { defineConfig } from "vitest/config";

// One vitest run over every workspace package, so `npm test` ends with a single summary, and after it the
// oracles the tests compared with (pahole, gcc, Chromium, the running kernel…), from @memdesc/testkit.
export default defineConfig({
  test: {
    projects: ["packages/*", "apps/*"],
    reporters: ["default", "./packages/testkit/src/oracle-reporter.js"],
  },
});
