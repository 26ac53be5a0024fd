import { randomBytes } from "node:crypto";
import { closeSync, fsyncSync, openSync, renameSync, unlinkSync, writeSync } from "node:fs";
import { basename, dirname, join } from "node:path";
import { crc32 } from "node:zlib";
import { fsError, KpageflagsError } from "../errors.js";
import type { PageMapSource } from "../read/chunk.js";
import { type ProcSourceOptions, procSource } from "../read/proc.js";
import { classifierFor, makeSurvey, type Survey } from "../survey.js";
import { WordCounter } from "../wordcount.js";
import {
  align8,
  preambleBytes,
  type SnapshotHeader,
  type SnapshotStream,
  type StreamFile,
  snapshotHeaderSchema,
  snapshotMagic,
  snapshotVersion,
  VarintWriter,
} from "./format.js";

/** Run-length encodes one file's words as they stream past: a table of distinct words, then (index, length) runs. */
export class StreamEncoder {
  private readonly index = new WordCounter();
  private readonly values: number[] = [];
  private readonly runs = new VarintWriter();
  private runCount = 0;
  private lo = 0;
  private hi = 0;
  private len = 0;

  constructor(readonly file: StreamFile) {}

  push(words: Uint32Array, n: number): void {
    let lo = this.lo;
    let hi = this.hi;
    let len = this.len;
    for (let j = 0; j < n * 2; j += 2) {
      const a = words[j]!;
      const b = words[j + 1]!;
      if (a === lo && b === hi && len > 0) len++;
      else {
        if (len > 0) this.emit(lo, hi, len);
        lo = a;
        hi = b;
        len = 1;
      }
    }
    this.lo = lo;
    this.hi = hi;
    this.len = len;
  }

  private emit(lo: number, hi: number, len: number): void {
    const i = this.index.add(lo, hi, len);
    if (i * 2 === this.values.length) this.values.push(lo, hi);
    this.runs.write(i);
    this.runs.write(len);
    this.runCount++;
  }

  /** The stream's bytes and its header entry (offset filled in by the caller). */
  finish(): { bytes: Uint8Array; values: number; runs: number } {
    if (this.len > 0) this.emit(this.lo, this.hi, this.len);
    this.len = 0;
    const nValues = this.values.length / 2;
    const runBytes = this.runs.bytes();
    const bytes = new Uint8Array(nValues * 8 + runBytes.length);
    const dv = new DataView(bytes.buffer);
    for (let v = 0; v < nValues; v++) {
      dv.setUint32(v * 8, this.values[v * 2]!, true);
      dv.setUint32(v * 8 + 4, this.values[v * 2 + 1]!, true);
    }
    bytes.set(runBytes, nValues * 8);
    return { bytes, values: nValues, runs: this.runCount };
  }
}

export interface WriteSnapshotOptions {
  /** Free text stored in the header (what the machine was doing). */
  readonly note?: string | undefined;
  /** Stored as the header's producer. */
  readonly producer?: string | undefined;
}

export interface WrittenSnapshot {
  readonly path: string;
  /** File size in bytes. */
  readonly bytes: number;
  readonly header: SnapshotHeader;
  /** The survey of the same page map, classified during the capture. */
  readonly survey: Survey;
}

/** Assembles a complete snapshot file in memory. */
export function encodeSnapshot(
  meta: Omit<SnapshotHeader, "magic" | "version" | "streams" | "bodyBytes">,
  encoders: readonly StreamEncoder[],
): { file: Uint8Array; header: SnapshotHeader } {
  const streams: SnapshotStream[] = [];
  const parts: Uint8Array[] = [];
  let offset = 0;
  let end = 0;
  for (const enc of encoders) {
    const s = enc.finish();
    offset = align8(end);
    streams.push({
      file: enc.file,
      offset,
      bytes: s.bytes.length,
      values: s.values,
      runs: s.runs,
      crc32: crc32(s.bytes),
    });
    parts.push(s.bytes);
    end = offset + s.bytes.length;
  }
  const header: SnapshotHeader = snapshotHeaderSchema.parse({
    magic: snapshotMagic,
    version: snapshotVersion,
    ...meta,
    bodyBytes: end,
    streams,
  });
  const json = new TextEncoder().encode(JSON.stringify(header));
  const bodyStart = align8(preambleBytes + json.length);
  const file = new Uint8Array(bodyStart + end);
  file.set(new TextEncoder().encode(snapshotMagic), 0);
  const dv = new DataView(file.buffer);
  dv.setUint32(8, snapshotVersion, true);
  dv.setUint32(12, json.length, true);
  file.set(json, preambleBytes);
  streams.forEach((s, i) => {
    file.set(parts[i]!, bodyStart + s.offset);
  });
  return { file, header };
}

