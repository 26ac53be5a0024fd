import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import react from "@vitejs/plugin-react";
import { defineConfig } from "vite";

const require = createRequire(import.meta.url);

/** The sample snapshot @memdesc/kpageflags ships: bundled as an asset, so the app loads it without a network. */
export const sampleSnapshot = join(
  dirname(require.resolve("@memdesc/kpageflags/package.json")),
  "fixtures",
  "sample.mdsnap",
);

export default defineConfig({
  // Relative URLs: the built app works from any path, served by `memdesc explore` or `vite preview`.
  base: "./",
  plugins: [react()],
  resolve: {
    alias: [{ find: /^memdesc-sample\.mdsnap(\?.*)?$/, replacement: `${sampleSnapshot}$1` }],
  },
  build: {
    outDir: "app",
    emptyOutDir: true,
    target: "es2022",
    // The page map's worker and the views load as their own chunks; the sample is a 590 KB asset.
    chunkSizeWarningLimit: 600,
  },
  worker: { format: "es" },
  preview: { host: "127.0.0.1", strictPort: true },
  server: { host: "127.0.0.1" },
});
