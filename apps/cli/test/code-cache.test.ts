import { spawnSync } from "node:child_process";
import {
  copyFileSync,
  cpSync,
  existsSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  truncateSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { basename, join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { bin, btfFixture, cliRoot, fixtures } from "./helpers.js";

/*
 * bin/memdesc.cjs compiles the bundle's chunks with the V8 code caches the build made (scripts/code-cache.js).
 * These tests watch its loader through a preloaded script that reports, for each chunk a run loaded, which cache
 * it read and whether V8 took it.
 */

interface Chunk {
  readonly file: string;
  readonly cache: string | null;
  readonly cached: boolean;
  readonly rejected: boolean;
}

const work = mkdtempSync(join(tmpdir(), "memdesc-code-cache-"));
afterAll(() => rmSync(work, { recursive: true, force: true }));

let runs = 0;
/** Runs a bin with the reporter preloaded; its output and what its loader did. */
function runReporting(binPath: string, args: readonly string[]) {
  const report = join(work, `report-${runs++}.json`);
  // Without NODE_OPTIONS: a V8 flag there would, rightly, make V8 reject every cache.
  const env: NodeJS.ProcessEnv = { ...process.env, MEMDESC_TEST_CHUNK_REPORT: report, NO_COLOR: "1" };
  delete env.NODE_OPTIONS;
  const r = spawnSync(process.execPath, ["-r", join(fixtures, "chunk-report.cjs"), binPath, ...args], {
    cwd: fixtures,
    encoding: "utf8",
    env,
    timeout: 60_000,
  });
  expect(r.status, r.stderr).toBe(0);
  return { stdout: r.stdout, chunks: JSON.parse(readFileSync(report, "utf8")) as Chunk[] };
}

/** A run of each command scripts/code-cache.js makes caches for. */
const trained = [
  ["--help"],
  ["types", "--no-config"],
  ["plugins", "--no-config"],
  ["layout", "folio", "--btf", btfFixture, "--no-config"],
  ["check", "--btf", btfFixture, "--no-config"],
  ["bill", join(fixtures, "what-if.json"), "--no-config"],
  ["survey", "--sample", "--no-config"],
];
const cacheKey = (args: readonly string[]) => (args[0] === "--help" ? "main" : (args[0] as string));

describe("the CLI's code cache", () => {
  it("the build made caches for these commands, no fewer and no more", () => {
    const suffix = `.${process.versions.v8}-${process.arch}.v8cache`;
    const built = readdirSync(join(cliRoot, "dist"))
      .filter((f) => f.startsWith("memdesc.cjs.") && f.endsWith(suffix))
      .map((f) => f.slice("memdesc.cjs.".length, -suffix.length));
    expect(built.sort()).toEqual(trained.map(cacheKey).sort());
  });

  it.each(trained)(
    "`memdesc %s`: every chunk it loads has the cache made for it, and V8 takes it",
    (...args) => {
      const { chunks } = runReporting(bin, args);
      const command = cacheKey(args);
      expect(chunks.length).toBeGreaterThan(1);
      for (const c of chunks) {
        expect(c.cache).toBe(`${c.file}.${command}.${process.versions.v8}-${process.arch}.v8cache`);
        expect(existsSync(c.cache as string), `${c.cache} was not built`).toBe(true);
        expect(c, basename(c.file)).toMatchObject({ cached: true, rejected: false });
      }
    },
  );

  it("a cache that does not fit its chunk is rejected, and the chunk runs from source with the same output", () => {
    const copy = join(work, "cli");
    for (const part of ["bin", "dist", "package.json"])
      cpSync(join(cliRoot, part), join(copy, part), { recursive: true });
    const copyBin = join(copy, "bin", "memdesc.cjs");
    const args = ["types", "--no-config"];
    const expected = runReporting(bin, args).stdout;

    const { chunks } = runReporting(copyBin, args);
    const caches = chunks.map((c) => c.cache as string).sort((a, b) => statSync(b).size - statSync(a).size);
    // The largest cache cut in half, and the next one replaced by another chunk's (made from another source).
    const [cut, swapped, other] = caches as [string, string, string];
    truncateSync(cut, Math.floor(statSync(cut).size / 2));
    copyFileSync(other, swapped);

    const spoiled = runReporting(copyBin, args);
    expect(spoiled.stdout).toBe(expected);
    for (const c of spoiled.chunks) {
      const bad = c.cache === cut || c.cache === swapped;
      expect(c, basename(c.file)).toMatchObject({ cached: !bad, rejected: bad });
    }

    // And with no cache at all, the same again.
    for (const c of caches) rmSync(c);
    const none = runReporting(copyBin, args);
    expect(none.stdout).toBe(expected);
    expect(none.chunks.every((c) => !c.cached && !c.rejected)).toBe(true);
  });
});
