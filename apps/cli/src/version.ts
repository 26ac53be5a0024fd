import { readFileSync } from "node:fs";

/**
 * This memdesc's version, from its package.json: what JSON, Parquet and OpenMetrics outputs say made them. The
 * package's root is found upward from this module, which is `dist/version.js` as tsc writes it and a chunk in
 * `dist/chunks/` in the bundle.
 */
export const memdescVersion: string = (() => {
  for (const up of ["../package.json", "../../package.json"]) {
    try {
      const pkg = JSON.parse(readFileSync(new URL(up, import.meta.url), "utf8")) as {
        name?: string;
        version: string;
      };
      if (pkg.name === "memdesc") return pkg.version;
    } catch {
      // not this level
    }
  }
  throw new Error("memdesc's package.json was not found above its code");
})();