/** Writes bytes to a temporary file next to `path`, then renames it over `path`: a failure leaves nothing. */
export function writeFileAtomic(path: string, data: Uint8Array): void {
  const tmp = join(dirname(path), `.${basename(path)}.${process.pid}.${randomBytes(4).toString("hex")}.tmp`);
  let fd: number | undefined;
  try {
    try {
      fd = openSync(tmp, "wx", 0o644);
    } catch (err) {
      throw fsError(err, tmp, "open");
    }
    let done = 0;
    while (done < data.length) done += writeSync(fd, data, done, data.length - done);
    fsyncSync(fd);
    closeSync(fd);
    fd = undefined;
    renameSync(tmp, path);
  } catch (err) {
    if (fd !== undefined) closeSync(fd);
    try {
      unlinkSync(tmp);
    } catch {
      // already gone
    }
    if (err instanceof KpageflagsError) throw err;
    throw new KpageflagsError(
      "IO_ERROR",
      `cannot write ${path}: ${(err as Error).message}`,
      "check the directory exists and is writable",
      {
        path,
        cause: err,
      },
    );
  }
}

/**
 * Reads a page-map source to the end and saves it as a snapshot at `path`, classifying it in the same pass.
 * Nothing is written until the whole map has been read; the file appears by rename, complete or not at all.
 */
export async function writeSnapshot(
  source: PageMapSource,
  path: string,
  options: WriteSnapshotOptions = {},
): Promise<WrittenSnapshot> {
  const info = source.info;
  const flags = new StreamEncoder("kpageflags");
  const counts = info.files.kpagecount ? new StreamEncoder("kpagecount") : undefined;
  const cgroups = info.files.kpagecgroup ? new StreamEncoder("kpagecgroup") : undefined;
  const classifier = classifierFor(info);
  let pfns = 0;
  for await (const chunk of source.chunks()) {
    classifier.push(chunk);
    flags.push(chunk.flags, chunk.length);
    if (counts) counts.push(chunk.counts!, chunk.length);
    if (cgroups) cgroups.push(chunk.cgroups!, chunk.length);
    pfns += chunk.length;
  }
  const c = classifier.finish();
  const { file, header } = encodeSnapshot(
    {
      kernelRelease: info.kernelRelease ?? "unknown",
      machine: info.machine,
      pageSize: info.pageSize,
      sectionPfns: info.sectionPfns,
      startPfn: info.startPfn,
      pfnCount: pfns,
      iomem: info.ram ? info.ram.ranges.map((r) => [r.start, r.end] as [number, number]) : null,
      capturedAt: info.capturedAt ?? new Date().toISOString(),
      files: info.files,
      producer: options.producer ?? "@memdesc/kpageflags",
      note: options.note,
    },
    [flags, ...(counts ? [counts] : []), ...(cgroups ? [cgroups] : [])],
  );
  writeFileAtomic(path, file);
  return { path, bytes: file.length, header, survey: makeSurvey(info, c) };
}

/** Captures this machine's page map (root only) into a snapshot file. */
export function captureSnapshot(
  path: string,
  options: ProcSourceOptions & WriteSnapshotOptions = {},
): Promise<WrittenSnapshot> {
  return writeSnapshot(procSource(options), path, options);
}
