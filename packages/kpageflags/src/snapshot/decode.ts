import { KpageflagsError } from "../errors.js";
import { checkChunkPfns, defaultChunkPfns, type PageChunk, type PageMapSource } from "../read/chunk.js";
import { ramMap } from "../read/ram.js";
import { type TreeEntry, treeRoot } from "../root/record.js";
import { emptyRoot, type SystemRoot } from "../root/root.js";
import type { FileRuns, RunBatch } from "../runs.js";
import {
  align8,
  preambleBytes,
  type SnapshotHeader,
  type StreamFile,
  snapshotHeaderSchema,
  snapshotMagic,
  snapshotVersions,
} from "./format.js";
import { decodeTree } from "./tree.js";

// The snapshot decoder without node: imports, shared by `read.ts` (node:zlib) and the `./browser` entry
// (DecompressionStream). Every size read from the file is checked against the file's own size and against
// what a machine can have before anything is allocated or looped over.

/** One decoded stream: its distinct words as u32 halves, and its runs. */
export interface DecodedStream {
  readonly file: StreamFile;
  /** Distinct words, low half first: `values[2 * i]`, `values[2 * i + 1]`. */
  readonly values: Uint32Array;
  /** Per run: index into `values`. */
  readonly runValue: Uint32Array;
  /** Per run: PFNs. */
  readonly runLength: Float64Array;
}

/** A snapshot file, validated and decoded to runs. */
export interface Snapshot {
  readonly path: string;
  readonly bytes: number;
  readonly header: SnapshotHeader;
  readonly streams: readonly DecodedStream[];
  /** The page map it holds, as a source to survey. */
  readonly source: PageMapSource;
  /** The /proc and /sys reads the capture's survey made (version 2), in order; undefined for version 1. */
  readonly tree: readonly TreeEntry[] | undefined;
  /** A fresh tree that replays those reads, for a survey of the snapshot (the counters and cgroups). */
  root(): SystemRoot;
}

/** A snapshot's preamble and header read, its body still as stored in the file. */
export interface SnapshotEnvelope {
  readonly path: string;
  readonly bytes: number;
  readonly header: SnapshotHeader;
  /** The body as in the file: the streams (version 1) or the gzip member (version 2). */
  readonly stored: Uint8Array;
  /** Offset of the body in the file. */
  readonly bodyStart: number;
}

const hint = "capture the snapshot again with captureSnapshot() (or `memdesc capture`), and copy it whole";

/** The snapshot's one error: the file, the offset or field, what is wrong. */
export function badSnapshot(path: string, message: string): KpageflagsError {
  return new KpageflagsError("BAD_SNAPSHOT", `${path}: ${message}`, hint, { path });
}

/** Reads and checks the preamble and header; the body is checked once it is inflated. */
export function readEnvelope(data: Uint8Array, path: string): SnapshotEnvelope {
  if (data.length < preambleBytes)
    throw badSnapshot(
      path,
      `${data.length} bytes, too short for the ${preambleBytes}-byte preamble (not a snapshot)`,
    );
  const magic = new TextDecoder("latin1").decode(data.subarray(0, 8));
  if (magic !== snapshotMagic)
    throw badSnapshot(
      path,
      `offset 0: magic is ${JSON.stringify(magic)}, not "${snapshotMagic}" (not a memdesc snapshot)`,
    );
  const dv = new DataView(data.buffer, data.byteOffset, data.byteLength);
  const version = dv.getUint32(8, true);
  if (!(snapshotVersions as readonly number[]).includes(version))
    throw badSnapshot(
      path,
      `offset 8: format version ${version}; this reader supports versions ${snapshotVersions.join(" and ")}`,
    );
  const headerLength = dv.getUint32(12, true);
  if (preambleBytes + headerLength > data.length)
    throw badSnapshot(
      path,
      `offset 12: header length ${headerLength} runs past the end of the file (${data.length} bytes)`,
    );
  let json: unknown;
  try {
    json = JSON.parse(
      new TextDecoder("utf-8", { fatal: true }).decode(
        data.subarray(preambleBytes, preambleBytes + headerLength),
      ),
    );
  } catch (err) {
    throw badSnapshot(path, `header at offset ${preambleBytes}: not UTF-8 JSON (${(err as Error).message})`);
  }
  if (typeof json === "object" && json !== null && (json as { version?: unknown }).version !== version)
    throw badSnapshot(
      path,
      `header field version: ${String((json as { version?: unknown }).version)}, the preamble says ${version}`,
    );
  const parsed = snapshotHeaderSchema.safeParse(json);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    const field = issue.path.length
      ? issue.path
          .map((p) => (typeof p === "number" ? `[${p}]` : `.${String(p)}`))
          .join("")
          .replace(/^\./, "")
      : "(root)";
    throw badSnapshot(path, `header field ${field}: ${issue.message}`);
  }
  const header = parsed.data;
  const bodyStart = align8(preambleBytes + headerLength);
  const stored = header.version === 1 ? header.bodyBytes : header.body.bytes;
  if (bodyStart + stored !== data.length)
    throw badSnapshot(
      path,
      `body at offset ${bodyStart}: header says ${stored} bytes, the file has ${data.length - bodyStart}`,
    );
  for (let i = preambleBytes + headerLength; i < bodyStart; i++)
    if (data[i] !== 0) throw badSnapshot(path, `offset ${i}: padding after the header is not zero`);
  return { path, bytes: data.length, header, stored: data.subarray(bodyStart), bodyStart };
}

