import { z } from "zod";
import type { TreeEntry } from "../root/record.js";

/*
 * The recorded tree of a version-2 snapshot (SNAPSHOT.md, "The tree"): a u32 index length, the index as UTF-8
 * JSON (one array per recorded call, in the order the survey made them), then the bytes of every successful
 * read, concatenated in index order.
 *
 *   ["read", path, bytes]         a file read: `bytes` bytes of the data area, in order
 *   ["list", path, [names…]]      a directory listed
 *   ["stat", path, type, inode]   an entry's type ("file", "dir", "other") and inode number
 *   ["error", op, path, code]     a call that failed: ENOENT, EACCES, NOT_REGULAR, TOO_BIG or EIO
 */

const path = z.string().min(1).max(4096).startsWith("/");
const count = z.number().int().nonnegative();

const indexEntry = z.union([
  z.tuple([z.literal("read"), path, count]),
  z.tuple([z.literal("list"), path, z.array(z.string().min(1).max(255))]),
  z.tuple([z.literal("stat"), path, z.enum(["file", "dir", "other"]), count]),
  z.tuple([
    z.literal("error"),
    z.enum(["read", "list", "stat"]),
    path,
    z.enum(["ENOENT", "EACCES", "NOT_REGULAR", "TOO_BIG", "EIO"]),
  ]),
]);

const indexSchema = z.array(indexEntry);

/** The tree section's bytes. */
export function encodeTree(entries: readonly TreeEntry[]): Uint8Array {
  const index = entries.map((e) => {
    if ("error" in e) return ["error", e.op, e.path, e.error];
    if (e.op === "read") return ["read", e.path, e.data.length];
    if (e.op === "list") return ["list", e.path, e.names];
    return ["stat", e.path, e.stat.type, e.stat.ino];
  });
  const json = new TextEncoder().encode(JSON.stringify(index));
  const dataBytes = entries.reduce((s, e) => s + (e.op === "read" && "data" in e ? e.data.length : 0), 0);
  const out = new Uint8Array(4 + json.length + dataBytes);
  new DataView(out.buffer).setUint32(0, json.length, true);
  out.set(json, 4);
  let at = 4 + json.length;
  for (const e of entries)
    if (e.op === "read" && "data" in e) {
      out.set(e.data, at);
      at += e.data.length;
    }
  return out;
}

/** Decodes a tree section, or says what is wrong with it (the caller names the file and offset). */
export function decodeTree(bytes: Uint8Array, entries: number): TreeEntry[] | string {
  if (bytes.length < 4) return "too short for its index length";
  const indexBytes = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength).getUint32(0, true);
  if (4 + indexBytes > bytes.length)
    return `index of ${indexBytes} bytes runs past the tree (${bytes.length})`;
  let json: unknown;
  try {
    json = JSON.parse(new TextDecoder("utf-8", { fatal: true }).decode(bytes.subarray(4, 4 + indexBytes)));
  } catch (err) {
    return `index is not UTF-8 JSON (${(err as Error).message})`;
  }
  const parsed = indexSchema.safeParse(json);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    return `index entry ${issue.path.join(".")}: ${issue.message}`;
  }
  if (parsed.data.length !== entries) return `${parsed.data.length} entries, the header says ${entries}`;
  let at = 4 + indexBytes;
  const out: TreeEntry[] = [];
  for (const e of parsed.data) {
    if (e[0] === "read") {
      if (at + e[2] > bytes.length) return `read of ${e[1]} runs past the tree's data`;
      out.push({ op: "read", path: e[1], data: bytes.slice(at, at + e[2]) });
      at += e[2];
    } else if (e[0] === "list") out.push({ op: "list", path: e[1], names: e[2] });
    else if (e[0] === "stat") out.push({ op: "stat", path: e[1], stat: { type: e[2], ino: e[3] } });
    else out.push({ op: e[1], path: e[2], error: e[3] });
  }
  if (at !== bytes.length) return `${bytes.length - at} bytes after the last read's data`;
  return out;
}
