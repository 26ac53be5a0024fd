import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import fc from "fast-check";
import { afterAll, describe, expect, it } from "vitest";
import { chunksOf, pageMap } from "../../test/pagemap.js";
import { KpageflagsError } from "../errors.js";
import type { PageChunk, PageMapSource } from "../read/chunk.js";
import { sampleSnapshotPath } from "../sample.js";
import { survey } from "../survey.js";
import { snapshotHeaderSchema } from "./format.js";
import { decodeSnapshot, expandChunksSync, readSnapshot } from "./read.js";
import { writeFileAtomic, writeSnapshot } from "./write.js";

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
    async *chunks() {
      const size = extra.chunkPfns ?? 7;
      for (const c of chunksOf(flags, size)) {
        const at = (a: Uint32Array | undefined) => a?.slice(c.pfn * 2, (c.pfn + c.length) * 2);
        yield { ...c, counts: at(extra.counts), cgroups: at(extra.cgroups) } satisfies PageChunk;
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
    const s = await survey(readSnapshot(path, { chunkPfns: 3 }).source);
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
      async *chunks() {
        let n = 0;
        for await (const c of src.chunks()) {
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

describe("bad snapshots: one error naming the offset or field", () => {
  const good = readFileSync(sampleSnapshotPath());
  const headerLength = good.readUInt32LE(12);
  const header = JSON.parse(good.subarray(16, 16 + headerLength).toString("utf8"));
  const withHeader = (h: unknown) => {
    const json = Buffer.from(JSON.stringify(h));
    const bodyStart = Math.ceil((16 + headerLength) / 8) * 8;
    const newStart = Math.ceil((16 + json.length) / 8) * 8;
    const out = Buffer.alloc(newStart + good.length - bodyStart);
    good.copy(out, 0, 0, 12);
    out.writeUInt32LE(json.length, 12);
    json.copy(out, 16);
    good.copy(out, newStart, bodyStart);
    return out;
  };
  const fails = (bytes: Uint8Array, message: RegExp) => {
    try {
      decodeSnapshot(bytes, "bad.mdsnap");
    } catch (err) {
      expect(err).toBeInstanceOf(KpageflagsError);
      expect((err as KpageflagsError).code).toBe("BAD_SNAPSHOT");
      expect((err as KpageflagsError).message).toMatch(/^bad\.mdsnap: /);
      expect((err as KpageflagsError).message).toMatch(message);
      expect((err as KpageflagsError).hint).toMatch(/capture/);
      return;
    }
    throw new Error("decodeSnapshot accepted a bad snapshot");
  };

  it("accepts the header re-encoded unchanged", () => {
    expect(decodeSnapshot(withHeader(header)).header).toEqual(snapshotHeaderSchema.parse(header));
  });

  it("rejects a file that is not a snapshot", () => {
    fails(new Uint8Array(5), /5 bytes, too short/);
    fails(Buffer.from("cat /proc/kpageflags > x, not a snapshot"), /offset 0: magic is "cat \/pro"/);
  });

  it("rejects another format version", () => {
    const b = Buffer.from(good);
    b.writeUInt32LE(2, 8);
    fails(b, /offset 8: format version 2; this reader supports version 1/);
  });

  it("rejects a header that runs past the end", () => {
    const b = Buffer.from(good);
    b.writeUInt32LE(good.length, 12);
    fails(b, /offset 12: header length \d+ runs past the end/);
  });

  it("names the header field that fails the schema", () => {
    fails(withHeader({ ...header, pageSize: "4096" }), /header field pageSize: /);
    fails(withHeader({ ...header, pageSize: 3000 }), /header field pageSize: must be a power of two/);
    fails(
      withHeader({ ...header, streams: [{ ...header.streams[0], crc32: -1 }, ...header.streams.slice(1)] }),
      /header field streams\[0\]\.crc32/,
    );
    fails(
      withHeader({ ...header, files: { ...header.files, kpagecount: false } }),
      /header field streams: has a kpagecount stream/,
    );
    fails(withHeader({ ...header, extra: 1 }), /header field \(root\)|header field extra/);
    const notJson = Buffer.from(good);
    notJson[16] = 0x7b + 1;
    fails(notJson, /header at offset 16: not UTF-8 JSON/);
  });

  it("detects a corrupt body by its CRC, and names the stream and offset", () => {
    const b = Buffer.from(good);
    b[b.length - 3]! ^= 0xff;
    fails(b, /stream kpagecgroup at offset \d+: CRC-32 is 0x[0-9a-f]+, header says/);
  });

  it("detects a truncated file", () => {
    fails(good.subarray(0, good.length - 100), /body at offset \d+: header says \d+ bytes, the file has \d+/);
  });

  it("checks that the runs cover the PFN span", () => {
    fails(
      withHeader({ ...header, pfnCount: header.pfnCount + 1 }),
      /stream kpageflags: runs cover 6553600 PFNs, header pfnCount is 6553601/,
    );
  });

  it("reports a missing file with a hint", () => {
    expect(() => readSnapshot(join(dir, "nope.mdsnap"))).toThrow(
      expect.objectContaining({ code: "NOT_FOUND" }),
    );
    expect(existsSync(join(dir, "nope.mdsnap"))).toBe(false);
  });
});
