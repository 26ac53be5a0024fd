import { readFileSync } from "node:fs";
import { crc32 } from "node:zlib";
import { fsError } from "../errors.js";
import type { PageMapSource } from "../read/chunk.js";
import { decodeSnapshotWith, type Snapshot } from "./decode.js";

export { type DecodedStream, expandChunksSync, type Snapshot } from "./decode.js";

/** Validates and decodes a snapshot held in memory. `path` names it in errors. */
export function decodeSnapshot(
  data: Uint8Array,
  path = "<snapshot>",
  options: { chunkPfns?: number } = {},
): Snapshot {
  return decodeSnapshotWith(crc32, data, path, options);
}

/** Reads, validates and decodes a snapshot file. */
export function readSnapshot(path: string, options: { chunkPfns?: number } = {}): Snapshot {
  let data: Uint8Array;
  try {
    data = readFileSync(path);
  } catch (err) {
    throw fsError(err, path, "read");
  }
  return decodeSnapshot(data, path, options);
}

/** A snapshot file as a page-map source. */
export function snapshotSource(path: string, options: { chunkPfns?: number } = {}): PageMapSource {
  return readSnapshot(path, options).source;
}
