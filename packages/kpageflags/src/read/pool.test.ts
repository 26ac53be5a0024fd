import { mkdtempSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import fc from "fast-check";
import { afterAll, describe, expect, it } from "vitest";
import type { FileRuns } from "../runs.js";
import { readInWorkers } from "./pool.js";

// The readers (the main thread and reader threads claiming chunks as they are free) against the plainest
// oracle there is: the words written to the files, one by one.

const dir = mkdtempSync(join(tmpdir(), "kpf-pool-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

let files = 0;
function write(words: readonly bigint[], bytes?: number): string {
  const path = join(dir, `f${files++}`);
  const all = new Uint8Array(BigUint64Array.from(words).buffer);
  writeFileSync(path, bytes === undefined ? all : all.subarray(0, bytes));
  return path;
}

/** The runs expanded back to words. */
function expand(r: FileRuns): bigint[] {
  const out: bigint[] = [];
  for (let i = 0; i < r.count; i++) {
    const w = (BigInt(r.runs[3 * i + 1]!) << 32n) | BigInt(r.runs[3 * i]!);
    for (let k = 0; k < r.runs[3 * i + 2]!; k++) out.push(w);
  }
  return out;
}

const options = (chunkPfns: number, workers: number) => ({
  startPfn: 0,
  chunkPfns,
  maxPfns: 1 << 30,
  workers,
  shortReadHint: "retry",
});

const openFds = () => readdirSync("/proc/self/fd").length;

// Words with long runs (as a page map has) and changes anywhere.
const words = fc.array(
  fc.oneof(fc.constantFrom(0n, 0x400n, 0x28n, 0x8000n), fc.bigInt({ min: 0n, max: (1n << 64n) - 1n })),
  { maxLength: 600 },
);

describe("the page-map readers", () => {
  it("yield every word of every file, in PFN order, whatever the chunk size and number of readers", async () => {
    await fc.assert(
      fc.asyncProperty(
        words,
        fc.integer({ min: 1, max: 64 }),
        fc.integer({ min: 1, max: 4 }),
        async (flags, chunkPfns, workers) => {
          const counts = flags.map((_, i) => BigInt(i % 3));
          const cgroups = flags.map((w) => w >> 3n);
          const got = { flags: [] as bigint[], counts: [] as bigint[], cgroups: [] as bigint[] };
          let next = 0;
          for await (const b of readInWorkers(
            { flags: write(flags), counts: write(counts), cgroups: write(cgroups) },
            options(chunkPfns, workers),
          )) {
            expect(b.pfn).toBe(next);
            next += b.length;
            got.flags.push(...expand(b.flags));
            got.counts.push(...expand(b.counts!));
            got.cgroups.push(...expand(b.cgroups!));
          }
          expect(got).toEqual({ flags, counts, cgroups });
        },
      ),
      { numRuns: 40 },
    );
  });

  it("stop when asked, closing every descriptor they opened", async () => {
    const flags = Array.from({ length: 5000 }, (_, i) => BigInt(i >> 4));
    const path = write(flags);
    const before = openFds();
    for (const workers of [1, 2, 4]) {
      let seen = 0;
      for await (const b of readInWorkers({ flags: path }, options(16, workers))) {
        seen += b.length;
        if (seen >= 64) break;
      }
      expect(seen).toBe(64);
      expect(openFds(), `${workers} readers`).toBe(before);
    }
  });

  it("report a file that ends before kpageflags, at the chunk where it does, with any number of readers", async () => {
    const flags = Array.from({ length: 300 }, () => 0x28n);
    const counts = write(
      flags.map(() => 1n),
      200 * 8,
    );
    for (const workers of [1, 2, 3])
      await expect(
        (async () => {
          for await (const _ of readInWorkers({ flags: write(flags), counts }, options(32, workers)));
        })(),
      ).rejects.toMatchObject({ code: "SHORT_READ", message: expect.stringMatching(/at offset 1536 /) });
  });

  it("refuse a kpageflags of a length that is not whole words", async () => {
    const path = write([1n, 2n, 3n], 8 * 2 + 5);
    await expect(
      (async () => {
        for await (const _ of readInWorkers({ flags: path }, options(2, 2)));
      })(),
    ).rejects.toMatchObject({ code: "SHORT_READ", message: expect.stringMatching(/not a whole number/) });
  });
});
