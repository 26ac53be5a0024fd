import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fuzzReader, mutatedBytes, mutatedText } from "@memdesc/testkit";
import fc from "fast-check";
import { afterAll, describe, expect, it } from "vitest";
import { KpageflagsError } from "../errors.js";
import { surveyRaw } from "../survey.js";
import { maxPfnsFor } from "./chunk.js";
import { parseIomem } from "./iomem.js";

/*
 * The readers of files a user hands the survey, fuzzed from real files: the /proc/iomem of the machine the
 * fixtures come from, and the first 256 KiB of its raw kpageflags dump. Each input is read or rejected with a
 * KpageflagsError, in bounded time and memory (fuzzReader in @memdesc/testkit).
 */

const fixture = (name: string) => new URL(`../../fixtures/${name}`, import.meta.url).pathname;
const iomemText = readFileSync(fixture("iomem.txt"), "utf8");
const dump = new Uint8Array(readFileSync(fixture("kpageflags-0x158000-0x1a8000.bin")).subarray(0, 256 << 10));
const expected = (e: unknown) => e instanceof KpageflagsError;

const dir = mkdtempSync(join(tmpdir(), "kpf-fuzz-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe("fuzzing the readers with inputs derived from real files (seeded)", () => {
  it("/proc/iomem copies: parsed into sorted, disjoint RAM ranges inside the physical address space, or a BAD_IOMEM error", async () => {
    const { accepted, rejected } = await fuzzReader(
      mutatedText(iomemText),
      (text) => {
        const ram = parseIomem(text, 4096, "fuzzed-iomem");
        if (!ram) return;
        let end = 0;
        let pages = 0;
        for (const r of ram.ranges) {
          expect(r.start).toBeGreaterThanOrEqual(end);
          expect(r.end).toBeGreaterThan(r.start);
          expect(r.end).toBeLessThanOrEqual(maxPfnsFor(4096));
          end = r.end;
          pages += r.end - r.start;
        }
        expect(ram.pages).toBe(pages);
      },
      { expected, seed: 17, numRuns: 3000 },
    );
    expect(accepted).toBeGreaterThan(0);
    expect(rejected).toBeGreaterThan(0);
  }, 120_000);

  it("raw dumps: every PFN surveyed, or a KpageflagsError naming the file", async () => {
    let n = 0;
    const inputs = fc.record({
      bytes: mutatedBytes(dump),
      startPfn: fc.oneof(
        fc.constantFrom(0, 0x158000, maxPfnsFor(4096) - 32768, maxPfnsFor(4096), 2 ** 53 - 1),
        fc.nat(2 ** 40),
      ),
      iomem: fc.boolean(),
    });
    const { accepted, rejected } = await fuzzReader(
      inputs,
      async ({ bytes, startPfn, iomem }) => {
        const path = join(dir, `dump-${n++}.bin`);
        writeFileSync(path, bytes);
        try {
          const s = await surveyRaw(path, { startPfn, ...(iomem ? { ram: fixture("iomem.txt") } : {}) });
          expect(s.pfnCount).toBe(bytes.length / 8);
        } catch (e) {
          if (e instanceof KpageflagsError) expect(e.message).toContain(path);
          throw e;
        } finally {
          rmSync(path, { force: true });
        }
      },
      { expected, seed: 17, numRuns: 150 },
    );
    expect(accepted).toBeGreaterThan(0);
    expect(rejected).toBeGreaterThan(0);
  }, 180_000);
});
