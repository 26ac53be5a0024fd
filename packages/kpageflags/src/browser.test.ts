import { readFileSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { crc32 as zlibCrc32 } from "node:zlib";
import { describe, expect, it } from "vitest";
import { workedExampleV1 } from "../test/v1.js";
import * as browser from "./browser.js";
import { sampleSnapshotPath } from "./sample.js";
import { decodeSnapshot, readSnapshot } from "./snapshot/read.js";
import { survey } from "./survey.js";

/** The version-1 worked example of SNAPSHOT.md with a bit of its run data flipped. */
const v1Damaged = () => {
  const b = workedExampleV1();
  b[b.length - 2]! ^= 0x01;
  return b;
};

const here = dirname(fileURLToPath(import.meta.url));

/** Every module `entry` reaches through relative imports, and the bare specifiers they import. */
function moduleGraph(entry: string): { files: string[]; bare: Set<string> } {
  const seen = new Set<string>();
  const bare = new Set<string>();
  const visit = (file: string) => {
    if (seen.has(file)) return;
    seen.add(file);
    const text = readFileSync(file, "utf8");
    // `import … from "x"` and `export … from "x"`, type-only ones included (they are erased, but harmless).
    for (const m of text.matchAll(/^(?:import|export)\s[^;]*?from\s+"([^"]+)"/gms)) {
      const spec = m[1]!;
      if (/^(import|export)\s+type\s/.test(m[0])) continue;
      if (spec.startsWith(".")) visit(resolve(dirname(file), spec.replace(/\.js$/, ".ts")));
      else bare.add(spec);
    }
  };
  visit(entry);
  return { files: [...seen], bare };
}

describe("the ./browser entry", () => {
  it("reaches no node: module, so a bundler can put it in a web page", () => {
    const { files, bare } = moduleGraph(join(here, "browser.ts"));
    expect(files.length).toBeGreaterThan(10);
    expect([...bare].filter((s) => s.startsWith("node:") || s === "fs" || s === "zlib")).toEqual([]);
    expect([...bare].sort()).toEqual([
      "@memdesc/core",
      "@memdesc/core/errors",
      "@memdesc/core/format",
      "zod",
    ]);
  });

  it("computes zlib's CRC-32", () => {
    const sample = readFileSync(sampleSnapshotPath());
    expect(browser.crc32(sample)).toBe(zlibCrc32(sample));
    for (const n of [0, 1, 3, 4, 5, 7, 8, 255, 1021]) {
      const bytes = Uint8Array.from({ length: n }, (_, i) => (i * 151 + n) & 0xff);
      expect(browser.crc32(bytes), `${n} bytes`).toBe(zlibCrc32(bytes));
    }
    const whole = sample.subarray(0, 1000);
    expect(browser.crc32(whole.subarray(600), browser.crc32(whole.subarray(0, 600)))).toBe(zlibCrc32(whole));
  });

  it("decodes and surveys the sample exactly as the node entry does", async () => {
    const bytes = readFileSync(sampleSnapshotPath());
    const fromBytes = await browser.decodeSnapshot(new Uint8Array(bytes), "sample.mdsnap");
    const fromFile = readSnapshot(sampleSnapshotPath());
    expect(fromBytes.header).toEqual(fromFile.header);
    const [a, b] = await Promise.all([
      browser.survey(fromBytes.source, { root: fromBytes.root() }),
      survey(fromFile.source, { root: fromFile.root() }),
    ]);
    expect({ ...a, source: { ...a.source, path: "" } }).toEqual({ ...b, source: { ...b.source, path: "" } });
    expect(a.uses.file.pages).toBeGreaterThan(0);
    expect(a.kernel?.read).toContain("/proc/vmstat");
  });

  it("rejects a damaged snapshot with the same error as the node entry", async () => {
    const fail = async (f: () => unknown) => {
      try {
        await f();
      } catch (err) {
        return err as browser.KpageflagsError;
      }
      throw new Error("no error");
    };
    const sample = readFileSync(sampleSnapshotPath());
    // A flipped bit in the compressed body (gzip's own CRC catches it), and in a stream of a re-encoded body.
    const bytes = new Uint8Array(sample);
    bytes[bytes.length - 3]! ^= 0x40;
    for (const damaged of [bytes, v1Damaged()]) {
      const a = await fail(() => browser.decodeSnapshot(damaged, "x.mdsnap"));
      const b = await fail(() => decodeSnapshot(damaged, "x.mdsnap"));
      expect(a).toBeInstanceOf(browser.KpageflagsError);
      expect(a.code).toBe("BAD_SNAPSHOT");
      expect(b.code).toBe("BAD_SNAPSHOT");
      expect(a.message).toMatch(/^x\.mdsnap: /);
    }
    const crc = await fail(() => browser.decodeSnapshot(v1Damaged(), "x.mdsnap"));
    expect(crc.message).toBe((await fail(() => decodeSnapshot(v1Damaged(), "x.mdsnap"))).message);
    expect(crc.message).toMatch(/^x\.mdsnap: stream kpageflags at offset \d+: CRC-32 is 0x[0-9a-f]+/);
  });
});
