import { defineProject } from "vitest/config";

export default defineProject({
  test: {
    name: "create-plugin",
    include: ["src/**/*.test.ts", "test/**/*.test.ts"],
    // Scaffolding runs tsc and a nested vitest on the generated project.
    testTimeout: 120_000,
    typecheck: {
      enabled: true,
      include: ["src/**/*.test-d.ts", "test/**/*.test-d.ts"],
      tsconfig: "./tsconfig.test.json",
    },
  },
});
