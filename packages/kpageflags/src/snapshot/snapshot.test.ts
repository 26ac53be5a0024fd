import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { gunzipSync, gzipSync, crc32 as zlibCrc32 } from "node:zlib";
import fc from "fast-check";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { writeMachine } from "../../test/machine.js";
import { chunksOf, pageMap, times } from "../../test/pagemap.js";
import { snapshotV1, workedExampleV1 } from "../../test/v1.js";
import { KpageflagsError } from "../errors.js";
import type { PageChunk, PageMapSource } from "../read/chunk.js";
import type { TreeEntry } from "../root/record.js";
import { treeRoot } from "../root/record.js";
import { ChunkEncoder } from "../runs.js";
import { survey } from "../survey.js";
import { snapshotHeaderSchema } from "./format.js";
import { decodeSnapshot, expandChunksSync, readSnapshot } from "./read.js";
import { decodeTree, encodeTree } from "./tree.js";
import { captureSnapshot, writeFileAtomic, writeSnapshot } from "./write.js";

const dir = mkdtempSync(join(tmpdir(), "kpf-snap-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** A source over in-memory arrays, as a capture would see them. */
function memorySource(
  flags: Uint32Array,
  extra: { counts?: Uint32Array; cgroups?: Uint32Array; chunkPfns?: number } = {},
): PageMapSource {
  const n = flags.length / 2;
  return {
    info: {
      kind: "raw",
      path: "memory",
      pageSize: 4096,
      startPfn: 0,
      pfnCount: n,
      expectedPfnCount: n,
      ram: null,
      sectionPfns: 32768,
      kernelRelease: "6.18.0-test",
      machine: "x86_64",
      capturedAt: "2026-11-25T12:00:00.000Z",
      files: { kpageflags: true, kpagecount: !!extra.counts, kpagecgroup: !!extra.cgroups },
    },
    async *batches() {
      const size = extra.chunkPfns ?? 7;
      const enc = new ChunkEncoder();
      for (const c of chunksOf(flags, size)) {
        const at = (a: Uint32Array | undefined) => a?.slice(c.pfn * 2, (c.pfn + c.length) * 2);
        yield enc.encode({ ...c, counts: at(extra.counts), cgroups: at(extra.cgroups) } satisfies PageChunk);
      }
    },
  };
}

const decodeAll = (bytes: Uint8Array) => {
  const s = decodeSnapshot(bytes);
  const all = (f: string) => {
    const st = s.streams.find((x) => x.file === f);
    return (
      st && expandChunksSync(0, s.header.pfnCount, Math.max(1, s.header.pfnCount), st).next().value?.flags
    );
  };
  return { s, flags: all("kpageflags"), counts: all("kpagecount"), cgroups: all("kpagecgroup") };
};

describe("snapshot round trip", () => {
  it("stores any page map losslessly, with kpagecount and kpagecgroup", async () => {
    const word = fc.oneof(
      fc.constantFrom(0n, 0x400n, 0x8080n, 0x10080n, 0x402000028n),
      fc.bigInt({ min: 0n, max: (1n << 64n) - 1n }),
    );
    let i = 0;
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.tuple(word, fc.integer({ min: 1, max: 20 })), { maxLength: 30 }),
        async (runs) => {
          const words = runs.flatMap(([w, n]) => Array.from({ length: n }, () => w));
          const flags = pageMap(words);
          const counts = pageMap(words.map((_, k) => BigInt(k % 3)));
          const cgroups = pageMap(words.map((_, k) => (k < 5 ? 0n : 4242n)));
          const path = join(dir, `rt${i++}.mdsnap`);
          const w = await writeSnapshot(memorySource(flags, { counts, cgroups }), path);
          const bytes = readFileSync(path);
          expect(w.bytes).toBe(bytes.length);
          const back = decodeAll(bytes);
          expect(back.s.header).toEqual(w.header);
          if (words.length > 0) {
            expect(back.flags).toEqual(flags);
            expect(back.counts).toEqual(counts);
            expect(back.cgroups).toEqual(cgroups);
          }
          expect(back.s.header.pfnCount).toBe(words.length);
        },
      ),
      { numRuns: 60 },
    );
  });

  it("surveys the same from the snapshot as during its capture", async () => {
    const words = [0x8080n, 0x10080n, 0n, 0n, 0x400n, 0x402000028n, 0x101000000n];
    const path = join(dir, "same.mdsnap");
    const w = await writeSnapshot(memorySource(pageMap(words)), path, { note: "hand-made" });
    const s = await survey(readSnapshot(path, { batchRuns: 3 }).source);
    expect({ ...s, source: undefined }).toEqual({ ...w.survey, source: undefined });
    expect(s.source).toMatchObject({
      kind: "snapshot",
      kernelRelease: "6.18.0-test",
      capturedAt: "2026-11-25T12:00:00.000Z",
    });
    expect(readSnapshot(path).header.note).toBe("hand-made");
  });

  it("keeps a big page map small: runs, not pages", async () => {
    const words = new Uint32Array(2 * 1_000_000);
    words.fill(0x400, 0, 600_000 * 2);
    const path = join(dir, "big.mdsnap");
    const w = await writeSnapshot(memorySource(words, { chunkPfns: 65536 }), path);
    expect(w.bytes).toBeLessThan(1024);
    expect(w.header.streams[0]).toMatchObject({ values: 2, runs: 2 });
  });
});

