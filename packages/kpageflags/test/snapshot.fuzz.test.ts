import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fuzzReader, mutatedBytes } from "@memdesc/testkit";
import fc from "fast-check";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { decodeSnapshot as decodeInBrowser } from "../src/browser.js";
import { KpageflagsError } from "../src/errors.js";
import { rawSource } from "../src/read/raw.js";
import { decodeSnapshot } from "../src/snapshot/read.js";
import { writeSnapshot } from "../src/snapshot/write.js";
import { survey } from "../src/survey.js";

/*
 * The snapshot reader, fuzzed from a real snapshot: the shipped raw dump of a real machine's page map (327,680
 * PFNs of slab, page tables, hugetlb, file and anonymous memory) saved as a snapshot by this package's writer.
 * Two kinds of input: the file's bytes mutated anywhere (most end at a CRC or in gzip), and its header with one
 * number set to an extreme (counts, offsets, sizes, the PFN span), re-encoded so that everything but that
 * number stays valid: the sizes a header declares must be bounded before anything is allocated or walked. Each
 * input is decoded as the CLI (node:zlib) and the explorer (the browser entry) decode it, and surveyed to the
 * end; it must survey, or end in a KpageflagsError, in bounded time and memory.
 */

const fixture = (name: string) => new URL(`../fixtures/${name}`, import.meta.url).pathname;
const dir = mkdtempSync(join(tmpdir(), "kpf-snapshot-fuzz-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

let original = new Uint8Array();
beforeAll(async () => {
  const path = join(dir, "real.mdsnap");
  await writeSnapshot(
    rawSource(fixture("kpageflags-0x158000-0x1a8000.bin"), { startPfn: 0x158000, ram: fixture("iomem.txt") }),
    path,
    {},
  );
  original = new Uint8Array(readFileSync(path));
});

/** The header's JSON and where the body starts. */
function split(file: Uint8Array): { header: Record<string, unknown>; body: Uint8Array; version: number } {
  const dv = new DataView(file.buffer, file.byteOffset, file.byteLength);
  const version = dv.getUint32(8, true);
  const length = dv.getUint32(12, true);
  const header = JSON.parse(new TextDecoder().decode(file.subarray(16, 16 + length))) as Record<
    string,
    unknown
  >;
  const bodyStart = Math.ceil((16 + length) / 8) * 8;
  return { header, body: file.subarray(bodyStart), version };
}

/** A file with this header and body, the preamble and padding right. */
function join2(header: unknown, body: Uint8Array, version: number): Uint8Array {
  const json = new TextEncoder().encode(JSON.stringify(header));
  const bodyStart = Math.ceil((16 + json.length) / 8) * 8;
  const out = new Uint8Array(bodyStart + body.length);
  out.set(new TextEncoder().encode("MEMDSNAP"), 0);
  const dv = new DataView(out.buffer);
  dv.setUint32(8, version, true);
  dv.setUint32(12, json.length, true);
  out.set(json, 16);
  out.set(body, bodyStart);
  return out;
}

/** Every numeric field of the header, as a path. */
function numericPaths(value: unknown, path: (string | number)[] = []): (string | number)[][] {
  if (typeof value === "number") return [path];
  if (Array.isArray(value)) return value.flatMap((v, i) => numericPaths(v, [...path, i]));
  if (value && typeof value === "object")
    return Object.entries(value).flatMap(([k, v]) => numericPaths(v, [...path, k]));
  return [];
}

const extremes = [
  0,
  1,
  7,
  8,
  4095,
  2 ** 20,
  2 ** 31 - 1,
  2 ** 31,
  2 ** 32,
  2 ** 40,
  2 ** 44,
  2 ** 52,
  2 ** 53 - 1,
  1e21,
];

function headerMutations(file: Uint8Array): fc.Arbitrary<Uint8Array> {
  const { header, body, version } = split(file);
  const paths = numericPaths(header);
  return fc
    .array(fc.record({ path: fc.constantFrom(...paths), value: fc.constantFrom(...extremes) }), {
      minLength: 1,
      maxLength: 2,
    })
    .map((edits) => {
      const h = structuredClone(header);
      for (const { path, value } of edits) {
        let at: Record<string | number, unknown> = h;
        for (const k of path.slice(0, -1)) at = at[k] as Record<string | number, unknown>;
        at[path[path.length - 1]!] = value;
      }
      return join2(h, body, version);
    });
}

async function readAndSurvey(bytes: Uint8Array): Promise<void> {
  const snap = decodeSnapshot(bytes, "fuzzed.mdsnap");
  const s = await survey(snap.source);
  expect(s.pfnCount).toBe(snap.header.pfnCount);
  // The explorer's decoder (a table-driven CRC, the browser's inflate) gives the same verdict.
  await decodeInBrowser(bytes, "fuzzed.mdsnap");
}

const expected = (e: unknown) => e instanceof KpageflagsError && e.message.startsWith("fuzzed.mdsnap: ");

describe("fuzzing the snapshot reader with inputs derived from a real snapshot (seeded)", () => {
  it("the real snapshot reads and surveys", async () => {
    await readAndSurvey(original);
  });

  it("bytes mutated anywhere", async () => {
    const { rejected } = await fuzzReader(mutatedBytes(original), readAndSurvey, {
      expected,
      seed: 17,
      numRuns: 300,
    });
    expect(rejected).toBeGreaterThan(0);
  }, 180_000);

  it("one or two header numbers set to extremes, everything else valid", async () => {
    const { accepted, rejected } = await fuzzReader(headerMutations(original), readAndSurvey, {
      expected,
      seed: 17,
      numRuns: 300,
    });
    expect(rejected).toBeGreaterThan(0);
    expect(accepted + rejected).toBe(300);
  }, 180_000);
});
