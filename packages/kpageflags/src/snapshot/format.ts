import { z } from "zod";
import { labelProblem, maxLabels } from "../capture/labels.js";

/**
 * The snapshot file format (documented in SNAPSHOT.md). All integers are little-endian.
 *
 *   offset 0   8 bytes  magic "MEMDSNAP"
 *   offset 8   u32      format version (1 or 2)
 *   offset 12  u32      header length H in bytes
 *   offset 16  H bytes  header: UTF-8 JSON, validated by `snapshotHeaderSchema`
 *   then zero bytes up to the next multiple of 8: the body starts there
 *   body       version 1: the streams as stored; version 2: one gzip member (RFC 1952) holding them and the
 *              recorded tree. Each stream is at the offset the header gives (relative to the uncompressed
 *              body, a multiple of 8, zero padding between): `values` distinct u64 words, then `runs` pairs of
 *              LEB128 varints (index into the values, run length ≥ 1), covering exactly `pfnCount` PFNs.
 */
export const snapshotMagic = "MEMDSNAP";
/** The version this package writes. */
export const snapshotVersion = 2;
/** The versions it reads. */
export const snapshotVersions = [1, 2] as const;
/** Bytes before the header: magic, version, header length. */
export const preambleBytes = 16;
/** Conventional file extension. */
export const snapshotExtension = ".mdsnap";

const count = z.number().int().nonnegative();

export const streamFileSchema = z.enum(["kpageflags", "kpagecount", "kpagecgroup"]);
export type StreamFile = z.infer<typeof streamFileSchema>;

export const snapshotStreamSchema = z
  .object({
    /** Which /proc file the stream holds. */
    file: streamFileSchema,
    /** Byte offset of the stream from the start of the (uncompressed) body; a multiple of 8. */
    offset: count.refine((n) => n % 8 === 0, "must be a multiple of 8"),
    /** Bytes in the stream: 8 × values plus the run varints. */
    bytes: count,
    /** Distinct 64-bit words in the values table. */
    values: count,
    /** Runs encoded after the table. */
    runs: count,
    /** CRC-32 (zlib's) of the stream's bytes. */
    crc32: z.number().int().min(0).max(0xffff_ffff),
  })
  .strict();

/** The members both versions share. */
const common = {
  magic: z.literal(snapshotMagic),
  /** `uname -r` of the machine captured. */
  kernelRelease: z.string().min(1),
  /** `uname -m` of the machine captured. */
  machine: z.string().min(1).optional(),
  /** Bytes per page: a power of two from 4 KiB to 1 MiB. */
  pageSize: z
    .number()
    .int()
    .min(4096)
    .max(1 << 20)
    .refine((n) => (n & (n - 1)) === 0, "must be a power of two"),
  /** PFNs per memory section (32,768 on x86-64 with 4 KiB pages). */
  sectionPfns: z.number().int().positive(),
  /** First PFN held, and how many. */
  startPfn: count,
  pfnCount: count,
  /** System RAM from /proc/iomem as half-open PFN ranges `[start, end)`, or null when unknown. */
  iomem: z
    .array(z.tuple([count, count]).refine(([s, e]) => e > s, "a range must end after it starts"))
    .nullable(),
  /** When the capture started, ISO 8601. */
  capturedAt: z.iso.datetime({ offset: true }),
  /** Which files were read (in lockstep); each has a stream. */
  files: z
    .object({ kpageflags: z.literal(true), kpagecount: z.boolean(), kpagecgroup: z.boolean() })
    .strict(),
  /** What made the file. */
  producer: z.string().optional(),
  /** Free text, e.g. what the machine was doing. */
  note: z.string().optional(),
  /** Labels given at capture (`memdesc capture --label team=storage`): what a fleet groups hosts by. */
  labels: z
    .record(z.string(), z.string())
    .superRefine((labels, ctx) => {
      const entries = Object.entries(labels);
      if (entries.length > maxLabels)
        ctx.addIssue({ code: "custom", message: `more than ${maxLabels} labels` });
      for (const [k, v] of entries) {
        const problem = labelProblem(k, v);
        if (problem) ctx.addIssue({ code: "custom", path: [k], message: problem });
      }
    })
    .optional(),
  streams: z.array(snapshotStreamSchema).min(1),
};

/** Version 1: the body is the streams, stored. */
export const snapshotHeaderV1Schema = z
  .object({
    ...common,
    version: z.literal(1),
    /** Bytes in the body: up to the end of the last stream, where the file ends. */
    bodyBytes: count,
  })
  .strict();

/** Version 2: the body is gzip-compressed and also holds the machine's counter files the survey read. */
export const snapshotHeaderV2Schema = z
  .object({
    ...common,
    version: z.literal(2),
    body: z
      .object({
        encoding: z.literal("gzip"),
        /** Bytes of the gzip member in the file, which ends with it. */
        bytes: count,
        /** Bytes it inflates to. */
        rawBytes: count,
      })
      .strict(),
    /** The recorded tree: every /proc and /sys read the survey made, in the uncompressed body. */
    tree: z
      .object({
        offset: count.refine((n) => n % 8 === 0, "must be a multiple of 8"),
        bytes: count,
        /** Calls recorded. */
        entries: count,
        crc32: z.number().int().min(0).max(0xffff_ffff),
      })
      .strict(),
  })
  .strict();

type Common = { streams: z.output<typeof snapshotStreamSchema>[]; files: z.output<typeof common.files> };