describe("atomic writes", () => {
  it("leaves nothing behind when the capture fails half way", async () => {
    const sub = mkdtempSync(join(dir, "fail-"));
    const src = memorySource(pageMap([1n, 2n, 3n, 4n]), { chunkPfns: 1 });
    const failing: PageMapSource = {
      info: src.info,
      async *batches() {
        let n = 0;
        for await (const c of src.batches()) {
          if (++n === 3) throw new KpageflagsError("SHORT_READ", "short read: test", "retry");
          yield c;
        }
      },
    };
    await expect(writeSnapshot(failing, join(sub, "x.mdsnap"))).rejects.toMatchObject({ code: "SHORT_READ" });
    expect(readdirSync(sub)).toEqual([]);
  });

  it("replaces an existing file only when complete, and reports an unwritable place", () => {
    const path = join(dir, "atomic.bin");
    writeFileSync(path, "old");
    writeFileAtomic(path, new Uint8Array([1, 2, 3]));
    expect([...readFileSync(path)]).toEqual([1, 2, 3]);
    expect(() => writeFileAtomic(join(dir, "no", "such", "dir", "x"), new Uint8Array(1))).toThrow(
      expect.objectContaining({ code: "NOT_FOUND" }),
    );
    expect(readdirSync(dir).filter((f) => f.endsWith(".tmp"))).toEqual([]);
  });
});

describe("capture: every file the survey reads goes in, and the survey of the snapshot is the same", () => {
  const free = 1n << 10n;
  const file = 0x402000028n;
  it("replays the counters, zones, free blocks and cgroups the capture read", async () => {
    const root = mkdtempSync(join(dir, "machine-"));
    const words = [...times(file, 300), ...times(0n, 200), ...times(free, 500), ...times(0x80n, 24)];
    const { inodes } = writeMachine(root, {
      words,
      ram: [[0, words.length]],
      vmstat: { nr_free_pages: 500, nr_file_pages: 300, nr_slab_reclaimable: 24, nr_slab_unreclaimable: 0 },
      zones: [
        {
          node: 0,
          zone: "Normal",
          startPfn: 0,
          spanned: words.length,
          present: words.length,
          managed: words.length,
          free: 500,
          pcp: [40, 2],
        },
      ],
      buddy: [{ node: 0, zone: "Normal", blocks: [4, 0, 1, 0, 0, 0, 0, 0, 1] }],
      cgroups: [{ path: "/db", ranges: [[0, 120]] }],
    });
    const path = join(dir, "replay.mdsnap");
    const w = await captureSnapshot(path, { root, by: "cgroup" });
    expect(w.header.version).toBe(2);
    expect(w.header.files).toEqual({ kpageflags: true, kpagecount: false, kpagecgroup: true });
    const snap = readSnapshot(path);
    const paths = snap.tree!.map((e) => e.path);
    for (const f of [
      "/proc/vmstat",
      "/proc/zoneinfo",
      "/proc/buddyinfo",
      "/proc/iomem",
      "/proc/self/mountinfo",
    ])
      expect(paths).toContain(f);
    const s = await survey(snap.source, { root: snap.root(), by: "cgroup" });
    expect({ ...s, source: undefined }).toEqual({ ...w.survey, source: undefined });
    expect(s.billed.pcp).toMatchObject({
      pages: 42,
      counted: { counter: "pagesets count", file: "/proc/zoneinfo" },
    });
    expect(s.billed.free.orders).toEqual([4, 0, 1, 0, 0, 0, 0, 0, 1]);
    expect(s.groups!.rows.map((r) => r.label).sort()).toEqual(["(not charged to a memcg)", "/db"]);
    expect(s.kernel!.cgroups!.paths).toContainEqual({ inode: inodes.get("/db"), path: "/db" });
    // A second survey of the same snapshot object replays from the start again.
    expect(await survey(snap.source, { root: snap.root(), by: "cgroup" })).toEqual(s);
  });
});

describe("version 1 snapshots still read", () => {
  it("decodes SNAPSHOT.md's worked example and surveys it, page map alone", async () => {
    const snap = decodeSnapshot(workedExampleV1(), "example.mdsnap");
    expect(snap.header.version).toBe(1);
    expect(snap.tree).toBeUndefined();
    const s = await survey(snap.source, { root: snap.root() });
    expect(s.uses.slab).toEqual({ pages: 2, descriptors: 1, orders: [0, 1] });
    expect(s.uses.free.pages).toBe(3);
    expect(s.kernel!.unreadable).toContainEqual({ path: "/proc/sys/kernel/osrelease", why: "not there" });
  });

  it("keeps SNAPSHOT.md's hex dump of the example true", () => {
    const doc = readFileSync(new URL("../../SNAPSHOT.md", import.meta.url), "utf8");
    const block = /```\n(00000000: 4d45 4d44 534e 4150 0100[\s\S]*?)```/.exec(doc)![1]!;
    const bytes = block
      .trim()
      .split("\n")
      .flatMap((l) => l.slice(10, 50).trim().split(/\s+/))
      .join("");
    expect(Buffer.from(workedExampleV1()).toString("hex")).toBe(bytes);
  });
});

