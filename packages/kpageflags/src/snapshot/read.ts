import { readFileSync, statSync } from "node:fs";
import { crc32, gunzipSync } from "node:zlib";
import { fsError, KpageflagsError } from "../errors.js";
import { maxSnapshotBytes } from "../limits.js";
import type { PageMapSource } from "../read/chunk.js";
import { badSnapshot, decodeBody, decodeInflated, readEnvelope, type Snapshot } from "./decode.js";

export { type DecodedStream, expandChunksSync, type Snapshot } from "./decode.js";

export interface ReadSnapshotOptions {
  /** At most this many kpageflags runs per batch of the page map (default 65,536). */
  readonly batchRuns?: number;
}

/** Validates and decodes a snapshot held in memory (node:zlib inflates version 2). `path` names it in errors. */
export function decodeSnapshot(
  data: Uint8Array,
  path = "<snapshot>",
  options: ReadSnapshotOptions = {},
): Snapshot {
  const env = readEnvelope(data, path);
  const h = env.header;
  if (h.version === 1) return decodeBody(crc32, env, env.stored, options);
  let inflated: { body: Uint8Array } | { error: unknown };
  try {
    // maxOutputLength stops a gzip bomb at the size the header declared (itself bounded by the file's size).
    inflated = { body: gunzipSync(env.stored, { maxOutputLength: Math.max(1, h.body.rawBytes) }) };
  } catch (error) {
    inflated = { error };
  }
  return decodeInflated(crc32, env, inflated, options);
}

/** The largest snapshot file read (`maxSnapshotBytes`, the limit the CLI and the explorer share). */
export const maxSnapshotFileBytes = maxSnapshotBytes;

/** Reads, validates and decodes a snapshot file (a regular file: a device or pipe might never end). */
export function readSnapshot(path: string, options: ReadSnapshotOptions = {}): Snapshot {
  let data: Uint8Array;
  let size: number;
  let regular: boolean;
  try {
    const st = statSync(path);
    size = st.size;
    regular = st.isFile();
  } catch (err) {
    throw fsError(err, path, "read");
  }
  if (!regular) throw badSnapshot(path, "not a regular file (a device or pipe might never end)");
  if (size > maxSnapshotFileBytes)
    throw new KpageflagsError(
      "TOO_BIG",
      `${path}: ${size} bytes, more than a snapshot can be (${maxSnapshotFileBytes})`,
      "check the file is a snapshot made by `memdesc capture`",
      { path },
    );
  try {
    data = readFileSync(path);
  } catch (err) {
    throw fsError(err, path, "read");
  }
  return decodeSnapshot(data, path, options);
}

/** A snapshot file as a page-map source. */
export function snapshotSource(path: string, options: ReadSnapshotOptions = {}): PageMapSource {
  return readSnapshot(path, options).source;
}
