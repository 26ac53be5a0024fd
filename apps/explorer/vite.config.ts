import { realpathSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import react from "@vitejs/plugin-react";
import { defineConfig } from "vite";

const require = createRequire(import.meta.url);

/**
 * Where @memdesc/kpageflags keeps its sample snapshots: bundled as assets, so the app loads them without a network.
 * The real path, not the workspace's node_modules link: Vite's glob imports skip anything under node_modules.
 */
export const sampleDir = join(
  realpathSync(dirname(require.resolve("@memdesc/kpageflags/package.json"))),
  "fixtures",
);

/** The default sample snapshot. */
export const sampleSnapshot = join(sampleDir, "sample.mdsnap");

export default defineConfig({
  // Relative URLs: the built app works from any path, served by `memdesc explore` or `vite preview`.
  base: "./",
  plugins: [react()],
  resolve: {
    alias: [{ find: /^memdesc-samples\//, replacement: `${sampleDir}/` }],
  },
  build: {
    outDir: "app",
    emptyOutDir: true,
    target: "es2022",
    // The page map's worker and the views load as their own chunks; the samples are assets of their own.
    chunkSizeWarningLimit: 600,
  },
  worker: { format: "es" },
  preview: { host: "127.0.0.1", strictPort: true },
  server: { host: "127.0.0.1" },
});