describe("the recorded tree", () => {
  const entry = fc.oneof(
    fc.record({
      op: fc.constant("read" as const),
      path: fc.stringMatching(/^\/[a-z_/]{1,20}$/),
      data: fc.uint8Array({ maxLength: 40 }),
    }),
    fc.record({
      op: fc.constant("list" as const),
      path: fc.stringMatching(/^\/[a-z/]{1,20}$/),
      names: fc.array(fc.stringMatching(/^[a-z0-9.-]{1,8}$/), { maxLength: 4 }),
    }),
    fc.record({
      op: fc.constant("stat" as const),
      path: fc.stringMatching(/^\/[a-z/]{1,20}$/),
      stat: fc.record({
        type: fc.constantFrom("file" as const, "dir" as const, "other" as const),
        ino: fc.nat(),
      }),
    }),
    fc.record({
      op: fc.constantFrom("read" as const, "list" as const, "stat" as const),
      path: fc.stringMatching(/^\/[a-z/]{1,20}$/),
      error: fc.constantFrom(
        "ENOENT" as const,
        "EACCES" as const,
        "NOT_REGULAR" as const,
        "TOO_BIG" as const,
        "EIO" as const,
      ),
    }),
  );

  it("encodes and decodes any recording, and replays it in order", () => {
    fc.assert(
      fc.property(fc.array(entry, { maxLength: 20 }), (entries) => {
        const bytes = encodeTree(entries as TreeEntry[]);
        const back = decodeTree(bytes, entries.length);
        expect(back).toEqual(entries);
        const root = treeRoot("t", back as TreeEntry[]);
        const first = entries[0];
        if (first && first.op === "read" && "data" in first)
          expect(root.read(first.path)).toMatchObject({ ok: true });
      }),
      { numRuns: 100 },
    );
  });

  it("says what is wrong with a damaged one", () => {
    const good = encodeTree([{ op: "read", path: "/proc/vmstat", data: new Uint8Array([1, 2, 3]) }]);
    expect(decodeTree(good, 2)).toMatch(/1 entries, the header says 2/);
    expect(decodeTree(good.subarray(0, good.length - 1), 1)).toMatch(/runs past the tree's data/);
    const extra = new Uint8Array(good.length + 1);
    extra.set(good);
    expect(decodeTree(extra, 1)).toMatch(/1 bytes after the last read's data/);
    const bad = new Uint8Array(good);
    bad[5] = 0x7b; // not JSON any more
    expect(decodeTree(bad, 1)).toMatch(/index is not UTF-8 JSON|index entry/);
  });
});

describe("bad snapshots: one error naming the offset or field", () => {
  /** A small, valid version-2 snapshot to break. */
  let good: Buffer;
  let header: Record<string, unknown> & {
    body: { bytes: number; rawBytes: number };
    streams: Record<string, unknown>[];
  };
  let raw: Uint8Array;
  // Made before the tests (not in one), so each test can run on its own.
  beforeAll(async () => {
    const path = join(dir, "good.mdsnap");
    await writeSnapshot(memorySource(pageMap([0x8080n, 0x10080n, 0n, 0n, 0x400n, 0x402000028n])), path);
    good = readFileSync(path);
    const h = good.readUInt32LE(12);
    header = JSON.parse(good.subarray(16, 16 + h).toString("utf8"));
    raw = gunzipSync(good.subarray(Math.ceil((16 + h) / 8) * 8));
  });

  /** A version-2 file from a header and an uncompressed body (gzip and the body's sizes filled in). */
  const build = (h: Record<string, unknown>, body: Uint8Array = raw, sizes = true) => {
    const gz = gzipSync(body);
    const json = Buffer.from(
      JSON.stringify(
        sizes ? { ...h, body: { encoding: "gzip", bytes: gz.length, rawBytes: body.length } } : h,
      ),
    );
    const start = Math.ceil((16 + json.length) / 8) * 8;
    const out = Buffer.alloc(start + gz.length);
    out.write("MEMDSNAP", 0, "latin1");
    out.writeUInt32LE(2, 8);
    out.writeUInt32LE(json.length, 12);
    json.copy(out, 16);
    gz.copy(out, start);
    return out;
  };
  const fails = (bytes: Uint8Array, message: RegExp, code = "BAD_SNAPSHOT") => {
    try {
      decodeSnapshot(bytes, "bad.mdsnap");
    } catch (err) {
      expect(err).toBeInstanceOf(KpageflagsError);
      expect((err as KpageflagsError).code).toBe(code);
      expect((err as KpageflagsError).message).toMatch(/^bad\.mdsnap: /);
      expect((err as KpageflagsError).message).toMatch(message);
      expect((err as KpageflagsError).hint).toBe(
        "capture the snapshot again with captureSnapshot() (or `memdesc capture`), and copy it whole",
      );
      expect((err as KpageflagsError).path).toBe("bad.mdsnap");
      return;
    }
    throw new Error("decodeSnapshot accepted a bad snapshot");
  };

  it("accepts the header and body re-encoded unchanged", () => {
    expect(decodeSnapshot(build(header)).header).toEqual(snapshotHeaderSchema.parse(header));
  });

  it("rejects a file that is not a snapshot", () => {
    fails(new Uint8Array(5), /5 bytes, too short/);
    fails(
      new Uint8Array(15),
      /^bad\.mdsnap: 15 bytes, too short for the 16-byte preamble \(not a snapshot\)$/,
    );
    // The preamble alone, declaring an empty header: no longer too short, but the header is not JSON.
    const preamble = Buffer.alloc(16);
    preamble.write("MEMDSNAP", 0, "latin1");
    preamble.writeUInt32LE(2, 8);
    fails(preamble, /^bad\.mdsnap: header at offset 16: not UTF-8 JSON/);
    fails(Buffer.from("cat /proc/kpageflags > x, not a snapshot"), /offset 0: magic is "cat \/pro"/);
  });

  it("rejects another format version, and a preamble and header that disagree", () => {
    const b = Buffer.from(good);
    b.writeUInt32LE(3, 8);
    fails(b, /offset 8: format version 3; this reader supports versions 1 and 2/);
    b.writeUInt32LE(1, 8);
    fails(b, /header field version: 2, the preamble says 1/);
  });

  it("rejects a header that runs past the end", () => {
    const b = Buffer.from(good);
    b.writeUInt32LE(good.length, 12);
    fails(b, /offset 12: header length \d+ runs past the end/);
  });

  it("names the header field that fails the schema", () => {
    fails(build({ ...header, pageSize: "4096" }), /header field pageSize: /);
    fails(build({ ...header, pageSize: 12288 }), /header field pageSize: must be a power of two/);
    fails(
      build({ ...header, streams: [{ ...header.streams[0], crc32: -1 }] }),
      /header field streams\[0\]\.crc32/,
    );
    fails(
      build({ ...header, files: { kpageflags: true, kpagecount: true, kpagecgroup: false } }),
      /needs exactly one kpagecount stream/,
    );
    fails(build({ ...header, extra: 1 }), /^bad\.mdsnap: header field \(root\): .*"extra"/);
    fails(
      build({
        ...header,
        streams: [header.streams[0], { ...header.streams[0], file: "kpagecgroup", offset: 3 }],
      }),
      /^bad\.mdsnap: header field streams\[1\]\.offset: must be a multiple of 8$/,
    );
  });

  it("bounds every size by the physical address space and the file's own size, before allocating", () => {
    fails(
      build({ ...header, pfnCount: 2 ** 41 }),
      /header field pfnCount: PFNs 0…2199023255552 run past 2\^52 bytes/,
    );
    fails(
      build({ ...header, streams: [{ ...header.streams[0], runs: 1e9 }] }),
      /header field streams\[0\]\.runs: 1000000000 runs need more than/,
    );
    fails(
      build({ ...header, streams: [{ ...header.streams[0], values: 1e9 }] }),
      /header field streams\[0\]\.values/,
    );
    fails(
      build({ ...header, body: { encoding: "gzip", bytes: 40, rawBytes: 1e9 } }, raw, false),
      /header field body\.rawBytes: 1000000000 bytes cannot come from 40 bytes of gzip/,
    );
  });

  it("stops a gzip bomb at the size the header declared", () => {
    const gz = gzipSync(new Uint8Array(1 << 20));
    const json = Buffer.from(
      JSON.stringify({ ...header, body: { encoding: "gzip", bytes: gz.length, rawBytes: raw.length } }),
    );
    const start = Math.ceil((16 + json.length) / 8) * 8;
    const out = Buffer.alloc(start + gz.length);
    out.write("MEMDSNAP", 0, "latin1");
    out.writeUInt32LE(2, 8);
    out.writeUInt32LE(json.length, 12);
    json.copy(out, 16);
    gz.copy(out, start);
    fails(out, /body at offset \d+: not a gzip member inflating to \d+ bytes/);
  });

  it("detects a corrupt body: gzip's own check, then each stream's CRC", () => {
    const b = Buffer.from(good);
    b[b.length - 10]! ^= 0xff;
    fails(b, /body at offset \d+: not a gzip member/);
    const flipped = new Uint8Array(raw);
    flipped[(header.streams[0] as { offset: number }).offset + 2]! ^= 0x01;
    fails(build(header, flipped), /stream kpageflags at body offset 0: CRC-32 is 0x[0-9a-f]+, header says/);
  });

  it("detects a truncated file, and junk after the body", () => {
    const bodyStart = Math.ceil((16 + good.readUInt32LE(12)) / 8) * 8;
    const stored = good.length - bodyStart;
    fails(
      good.subarray(0, good.length - 5),
      new RegExp(`body at offset ${bodyStart}: header says ${stored} bytes, the file has ${stored - 5}$`),
    );
    fails(
      Buffer.concat([good, Buffer.from([0])]),
      /body at offset \d+: header says \d+ bytes, the file has \d+/,
    );
  });

  it("checks that the runs cover the PFN span", () => {
    fails(build({ ...header, pfnCount: 7 }), /stream kpageflags: runs cover 6 PFNs, header pfnCount is 7/);
    fails(build({ ...header, pfnCount: 5 }), /runs pass the header's pfnCount \(5\)/);
  });

  it("surveys a snapshot claiming a vast machine in a few runs as fast as it reads: work follows the runs", async () => {
    // One run of 2^40 − 1 free pages: a 4 PiB machine in a few hundred bytes.
    const words = [0x400n];
    const path = join(dir, "vast.mdsnap");
    await writeSnapshot(memorySource(pageMap(words)), path);
    const f = readFileSync(path);
    const h = f.readUInt32LE(12);
    const hdr = JSON.parse(f.subarray(16, 16 + h).toString("utf8"));
    const body = new Uint8Array(gunzipSync(f.subarray(Math.ceil((16 + h) / 8) * 8)));
    const n = 2 ** 40 - 1;
    // Re-encode the one run's length (value index 0, then the length as LEB128).
    const leb: number[] = [];
    for (let v = n; ; v = Math.floor(v / 128)) {
      if (v < 128) {
        leb.push(v);
        break;
      }
      leb.push((v % 128) | 128);
    }
    const stream = new Uint8Array([...body.subarray(0, 8), 0, ...leb]);
    const tree = body.subarray(hdr.tree.offset, hdr.tree.offset + hdr.tree.bytes);
    const treeAt = Math.ceil(stream.length / 8) * 8;
    const newBody = new Uint8Array(treeAt + tree.length);
    newBody.set(stream);
    newBody.set(tree, treeAt);
    const vast = build(
      {
        ...hdr,
        pfnCount: n,
        iomem: null,
        streams: [{ ...hdr.streams[0], bytes: stream.length, crc32: zlibCrc32(stream) }],
        tree: { ...hdr.tree, offset: treeAt },
      },
      newBody,
    );
    const s = await survey(decodeSnapshot(vast, "vast.mdsnap").source);
    expect(s.uses.free.pages).toBe(n);
  });

  it("reports a missing file with a hint, and refuses what is not a regular file", () => {
    expect(() => readSnapshot(join(dir, "nope.mdsnap"))).toThrow(
      expect.objectContaining({ code: "NOT_FOUND" }),
    );
    expect(existsSync(join(dir, "nope.mdsnap"))).toBe(false);
    expect(() => readSnapshot("/dev/zero")).toThrow(
      expect.objectContaining({
        code: "BAD_SNAPSHOT",
        message: "/dev/zero: not a regular file (a device or pipe might never end)",
      }),
    );
  });

  /**
   * A version-1 file (its body stored, so every offset is the file's) from streams given byte by byte: each at
   * the next multiple of 8, zero padding between. `bodyStart` is where the body starts in the file.
   */
  const v1File = (
    streams: { file: string; values: bigint[]; runs: number[]; declaredRuns: number; at?: number }[],
    pfnCount: number,
    tail: number[] = [],
    note = "",
  ) => {
    const parts: Record<string, unknown>[] = [];
    let end = 0;
    const chunks: [number, Uint8Array][] = [];
    for (const st of streams) {
      const bytes = new Uint8Array(st.values.length * 8 + st.runs.length);
      const dv = new DataView(bytes.buffer);
      for (const [k, v] of st.values.entries()) dv.setBigUint64(k * 8, v, true);
      bytes.set(st.runs, st.values.length * 8);
      const offset = st.at ?? Math.ceil(end / 8) * 8;
      chunks.push([offset, bytes]);
      parts.push({
        file: st.file,
        offset,
        bytes: bytes.length,
        values: st.values.length,
        runs: st.declaredRuns,
        crc32: zlibCrc32(bytes),
      });
      end = Math.max(end, offset + bytes.length);
    }
    const body = new Uint8Array(end + tail.length);
    for (const [offset, bytes] of chunks) body.set(bytes, offset);
    body.set(tail, end);
    const has = (f: string) => streams.some((st) => st.file === f);
    const json = Buffer.from(
      JSON.stringify({
        magic: "MEMDSNAP",
        version: 1,
        kernelRelease: "6.18.0-test",
        pageSize: 4096,
        sectionPfns: 32768,
        startPfn: 0,
        pfnCount,
        iomem: null,
        capturedAt: "2026-11-25T12:00:00.000Z",
        files: { kpageflags: true, kpagecount: has("kpagecount"), kpagecgroup: has("kpagecgroup") },
        ...(note ? { note } : {}),
        bodyBytes: body.length,
        streams: parts,
      }),
    );
    const bodyStart = Math.ceil((16 + json.length) / 8) * 8;
    const out = Buffer.alloc(bodyStart + body.length);
    out.write("MEMDSNAP", 0, "latin1");
    out.writeUInt32LE(1, 8);
    out.writeUInt32LE(json.length, 12);
    json.copy(out, 16);
    out.set(body, bodyStart);
    return { file: out, bodyStart, headerEnd: 16 + json.length };
  };
  const one = (runs: number[], declaredRuns: number, pfnCount: number) =>
    v1File([{ file: "kpageflags", values: [0x400n, 0x8080n], runs, declaredRuns }], pfnCount);

  it("reads the runs' varints, up to 8 bytes each, and the table's two halves", () => {
    // Run 0: value 1 (0x8080) × 3; run 1: value 0 × 130 (two varint bytes); run 2: value 1 × 5 in 8 bytes.
    const { file } = one(
      [
        0x01, 0x03, 0x00, 0x82, 0x01, 0x81, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x00, 0x85, 0x80, 0x80, 0x80,
        0x80, 0x80, 0x80, 0x00,
      ],
      3,
      138,
    );
    const snap = decodeSnapshot(file, "ok.mdsnap");
    const [st] = snap.streams;
    expect([...st!.values]).toEqual([0x400, 0, 0x8080, 0]);
    expect([...st!.runValue]).toEqual([1, 0, 1]);
    expect([...st!.runLength]).toEqual([3, 130, 5]);
    const hiLo = v1File(
      [{ file: "kpageflags", values: [0x1_0000_0400n], runs: [0, 2], declaredRuns: 1 }],
      2,
    ).file;
    expect([...decodeSnapshot(hiLo).streams[0]!.values]).toEqual([0x400, 1]);
  });

  it("names the run and the offset of a bad varint, value index or length", () => {
    const table = 16; // two values
    const cases: [number[], number, number, string][] = [
      [[0x00, 0x85], 1, 5, `at offset ${table + 2}: run 0 length is cut off by the end of the stream`],
      [[0x80, 0x80], 1, 5, `at offset ${table + 2}: run 0 value index is cut off by the end of the stream`],
      [
        [0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x00, 0x01],
        1,
        1,
        `at offset ${table + 8}: run 0 value index is longer than 8 varint bytes`,
      ],
      [[0x00, 0x01, 0x02, 0x05], 2, 6, `at offset ${table + 2}: run 1 uses value 2, but the table has 2`],
      [[0x00, 0x01, 0x01, 0x00], 2, 1, `at offset ${table + 2}: run 1 has length 0`],
      [[0x00, 0x05, 0x00], 1, 5, `at offset ${table + 2}: 1 bytes left after 1 runs`],
      [[0x00, 0x05, 0x01, 0x01], 2, 5, `at offset ${table + 2}: runs pass the header's pfnCount (5)`],
    ];
    for (const [runs, declared, pfnCount, message] of cases) {
      const { file, bodyStart } = one(runs, declared, pfnCount);
      const want = message.replace(/at offset (\d+)/, (_, q) => `at offset ${bodyStart + Number(q)}`);
      expect(() => decodeSnapshot(file, "bad.mdsnap"), message).toThrow(
        `bad.mdsnap: stream kpageflags ${want}`,
      );
    }
  });

  it("rejects streams that overlap, and padding or trailing bytes that are not zero", () => {
    const flags = { file: "kpageflags", values: [0x400n], runs: [0, 2], declaredRuns: 1 };
    const count = { file: "kpagecount", values: [1n], runs: [0, 2], declaredRuns: 1 };
    const ok = v1File([flags, count], 2, [0, 0, 0]);
    expect(decodeSnapshot(ok.file).streams.map((st) => st.file)).toEqual(["kpageflags", "kpagecount"]);
    // Sections may touch, and the header may list them in any order: kpagecount (16 bytes) first in the body.
    const touching = v1File(
      [
        { ...flags, runs: [0, 1, 0, 1, 0, 1, 0, 1], declaredRuns: 4, at: 16 },
        { ...count, runs: [0, 1, 0, 1, 0, 1, 0, 1], declaredRuns: 4, at: 0 },
      ],
      4,
    );
    expect(decodeSnapshot(touching.file).streams.map((st) => [st.file, [...st.runLength]])).toEqual([
      ["kpageflags", [1, 1, 1, 1]],
      ["kpagecount", [1, 1, 1, 1]],
    ]);
    const overlap = v1File(
      [
        { ...flags, runs: [0, 2, 0, 0, 0, 0, 0, 0] },
        { ...count, at: 8 },
      ],
      2,
    );
    fails(
      overlap.file,
      new RegExp(
        `header field streams: stream kpagecount overlaps another at offset ${overlap.bodyStart + 8}$`,
      ),
    );
    const padded = v1File([flags, count], 2);
    padded.file[padded.bodyStart + 12] = 1;
    fails(padded.file, new RegExp(`offset ${padded.bodyStart + 12}: padding between sections is not zero$`));
    const trailing = v1File([flags, count], 2, [0, 0, 7]);
    fails(trailing.file, new RegExp(`offset ${trailing.bodyStart + 28}: bytes after the last section$`));
  });

  it("rejects a header that is not UTF-8 JSON, and padding after it that is not zero", () => {
    const b = Buffer.from(good);
    b[16] = 0xff;
    fails(b, /^bad\.mdsnap: header at offset 16: not UTF-8 JSON \(/);
    // Bytes that are not UTF-8 inside a JSON string: refused, not read as U+FFFD.
    const note = Buffer.from(JSON.stringify({ ...header, note: "ab" }));
    note[note.indexOf('"ab"') + 2] = 0xff;
    const start = Math.ceil((16 + note.length) / 8) * 8;
    const bad = Buffer.alloc(start + good.length - Math.ceil((16 + good.readUInt32LE(12)) / 8) * 8);
    bad.write("MEMDSNAP", 0, "latin1");
    bad.writeUInt32LE(2, 8);
    bad.writeUInt32LE(note.length, 12);
    note.copy(bad, 16);
    good.subarray(Math.ceil((16 + good.readUInt32LE(12)) / 8) * 8).copy(bad, start);
    fails(bad, /^bad\.mdsnap: header at offset 16: not UTF-8 JSON \(/);
    for (const json of ["null", "5", '"MEMDSNAP"']) {
      const h = Buffer.alloc(32);
      h.write("MEMDSNAP", 0, "latin1");
      h.writeUInt32LE(2, 8);
      h.writeUInt32LE(json.length, 12);
      h.write(json, 16);
      fails(h.subarray(0, 16 + json.length), /^bad\.mdsnap: header field \(root\): /);
    }
    // A note that leaves the header short of a multiple of 8, so zero bytes pad it; a blank in the first or
    // the last of them is refused.
    const padded = ["a", "ab", "abc"]
      .map((note) =>
        v1File([{ file: "kpageflags", values: [0x400n], runs: [0, 1], declaredRuns: 1 }], 1, [], note),
      )
      .find((f) => f.bodyStart - f.headerEnd >= 2)!;
    expect(decodeSnapshot(padded.file).header.note).toMatch(/^a/);
    for (const at of [padded.headerEnd, padded.bodyStart - 1]) {
      const f = Buffer.from(padded.file);
      f[at] = 0x20;
      fails(f, new RegExp(`offset ${at}: padding after the header is not zero$`));
    }
  });

  it("rejects a body that inflates to less than the header says, and a damaged recorded tree", () => {
    const fixed = build(
      { ...header, body: { encoding: "gzip", bytes: gzipSync(raw).length, rawBytes: raw.length + 8 } },
      raw,
      false,
    );
    fails(
      fixed,
      new RegExp(`body at offset \\d+: inflates to ${raw.length} bytes, header says ${raw.length + 8}$`),
    );
    const tree = header.tree as { offset: number; bytes: number; entries: number; crc32: number };
    const flipped = new Uint8Array(raw);
    flipped[tree.offset]! ^= 0x01;
    fails(
      build(header, flipped),
      new RegExp(
        `the tree at body offset ${tree.offset}: CRC-32 is 0x[0-9a-f]+, header says 0x${tree.crc32.toString(16)}$`,
      ),
    );
    fails(
      build({ ...header, tree: { ...tree, offset: 0 } }),
      /^bad\.mdsnap: header field streams: the tree overlaps another at body offset 0$/,
    );
    // A tree of one read, declared as two entries, then as one.
    const one = encodeTree([{ op: "read", path: "/proc/version", data: new Uint8Array([0x4c, 0x69]) }]);
    const body = new Uint8Array(tree.offset + one.length);
    body.set(raw.subarray(0, tree.offset));
    body.set(one, tree.offset);
    const withTree = (entries: number) =>
      build(
        { ...header, tree: { offset: tree.offset, bytes: one.length, entries, crc32: zlibCrc32(one) } },
        body,
      );
    fails(withTree(2), new RegExp(`the tree at body offset ${tree.offset}: 1 entries, the header says 2$`));
    const snap = decodeSnapshot(withTree(1));
    expect(snap.tree!.map((e) => ({ ...e, data: [...(e as { data: Uint8Array }).data] }))).toEqual([
      { op: "read", path: "/proc/version", data: [0x4c, 0x69] },
    ]);
    expect(snap.root().read("/proc/version")).toMatchObject({ ok: true });
  });
});

describe("the page map a snapshot hands out", () => {
  /** Random runs of words, with kpagecount and kpagecgroup words of their own runs. */
  const mapArb = fc
    .tuple(
      fc.array(
        fc.tuple(
          fc.constantFrom(0n, 0x400n, 0x8080n, 0x10080n, 0x402000028n, 1n << 63n),
          fc.integer({ min: 1, max: 30 }),
        ),
        {
          minLength: 1,
          maxLength: 25,
        },
      ),
      fc.array(fc.constantFrom(0n, 1n, 2n ** 32n + 3n), { minLength: 1, maxLength: 5 }),
      fc.array(fc.constantFrom(0n, 4242n, 2n ** 40n), { minLength: 1, maxLength: 4 }),
    )
    .map(([runs, countCycle, cgCycle]) => {
      const words = runs.flatMap(([w, n]) => times(w, n).map(BigInt));
      return {
        words,
        counts: words.map((_, k) => countCycle[Math.floor(k / 4) % countCycle.length]!),
        cgroups: words.map((_, k) => cgCycle[Math.floor(k / 9) % cgCycle.length]!),
      };
    });
  const expand = (runs: { runs: Float64Array; count: number }) => {
    const out: bigint[] = [];
    for (let r = 0; r < runs.count; r++)
      out.push(
        ...times(
          (BigInt(runs.runs[r * 3 + 1]!) << 32n) | BigInt(runs.runs[r * 3]!),
          runs.runs[r * 3 + 2]!,
        ).map(BigInt),
      );
    return out;
  };
  const words64 = (a: Uint32Array) =>
    Array.from({ length: a.length / 2 }, (_, i) => (BigInt(a[i * 2 + 1]!) << 32n) | BigInt(a[i * 2]!));
  let i = 0;

  it("in batches of at most `batchRuns` runs, kpagecount and kpagecgroup cut at the same PFNs", async () => {
    await fc.assert(
      fc.asyncProperty(
        mapArb,
        fc.integer({ min: 1, max: 9 }),
        async ({ words, counts, cgroups }, batchRuns) => {
          const path = join(dir, `batches${i++}.mdsnap`);
          await writeSnapshot(
            memorySource(pageMap(words), { counts: pageMap(counts), cgroups: pageMap(cgroups) }),
            path,
          );
          const snap = decodeSnapshot(readFileSync(path), path, { batchRuns });
          const runs = snap.header.streams.find((s) => s.file === "kpageflags")!.runs;
          const got = { flags: [] as bigint[], counts: [] as bigint[], cgroups: [] as bigint[] };
          let pfn = 0;
          let batches = 0;
          for await (const b of snap.source.batches()) {
            expect(b.pfn).toBe(pfn);
            expect(b.flags.count).toBe(Math.min(batchRuns, runs - batches * batchRuns));
            for (const [k, r] of [
              ["flags", b.flags],
              ["counts", b.counts!],
              ["cgroups", b.cgroups!],
            ] as const) {
              for (let k2 = 0; k2 < r.count; k2++) expect(r.runs[k2 * 3 + 2], k).toBeGreaterThanOrEqual(1);
              const part = expand(r);
              expect(part.length, k).toBe(b.length);
              got[k].push(...part);
            }
            pfn += b.length;
            batches++;
          }
          expect(batches).toBe(Math.ceil(runs / batchRuns));
          expect(got).toEqual({ flags: words, counts, cgroups });
        },
      ),
      { numRuns: 40 },
    );
  });

  it("in chunks of any size, every PFN's words in order", async () => {
    await fc.assert(
      fc.asyncProperty(
        mapArb,
        fc.integer({ min: 1, max: 50 }),
        async ({ words, counts, cgroups }, chunkPfns) => {
          const path = join(dir, `chunks${i++}.mdsnap`);
          await writeSnapshot(
            memorySource(pageMap(words), { counts: pageMap(counts), cgroups: pageMap(cgroups) }),
            path,
          );
          const snap = decodeSnapshot(readFileSync(path), path);
          const [f, c, g] = (["kpageflags", "kpagecount", "kpagecgroup"] as const).map(
            (file) => snap.streams.find((s) => s.file === file)!,
          );
          const got = { flags: [] as bigint[], counts: [] as bigint[], cgroups: [] as bigint[] };
          let done = 0;
          for (const ch of expandChunksSync(7, words.length, chunkPfns, f!, c, g)) {
            expect([ch.pfn, ch.length]).toEqual([7 + done, Math.min(chunkPfns, words.length - done)]);
            expect(ch.length).toBeGreaterThan(0);
            got.flags.push(...words64(ch.flags.subarray(0, ch.length * 2)));
            got.counts.push(...words64(ch.counts!.subarray(0, ch.length * 2)));
            got.cgroups.push(...words64(ch.cgroups!.subarray(0, ch.length * 2)));
            done += ch.length;
          }
          expect(done).toBe(words.length);
          expect(got).toEqual({ flags: words, counts, cgroups });
          // Without kpagecount and kpagecgroup, chunks carry none.
          const alone = expandChunksSync(0, words.length, chunkPfns, f!).next().value!;
          expect([alone.counts, alone.cgroups]).toEqual([undefined, undefined]);
        },
      ),
      { numRuns: 40 },
    );
  });

  it("describes the page map from the header: span, RAM, sections, machine, capture time, files", async () => {
    const path = join(dir, "info.mdsnap");
    await writeSnapshot(memorySource(pageMap([0x400n, 0n]), { counts: pageMap([0n, 1n]) }), path);
    const v2 = readSnapshot(path);
    expect(v2.source.info).toEqual({
      kind: "snapshot",
      path,
      pageSize: 4096,
      startPfn: 0,
      pfnCount: 2,
      expectedPfnCount: 2,
      ram: null,
      sectionPfns: 32768,
      kernelRelease: "6.18.0-test",
      machine: "x86_64",
      capturedAt: "2026-11-25T12:00:00.000Z",
      files: { kpageflags: true, kpagecount: true, kpagecgroup: false },
    });
    expect(v2.root().label).toBe(`snapshot ${path}`);
    const v1 = decodeSnapshot(workedExampleV1(), "example.mdsnap");
    expect(v1.source.info).toEqual({
      kind: "snapshot",
      path: "example.mdsnap",
      pageSize: 4096,
      startPfn: 0,
      pfnCount: 8,
      expectedPfnCount: 8,
      ram: { ranges: [{ start: 0, end: 8 }], pages: 8 },
      sectionPfns: 32768,
      kernelRelease: "6.18.44",
      machine: undefined,
      capturedAt: "2026-11-25T12:00:00.000Z",
      files: { kpageflags: true, kpagecount: false, kpagecgroup: false },
    });
    expect([v1.path, v1.bytes, v1.streams.length]).toEqual(["example.mdsnap", workedExampleV1().length, 1]);
    expect(v1.root().label).toBe("snapshot example.mdsnap");
    expect(v1.root().read("/proc/vmstat")).toEqual({
      ok: false,
      code: "ENOENT",
      message: "a version-1 snapshot holds only the page map",
    });
    const shifted = decodeSnapshot(
      snapshotV1([0x400n, 0x400n, 0n], {
        kernelRelease: "6.1.0",
        capturedAt: "2026-01-02T03:04:05.000Z",
        iomem: null,
        startPfn: 4096,
      }),
    );
    expect(shifted.source.info).toMatchObject({
      path: "<snapshot>",
      startPfn: 4096,
      pfnCount: 3,
      ram: null,
      kernelRelease: "6.1.0",
    });
    expect(expandChunksSync(4096, 3, 3, shifted.streams[0]!).next().value).toMatchObject({
      pfn: 4096,
      length: 3,
    });
  });
});
