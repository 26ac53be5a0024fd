import { defineProject, mergeConfig } from "vitest/config";
import viteConfig from "./vite.config.js";

export default mergeConfig(
  viteConfig,
  defineProject({
    test: {
      name: "explorer",
      // Component tests say `// @vitest-environment happy-dom`; the rest (data, e2e) run in node.
      include: ["src/**/*.test.{ts,tsx}", "test/**/*.test.ts"],
      globalSetup: ["./test/setup.ts"],
      testTimeout: 60_000,
      hookTimeout: 180_000,
    },
  }),
);
