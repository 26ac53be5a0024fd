import { defineProject } from "vitest/config";

export default defineProject({
  test: {
    name: "first-party",
    include: ["src/**/*.test.ts", "test/**/*.test.ts"],
    typecheck: {
      enabled: true,
      include: ["src/**/*.test-d.ts", "test/**/*.test-d.ts"],
      tsconfig: "./tsconfig.test.json",
    },
  },
});