/** Checks that hold in both versions, with the body's (uncompressed) size. */
function checkCommon(
  h: Common & { iomem: [number, number][] | null },
  bodyBytes: number,
  ctx: z.RefinementCtx,
) {
  for (const f of streamFileSchema.options) {
    const n = h.streams.filter((s) => s.file === f).length;
    const want = f === "kpageflags" ? true : h.files[f];
    if (n !== (want ? 1 : 0))
      ctx.addIssue({
        code: "custom",
        path: ["streams"],
        message: `${want ? "needs exactly one" : "has a"} ${f} stream, but files.${f} is ${want}`,
      });
  }
  h.streams.forEach((s, i) => {
    if (s.offset + s.bytes > bodyBytes)
      ctx.addIssue({
        code: "custom",
        path: ["streams", i],
        message: `bytes ${s.offset}…${s.offset + s.bytes} run past the body (${bodyBytes} bytes)`,
      });
    if (s.values * 8 > s.bytes)
      ctx.addIssue({
        code: "custom",
        path: ["streams", i, "values"],
        message: `${s.values} values need more than ${s.bytes} bytes`,
      });
    // A run takes at least two varint bytes: a count beyond that is a lie, refused before allocating for it.
    if (s.runs * 2 > s.bytes - s.values * 8)
      ctx.addIssue({
        code: "custom",
        path: ["streams", i, "runs"],
        message: `${s.runs} runs need more than the ${s.bytes - s.values * 8} bytes after the table`,
      });
  });
  if (h.iomem)
    for (let i = 1; i < h.iomem.length; i++)
      if (h.iomem[i]![0] < h.iomem[i - 1]![1])
        ctx.addIssue({
          code: "custom",
          path: ["iomem", i],
          message: "ranges must be sorted and not overlap",
        });
}

/**
 * The largest uncompressed body a gzip member of `bytes` can hold: a deflate length/distance pair gives at most
 * 258 bytes for at least two bits, so no member inflates more than 1,032 times ("zlib Technical Details",
 * zlib.net/zlib_tech.html, "Maximum Compression Factor").
 */
export const maxInflatedBytes = (bytes: number): number => bytes * 1032;

/** The largest body this reader inflates, whatever the header says: 1 GiB (a 25 GiB machine's is 2 MB). */
export const maxRawBodyBytes = 1 << 30;

export const snapshotHeaderSchema = z
  .discriminatedUnion("version", [snapshotHeaderV1Schema, snapshotHeaderV2Schema])
  .superRefine((h, ctx) => {
    const pfnLimit = 2 ** 52 / h.pageSize;
    if (h.startPfn + h.pfnCount > pfnLimit)
      ctx.addIssue({
        code: "custom",
        path: ["pfnCount"],
        message: `PFNs ${h.startPfn}…${h.startPfn + h.pfnCount} run past 2^52 bytes of physical address space`,
      });
    if (h.sectionPfns > pfnLimit)
      ctx.addIssue({
        code: "custom",
        path: ["sectionPfns"],
        message: "larger than any physical address space",
      });
    if (h.iomem?.some(([, e]) => e > pfnLimit))
      ctx.addIssue({ code: "custom", path: ["iomem"], message: "a range ends past 2^52 bytes" });
    if (h.version === 1) return checkCommon(h, h.bodyBytes, ctx);
    const raw = h.body.rawBytes;
    if (raw > maxRawBodyBytes || raw > maxInflatedBytes(h.body.bytes))
      ctx.addIssue({
        code: "custom",
        path: ["body", "rawBytes"],
        message: `${raw} bytes cannot come from ${h.body.bytes} bytes of gzip (or exceed ${maxRawBodyBytes})`,
      });
    if (h.tree.offset + h.tree.bytes > raw)
      ctx.addIssue({ code: "custom", path: ["tree"], message: `runs past the body (${raw} bytes)` });
    // Each recorded call takes at least a few bytes of the tree's index.
    if (h.tree.entries * 8 > h.tree.bytes)
      ctx.addIssue({
        code: "custom",
        path: ["tree", "entries"],
        message: `${h.tree.entries} entries in ${h.tree.bytes} bytes`,
      });
    checkCommon(h, raw, ctx);
  });

export type SnapshotHeader = z.output<typeof snapshotHeaderSchema>;
export type SnapshotHeaderV1 = z.output<typeof snapshotHeaderV1Schema>;
export type SnapshotHeaderV2 = z.output<typeof snapshotHeaderV2Schema>;
export type SnapshotStream = z.output<typeof snapshotStreamSchema>;

/** Appends unsigned LEB128 varints to a growing byte buffer. */
export class VarintWriter {
  private buf = new Uint8Array(1 << 16);
  length = 0;

  write(n: number): void {
    if (this.length + 10 > this.buf.length) {
      const next = new Uint8Array(this.buf.length * 2);
      next.set(this.buf.subarray(0, this.length));
      this.buf = next;
    }
    let v = n;
    while (v >= 0x80) {
      this.buf[this.length++] = (v % 0x80) | 0x80;
      v = Math.floor(v / 0x80);
    }
    this.buf[this.length++] = v;
  }

  bytes(): Uint8Array {
    return this.buf.subarray(0, this.length);
  }
}

/** Rounds up to a multiple of 8. */
export const align8 = (n: number): number => Math.ceil(n / 8) * 8;