/**
 * Decodes a version-2 snapshot's body once `inflate` (node:zlib, or DecompressionStream in a browser) has given
 * it, or failed: a gzip member that is damaged, or that inflates to other than the declared size, is refused.
 */
export function decodeInflated(
  crc32: (bytes: Uint8Array) => number,
  env: SnapshotEnvelope,
  inflated: { body: Uint8Array } | { error: unknown },
  options: { batchRuns?: number } = {},
): Snapshot {
  const h = env.header;
  const raw = h.version === 2 ? h.body.rawBytes : env.stored.length;
  const at = `body at offset ${env.bodyStart}`;
  if ("error" in inflated)
    throw badSnapshot(
      env.path,
      `${at}: not a gzip member inflating to ${raw} bytes (${(inflated.error as Error).message})`,
    );
  if (inflated.body.length !== raw)
    throw badSnapshot(env.path, `${at}: inflates to ${inflated.body.length} bytes, header says ${raw}`);
  return decodeBody(crc32, env, inflated.body, options);
}

/** Where a body offset is, for errors: the file offset (version 1) or the offset in the inflated body. */
const where = (env: SnapshotEnvelope, at: number) =>
  env.header.version === 1 ? `offset ${env.bodyStart + at}` : `body offset ${at}`;

function decodeStream(
  crc32: (bytes: Uint8Array) => number,
  env: SnapshotEnvelope,
  s: SnapshotHeader["streams"][number],
  body: Uint8Array,
): DecodedStream {
  const { path, header: h } = env;
  const bytes = body.subarray(s.offset, s.offset + s.bytes);
  const crc = crc32(bytes);
  if (crc !== s.crc32)
    throw badSnapshot(
      path,
      `stream ${s.file} at ${where(env, s.offset)}: CRC-32 is 0x${crc.toString(16)}, header says 0x${s.crc32.toString(16)} (corrupt)`,
    );
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const values = new Uint32Array(s.values * 2);
  for (let i = 0; i < s.values; i++) {
    values[i * 2] = dv.getUint32(i * 8, true);
    values[i * 2 + 1] = dv.getUint32(i * 8 + 4, true);
  }
  // The schema checked that `runs` fits the stream's bytes (two varint bytes at least each).
  const runValue = new Uint32Array(s.runs);
  const runLength = new Float64Array(s.runs);
  let p = s.values * 8;
  let total = 0;
  const at = (q: number) => where(env, s.offset + q);
  const varint = (run: number, what: string): number => {
    let v = 0;
    let scale = 1;
    for (let k = 0; k < 8; k++) {
      if (p >= bytes.length)
        throw badSnapshot(
          path,
          `stream ${s.file} at ${at(p)}: run ${run} ${what} is cut off by the end of the stream`,
        );
      const b = bytes[p++]!;
      v += (b & 0x7f) * scale;
      if ((b & 0x80) === 0) return v;
      scale *= 0x80;
    }
    throw badSnapshot(path, `stream ${s.file} at ${at(p)}: run ${run} ${what} is longer than 8 varint bytes`);
  };
  for (let r = 0; r < s.runs; r++) {
    const start = p;
    const idx = varint(r, "value index");
    const len = varint(r, "length");
    if (idx >= s.values)
      throw badSnapshot(
        path,
        `stream ${s.file} at ${at(start)}: run ${r} uses value ${idx}, but the table has ${s.values}`,
      );
    if (len < 1) throw badSnapshot(path, `stream ${s.file} at ${at(start)}: run ${r} has length 0`);
    total += len;
    if (total > h.pfnCount)
      throw badSnapshot(
        path,
        `stream ${s.file} at ${at(start)}: runs pass the header's pfnCount (${h.pfnCount})`,
      );
    runValue[r] = idx;
    runLength[r] = len;
  }
  if (p !== bytes.length)
    throw badSnapshot(
      path,
      `stream ${s.file} at ${at(p)}: ${bytes.length - p} bytes left after ${s.runs} runs`,
    );
  if (total !== h.pfnCount)
    throw badSnapshot(path, `stream ${s.file}: runs cover ${total} PFNs, header pfnCount is ${h.pfnCount}`);
  return { file: s.file, values, runValue, runLength };
}

