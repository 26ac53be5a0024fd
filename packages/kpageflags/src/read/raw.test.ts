import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { type SimpleExtras, type SimpleResult, simpleClassify } from "../../test/simple-classifier.js";
import { sampleSnapshotPath } from "../sample.js";
import { expandChunksSync, readSnapshot } from "../snapshot/read.js";
import { type Survey, survey, surveyRaw } from "../survey.js";
import { surveyUses } from "../uses.js";
import { parseIomem } from "./iomem.js";
import { rawSource } from "./raw.js";

const fixture = (name: string) => new URL(`../../fixtures/${name}`, import.meta.url).pathname;
const dumpPath = fixture("kpageflags-0x158000-0x1a8000.bin");
const iomemPath = fixture("iomem.txt");
const dumpStart = 0x158000;

const dir = mkdtempSync(join(tmpdir(), "kpf-raw-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function agree(s: Survey, simple: SimpleResult & SimpleExtras) {
  for (const u of surveyUses) {
    const t = s.uses[u];
    expect([u, t.pages, t.descriptors], u).toEqual([u, simple.pages[u] ?? 0, simple.descriptors[u] ?? 0]);
    const orders = Object.fromEntries(t.orders.map((n, k) => [k, n]).filter(([, n]) => n));
    expect([u, orders]).toEqual([u, simple.orders[u] ?? {}]);
  }
  // A real machine's anomalies (folios changing while the map was read) and quirks, found PFN by PFN.
  const counted = { "orphan-tail": 0, "not-power-of-two": 0, misaligned: 0, "lonely-head": 0 };
  for (const a of simple.anomalies) counted[a.kind]++;
  expect(s.anomalies.counts).toEqual(counted);
  expect(s.quirks).toEqual(simple.quirks);
  expect(s.flagWords).toEqual(simple.flagWords);
  expect(s.ram).toEqual(simple.ram);
}

describe("raw kpageflags dumps", () => {
  it("classifies the shipped dump as an independent, deliberately simple classifier does", async () => {
    const s = await surveyRaw(dumpPath, { startPfn: dumpStart, ram: iomemPath, kernelRelease: "6.18.44" });
    const bytes = readFileSync(dumpPath);
    const words = new BigUint64Array(bytes.buffer, bytes.byteOffset, bytes.length / 8);
    const ram = parseIomem(readFileSync(iomemPath, "utf8"))!.ranges.map(
      (r) => [r.start, r.end] as [number, number],
    );
    const simple = simpleClassify(words, dumpStart, ram, 32768);
    agree(s, simple);
    // The dump was cut to show these: slab (with ANON read from struct slab), page tables, hugetlb,
    // anonymous THP, page cache, free pages with PG_reported, and whole sections of uninitialised memmap.
    for (const u of ["slab", "pagetable", "hugetlb", "anon", "file", "free", "uninit", "kernel"] as const)
      expect(s.uses[u].pages, u).toBeGreaterThan(0);
    expect(s.uses.hugetlb.orders[9]).toBeGreaterThan(0);
    expect(s.quirks.slabAnon).toBeGreaterThan(0);
    expect(s.quirks.reportedFree).toBeGreaterThan(0);
    expect(s.startPfn).toBe(dumpStart);
    expect(s.pfnCount).toBe(words.length);
    expect(s.source).toMatchObject({ kind: "raw", kernelRelease: "6.18.44" });
  });

  it("classifies the whole shipped sample as the simple classifier does, holes included", async () => {
    const snap = readSnapshot(sampleSnapshotPath());
    const s = await survey(snap.source);
    const h = snap.header;
    const flags = expandChunksSync(h.startPfn, h.pfnCount, h.pfnCount, snap.streams[0]!).next().value!.flags;
    const words = new BigUint64Array(flags.buffer, flags.byteOffset, h.pfnCount);
    agree(s, simpleClassify(words, h.startPfn, h.iomem, h.sectionPfns));
    expect(s.uses.hole.pages).toBe(262144); // the 3–4 GiB PCI hole
  });

  it("gives the same survey whatever the chunk size and number of reader threads", async () => {
    const a = await surveyRaw(dumpPath, {
      startPfn: dumpStart,
      ram: iomemPath,
      chunkPfns: 65536,
      workers: 1,
    });
    const b = await surveyRaw(dumpPath, {
      startPfn: dumpStart,
      ram: iomemPath,
      chunkPfns: 1000,
      workers: 3,
    });
    expect(b).toEqual(a);
  });

  it("reads kpagecount and kpagecgroup dumps in lockstep", async () => {
    const n = 64;
    const flags = new BigUint64Array(n).fill(0x28n);
    const counts = new BigUint64Array(n).map((_, i) => BigInt(i % 2));
    const cg = new BigUint64Array(n).map((_, i) => (i < 16 ? 0n : 77n));
    const paths = ["f", "c", "g"].map((x) => join(dir, x));
    [flags, counts, cg].forEach((a, i) => {
      writeFileSync(paths[i]!, new Uint8Array(a.buffer));
    });
    const s = await surveyRaw(paths[0]!, { counts: paths[1], cgroups: paths[2], chunkPfns: 10 });
    expect(s.mapcount?.mappedPages.file).toBe(32);
    expect(s.mapcount?.mappings.file).toBe(32);
    expect(s.cgroups).toEqual({ chargedPages: 48, byInode: [{ inode: 77, pages: 48 }] });
  });

  it("rejects a dump that is not whole words, and dumps of different sizes", () => {
    const odd = join(dir, "odd.bin");
    writeFileSync(odd, new Uint8Array(8 * 3 + 5));
    expect(() => rawSource(odd)).toThrow(
      expect.objectContaining({
        code: "BAD_RAW_DUMP",
        message: expect.stringMatching(/odd\.bin: 29 bytes .* offset 24/),
      }),
    );
    const a = join(dir, "a.bin");
    const b = join(dir, "b.bin");
    writeFileSync(a, new Uint8Array(16));
    writeFileSync(b, new Uint8Array(8));
    expect(() => rawSource(a, { counts: b })).toThrow(expect.objectContaining({ code: "SHORT_READ" }));
    expect(() => rawSource(join(dir, "missing.bin"))).toThrow(expect.objectContaining({ code: "NOT_FOUND" }));
  });
});
