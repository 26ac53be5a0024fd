import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { gunzipSync, gzipSync, crc32 as zlibCrc32 } from "node:zlib";
import fc from "fast-check";
import { afterAll, describe, expect, it } from "vitest";
import { writeMachine } from "../../test/machine.js";
import { chunksOf, pageMap, times } from "../../test/pagemap.js";
import { workedExampleV1 } from "../../test/v1.js";
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
  it("is made from a hand-made page map", async () => {
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
      expect((err as KpageflagsError).hint).toMatch(/capture/);
      return;
    }
    throw new Error("decodeSnapshot accepted a bad snapshot");
  };

  it("accepts the header and body re-encoded unchanged", () => {
    expect(decodeSnapshot(build(header)).header).toEqual(snapshotHeaderSchema.parse(header));
  });

  it("rejects a file that is not a snapshot", () => {
    fails(new Uint8Array(5), /5 bytes, too short/);
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
    fails(build({ ...header, extra: 1 }), /header field \(root\)|header field extra/);
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
    fails(good.subarray(0, good.length - 5), /body at offset \d+: header says \d+ bytes, the file has \d+/);
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
});
