import { readFileSync } from "node:fs";

/** This memdesc's version, from its package.json: what JSON, Parquet and OpenMetrics outputs say made them. */
export const memdescVersion: string = (
  JSON.parse(readFileSync(new URL("../package.json", import.meta.url), "utf8")) as { version: string }
).version;
