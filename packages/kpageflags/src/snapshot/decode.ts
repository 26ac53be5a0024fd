import { KpageflagsError } from "../errors.js";
import { checkChunkPfns, defaultChunkPfns, type PageChunk, type PageMapSource } from "../read/chunk.js";
import { ramMap } from "../read/ram.js";
import {
  align8,
  preambleBytes,
  type SnapshotHeader,
  type StreamFile,
  snapshotHeaderSchema,
  snapshotMagic,
  snapshotVersion,
} from "./format.js";

// The snapshot decoder without node: imports, shared by `read.ts` and the `./browser` entry.

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
}

const hint = "capture the snapshot again with captureSnapshot() (or `memdesc capture`), and copy it whole";

function bad(path: string, message: string): KpageflagsError {
  return new KpageflagsError("BAD_SNAPSHOT", `${path}: ${message}`, hint, { path });
}

function decodeStream(
  crc32: (bytes: Uint8Array) => number,
  path: string,
  h: SnapshotHeader,
  s: SnapshotHeader["streams"][number],
  data: Uint8Array,
  bodyStart: number,
): DecodedStream {
  const at = bodyStart + s.offset;
  const bytes = data.subarray(at, at + s.bytes);
  const crc = crc32(bytes);
  if (crc !== s.crc32)
    throw bad(
      path,
      `stream ${s.file} at offset ${at}: CRC-32 is 0x${crc.toString(16)}, header says 0x${s.crc32.toString(16)} (corrupt)`,
    );
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const values = new Uint32Array(s.values * 2);
  for (let i = 0; i < s.values; i++) {
    values[i * 2] = dv.getUint32(i * 8, true);
    values[i * 2 + 1] = dv.getUint32(i * 8 + 4, true);
  }
  const runValue = new Uint32Array(s.runs);
  const runLength = new Float64Array(s.runs);
  let p = s.values * 8;
  let total = 0;
  const varint = (run: number, what: string): number => {
    let v = 0;
    let scale = 1;
    for (let k = 0; k < 8; k++) {
      if (p >= bytes.length)
        throw bad(
          path,
          `stream ${s.file} at offset ${at + p}: run ${run} ${what} is cut off by the end of the stream`,
        );
      const b = bytes[p++]!;
      v += (b & 0x7f) * scale;
      if ((b & 0x80) === 0) return v;
      scale *= 0x80;
    }
    throw bad(path, `stream ${s.file} at offset ${at + p}: run ${run} ${what} is longer than 8 varint bytes`);
  };
  for (let r = 0; r < s.runs; r++) {
    const start = p;
    const idx = varint(r, "value index");
    const len = varint(r, "length");
    if (idx >= s.values)
      throw bad(
        path,
        `stream ${s.file} at offset ${at + start}: run ${r} uses value ${idx}, but the table has ${s.values}`,
      );
    if (len < 1) throw bad(path, `stream ${s.file} at offset ${at + start}: run ${r} has length 0`);
    runValue[r] = idx;
    runLength[r] = len;
    total += len;
  }
  if (p !== bytes.length)
    throw bad(
      path,
      `stream ${s.file} at offset ${at + p}: ${bytes.length - p} bytes left after ${s.runs} runs`,
    );
  if (total !== h.pfnCount)
    throw bad(path, `stream ${s.file}: runs cover ${total} PFNs, header pfnCount is ${h.pfnCount}`);
  return { file: s.file, values, runValue, runLength };
}

/**
 * Validates and decodes a snapshot held in memory, checking each stream with `crc32` (zlib's CRC-32: node's
 * `zlib.crc32` in `read.ts`, a table-driven one in the browser). `path` names it in errors.
 */
export function decodeSnapshotWith(
  crc32: (bytes: Uint8Array) => number,
  data: Uint8Array,
  path = "<snapshot>",
  options: { chunkPfns?: number } = {},
): Snapshot {
  if (data.length < preambleBytes)
    throw bad(
      path,
      `${data.length} bytes, too short for the ${preambleBytes}-byte preamble (not a snapshot)`,
    );
  const magic = new TextDecoder("latin1").decode(data.subarray(0, 8));
  if (magic !== snapshotMagic)
    throw bad(
      path,
      `offset 0: magic is ${JSON.stringify(magic)}, not "${snapshotMagic}" (not a memdesc snapshot)`,
    );
  const dv = new DataView(data.buffer, data.byteOffset, data.byteLength);
  const version = dv.getUint32(8, true);
  if (version !== snapshotVersion)
    throw bad(path, `offset 8: format version ${version}; this reader supports version ${snapshotVersion}`);
  const headerLength = dv.getUint32(12, true);
  if (preambleBytes + headerLength > data.length)
    throw bad(
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
    throw bad(path, `header at offset ${preambleBytes}: not UTF-8 JSON (${(err as Error).message})`);
  }
  const parsed = snapshotHeaderSchema.safeParse(json);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    const field = issue.path.length
      ? issue.path
          .map((p) => (typeof p === "number" ? `[${p}]` : `.${String(p)}`))
          .join("")
          .replace(/^\./, "")
      : "(root)";
    throw bad(path, `header field ${field}: ${issue.message}`);
  }
  const header = parsed.data;
  const bodyStart = align8(preambleBytes + headerLength);
  if (bodyStart + header.bodyBytes !== data.length)
    throw bad(
      path,
      `body at offset ${bodyStart}: header says ${header.bodyBytes} bytes, the file has ${data.length - bodyStart}`,
    );
  // Padding (after the header, between streams) must be zero, so every byte of the file is checked.
  const covered = new Uint8Array(header.bodyBytes);
  for (const s of header.streams) {
    for (let i = s.offset; i < s.offset + s.bytes; i++) {
      if (covered[i])
        throw bad(path, `header field streams: stream ${s.file} overlaps another at body offset ${i}`);
      covered[i] = 1;
    }
  }
  for (let i = preambleBytes + headerLength; i < bodyStart; i++)
    if (data[i] !== 0) throw bad(path, `offset ${i}: padding after the header is not zero`);
  for (let i = 0; i < header.bodyBytes; i++)
    if (!covered[i] && data[bodyStart + i] !== 0)
      throw bad(path, `offset ${bodyStart + i}: padding between streams is not zero`);
  const streams = header.streams.map((s) => decodeStream(crc32, path, header, s, data, bodyStart));
  const chunkPfns = checkChunkPfns(options.chunkPfns ?? defaultChunkPfns);
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
    chunks: () => expandChunks(header.startPfn, header.pfnCount, chunkPfns, flags, counts, cgroups),
  };
  return { path, bytes: data.length, header, streams, source };
}

/** A cursor over a stream's runs that writes words into chunk buffers. */
class RunCursor {
  private run = 0;
  private left: number;
  constructor(private readonly s: DecodedStream) {
    this.left = s.runLength[0] ?? 0;
  }

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

/** Expands runs into chunks of the page map, in PFN order; each chunk's buffers are reused. */
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

async function* expandChunks(
  startPfn: number,
  pfnCount: number,
  chunkPfns: number,
  flags: DecodedStream,
  counts?: DecodedStream,
  cgroups?: DecodedStream,
): AsyncGenerator<PageChunk> {
  yield* expandChunksSync(startPfn, pfnCount, chunkPfns, flags, counts, cgroups);
}