/**
 * Decodes a snapshot's (inflated) body: the streams, each CRC-checked, and for version 2 the recorded tree;
 * every byte between them must be zero padding.
 */
export function decodeBody(
  crc32: (bytes: Uint8Array) => number,
  env: SnapshotEnvelope,
  body: Uint8Array,
  options: { batchRuns?: number } = {},
): Snapshot {
  const { path, header } = env;
  const sections = header.streams.map((s) => ({
    what: `stream ${s.file}`,
    offset: s.offset,
    bytes: s.bytes,
  }));
  if (header.version === 2)
    sections.push({ what: "the tree", offset: header.tree.offset, bytes: header.tree.bytes });
  sections.sort((a, b) => a.offset - b.offset);
  let end = 0;
  for (const sec of sections) {
    if (sec.offset < end)
      throw badSnapshot(
        path,
        `header field streams: ${sec.what} overlaps another at ${where(env, sec.offset)}`,
      );
    for (let i = end; i < sec.offset; i++)
      if (body[i] !== 0) throw badSnapshot(path, `${where(env, i)}: padding between sections is not zero`);
    end = sec.offset + sec.bytes;
  }
  for (let i = end; i < body.length; i++)
    if (body[i] !== 0) throw badSnapshot(path, `${where(env, i)}: bytes after the last section`);
  const streams = header.streams.map((s) => decodeStream(crc32, env, s, body));
  let tree: TreeEntry[] | undefined;
  if (header.version === 2) {
    const t = header.tree;
    const bytes = body.subarray(t.offset, t.offset + t.bytes);
    const crc = crc32(bytes);
    if (crc !== t.crc32)
      throw badSnapshot(
        path,
        `the tree at body offset ${t.offset}: CRC-32 is 0x${crc.toString(16)}, header says 0x${t.crc32.toString(16)}`,
      );
    const decoded = decodeTree(bytes, t.entries);
    if (typeof decoded === "string")
      throw badSnapshot(path, `the tree at body offset ${t.offset}: ${decoded}`);
    tree = decoded;
  }
  const batchRuns = checkChunkPfns(options.batchRuns ?? defaultChunkPfns);
  const byFile = (f: StreamFile) => streams.find((s) => s.file === f);
  const flags = byFile("kpageflags")!;
  const counts = byFile("kpagecount");
  const cgroups = byFile("kpagecgroup");
  const ram = header.iomem ? ramMap(header.iomem.map(([start, end]) => ({ start, end }))) : null;
  const source: PageMapSource = {
    info: {
      kind: "snapshot",
      path,
      pageSize: header.pageSize,
      startPfn: header.startPfn,
      pfnCount: header.pfnCount,
      expectedPfnCount: header.pfnCount,
      ram,
      sectionPfns: header.sectionPfns,
      kernelRelease: header.kernelRelease,
      machine: header.machine,
      capturedAt: header.capturedAt,
      files: header.files,
    },
    batches: () => streamBatches(header.startPfn, batchRuns, flags, counts, cgroups),
  };
  return {
    path,
    bytes: env.bytes,
    header,
    streams,
    source,
    tree,
    root: () =>
      tree
        ? treeRoot(`snapshot ${path}`, tree)
        : emptyRoot(`snapshot ${path}`, "a version-1 snapshot holds only the page map"),
  };
}

