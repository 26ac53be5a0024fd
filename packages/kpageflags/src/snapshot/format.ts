import { z } from "zod";

/**
 * The snapshot file format, version 1 (documented in SNAPSHOT.md). All integers are little-endian.
 *
 *   offset 0   8 bytes  magic "MEMDSNAP"
 *   offset 8   u32      format version (1)
 *   offset 12  u32      header length H in bytes
 *   offset 16  H bytes  header: UTF-8 JSON, validated by `snapshotHeaderSchema`
 *   then zero bytes up to the next multiple of 8: the body starts there
 *   body       one stream per file read; each at the offset the header gives (relative to the body, a
 *              multiple of 8, zero padding between streams): `values` distinct u64 words, then `runs`
 *              pairs of LEB128 varints (index into the values, run length ≥ 1), covering exactly `pfnCount`
 *              PFNs. The file ends where the last stream does.
 */
export const snapshotMagic = "MEMDSNAP";
export const snapshotVersion = 1;
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
    /** Byte offset of the stream from the start of the body; a multiple of 8. */
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

export const snapshotHeaderSchema = z
  .object({
    magic: z.literal(snapshotMagic),
    version: z.literal(snapshotVersion),
    /** `uname -r` of the machine captured. */
    kernelRelease: z.string().min(1),
    /** `uname -m` of the machine captured. */
    machine: z.string().min(1).optional(),
    /** Bytes per page. */
    pageSize: z
      .number()
      .int()
      .positive()
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
    /** Bytes in the body: up to the end of the last stream, where the file ends. */
    bodyBytes: count,
    streams: z.array(snapshotStreamSchema).min(1),
  })
  .strict()
  .superRefine((h, ctx) => {
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
      if (s.offset + s.bytes > h.bodyBytes)
        ctx.addIssue({
          code: "custom",
          path: ["streams", i],
          message: `bytes ${s.offset}…${s.offset + s.bytes} run past the body (${h.bodyBytes} bytes)`,
        });
      if (s.values * 8 > s.bytes)
        ctx.addIssue({
          code: "custom",
          path: ["streams", i, "values"],
          message: `${s.values} values need more than ${s.bytes} bytes`,
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
  });

export type SnapshotHeader = z.output<typeof snapshotHeaderSchema>;
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