/** A cursor over a stream's runs that hands out runs up to a PFN count. */
class RunCursor {
  private run = 0;
  private left: number;
  constructor(private readonly s: DecodedStream) {
    this.left = s.runLength[0] ?? 0;
  }

  /** Runs up to `maxRuns` of them, stopping at `maxPfns` PFNs; `take(Infinity, n)` takes exactly n PFNs. */
  take(maxRuns: number, maxPfns: number): FileRuns & { pfns: number } {
    const { values, runValue, runLength } = this.s;
    // Count first, so the batch is one typed array of the right size.
    let count = 0;
    let pfns = 0;
    for (
      let r = this.run, left = this.left;
      count < maxRuns && pfns < maxPfns && r < runValue.length;
      count++
    ) {
      pfns += Math.min(left, maxPfns - pfns);
      left = runLength[++r] ?? 0;
    }
    const out = new Float64Array(count * 3);
    pfns = 0;
    for (let i = 0; i < count; i++) {
      const n = Math.min(this.left, maxPfns - pfns);
      const v = runValue[this.run]!;
      out[i * 3] = values[v * 2]!;
      out[i * 3 + 1] = values[v * 2 + 1]!;
      out[i * 3 + 2] = n;
      pfns += n;
      this.left -= n;
      if (this.left === 0) this.left = runLength[++this.run] ?? 0;
    }
    return { runs: out, count, pfns };
  }

  /** Writes the next `n` PFNs' words into chunk buffers. */
  fill(out: Uint32Array, n: number): void {
    const { values, runValue, runLength } = this.s;
    let k = 0;
    while (k < n) {
      const take = Math.min(this.left, n - k);
      const v = runValue[this.run]!;
      const lo = values[v * 2]!;
      const hi = values[v * 2 + 1]!;
      if (lo === hi) out.fill(lo, k * 2, (k + take) * 2);
      else
        for (let j = k * 2, e = (k + take) * 2; j < e; j += 2) {
          out[j] = lo;
          out[j + 1] = hi;
        }
      k += take;
      this.left -= take;
      if (this.left === 0) this.left = runLength[++this.run] ?? 0;
    }
  }
}

/**
 * The streams as batches of runs, in PFN order: up to `maxRuns` kpageflags runs each, with kpagecount and
 * kpagecgroup cut at the same PFN. The work is the runs the file holds, whatever PFN count it claims.
 */
export async function* streamBatches(
  startPfn: number,
  maxRuns: number,
  flags: DecodedStream,
  counts?: DecodedStream,
  cgroups?: DecodedStream,
): AsyncGenerator<RunBatch> {
  const f = new RunCursor(flags);
  const c = counts && new RunCursor(counts);
  const g = cgroups && new RunCursor(cgroups);
  let pfn = startPfn;
  for (;;) {
    const runs = f.take(maxRuns, Number.POSITIVE_INFINITY);
    if (runs.count === 0) return;
    yield {
      pfn,
      length: runs.pfns,
      flags: runs,
      counts: c?.take(Number.POSITIVE_INFINITY, runs.pfns),
      cgroups: g?.take(Number.POSITIVE_INFINITY, runs.pfns),
    };
    pfn += runs.pfns;
  }
}

/** Expands runs into chunks of words, in PFN order (for code that wants every PFN); buffers are reused. */
export function* expandChunksSync(
  startPfn: number,
  pfnCount: number,
  chunkPfns: number,
  flags: DecodedStream,
  counts?: DecodedStream,
  cgroups?: DecodedStream,
): Generator<PageChunk> {
  const bufs = {
    flags: new Uint32Array(chunkPfns * 2),
    counts: counts ? new Uint32Array(chunkPfns * 2) : undefined,
    cgroups: cgroups ? new Uint32Array(chunkPfns * 2) : undefined,
  };
  const cur = [
    new RunCursor(flags),
    counts && new RunCursor(counts),
    cgroups && new RunCursor(cgroups),
  ] as const;
  for (let done = 0; done < pfnCount; done += chunkPfns) {
    const n = Math.min(chunkPfns, pfnCount - done);
    cur[0].fill(bufs.flags, n);
    if (cur[1]) cur[1].fill(bufs.counts!, n);
    if (cur[2]) cur[2].fill(bufs.cgroups!, n);
    yield { pfn: startPfn + done, length: n, flags: bufs.flags, counts: bufs.counts, cgroups: bufs.cgroups };
  }
}
