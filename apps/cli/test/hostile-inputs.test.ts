import { execFileSync, spawn } from "node:child_process";
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import {
  btfFixture,
  expectUserError,
  fixtures,
  rawDump,
  rawIomem,
  run,
  sampleSnapshot,
  tempDir,
} from "./helpers.js";

/*
 * Every file the CLI reads may be hostile. Devices and FIFOs that never end, pipes with no writer, files
 * larger than any real input of their kind, and inputs that hold nothing: each ends quickly, in one line,
 * exit status 1. (The per-reader fuzz tests live beside each reader.)
 */

/** Every option that names an input file, with the arguments that make it the one read. */
const inputs: { what: string; args: (file: string) => string[] }[] = [
  { what: "snapshot", args: (f) => ["survey", "--snapshot", f] },
  { what: "raw page-map dump", args: (f) => ["survey", "--raw", f] },
  { what: "copy of /proc/iomem", args: (f) => ["survey", "--raw", rawDump, "--iomem", f] },
  { what: "BTF file", args: (f) => ["check", "--btf", f] },
  { what: "BTF file", args: (f) => ["layout", "page", "--btf", f] },
  { what: "memory picture", args: (f) => ["bill", f] },
  { what: "workload", args: (f) => ["simulate", f] },
  { what: "config", args: (f) => ["plugins", "--config", f] },
];

describe("hostile input files", () => {
  const dir = tempDir("memdesc-hostile-");

  it.each(inputs)("refuses /dev/zero as a $what, at once", ({ what, args }) => {
    expectUserError(
      run(args("/dev/zero"), { timeout: 20_000 }),
      new RegExp(
        `^memdesc: /dev/zero is a character device: memdesc reads a ${what.replace(/[/.]/g, "\\$&")} only from a regular file$`,
      ),
    );
  });

  it.each(inputs)("refuses a FIFO nobody writes to as a $what, without waiting for a writer", ({ args }) => {
    const fifo = join(dir, `fifo-${Math.random().toString(36).slice(2)}`);
    execFileSync("mkfifo", [fifo]);
    expectUserError(
      run(args(fifo), { timeout: 20_000 }),
      /is a FIFO \(named pipe\): memdesc reads a .* only from a regular file$/,
    );
  });

  it("refuses a FIFO whose writer never stops (a hostile pipe), without reading it", async () => {
    const fifo = join(dir, "endless");
    execFileSync("mkfifo", [fifo]);
    // A writer that would feed zeros forever: `yes` into the FIFO.
    const writer = spawn("sh", ["-c", `exec yes > ${fifo}`], { stdio: "ignore" });
    try {
      expectUserError(run(["survey", "--snapshot", fifo], { timeout: 20_000 }), /is a FIFO/);
    } finally {
      writer.kill();
    }
  });

  it("refuses a directory, naming it", () => {
    const sub = join(dir, "a-dir");
    mkdirSync(sub);
    expectUserError(
      run(["survey", "--snapshot", sub]),
      /a-dir is a directory: memdesc reads a snapshot only from a regular file$/,
    );
    expectUserError(run(["check", "--btf", sub]), /a-dir is a directory/);
  });

  it("reads /sys and /proc files whose reported size is not their length, up to the cap", () => {
    // /proc/self/status reports size 0 but reads as text: as a picture it is read whole and rejected as JSON.
    expectUserError(
      run(["bill", "/proc/self/status"]),
      /^memdesc: \/proc\/self\/status: not valid JSON: line 1, column 1: unexpected "N"$/,
    );
  });

  it("an empty page map is an error, not 0 bytes of RAM", () => {
    const empty = join(dir, "empty.bin");
    writeFileSync(empty, "");
    expectUserError(run(["survey", "--raw", empty]), /empty\.bin: the page map is empty: it holds no PFNs$/);
    expectUserError(run(["survey", "--raw", empty, "--json"]), /the page map is empty/);
    // A dump whose every PFN is a hole by its /proc/iomem holds no RAM.
    const holes = join(dir, "holes.bin");
    writeFileSync(holes, Buffer.alloc(8 * 16));
    expectUserError(
      run(["survey", "--raw", holes, "--start-pfn", "0xc0001", "--iomem", rawIomem]),
      /holes\.bin: the page map holds no RAM: all 16 PFNs are holes$/,
    );
  });

  it("a raw dump placed beyond any physical address space is refused before it is read", () => {
    expectUserError(
      run(["survey", "--raw", rawDump, "--start-pfn", "0xfffffffffff0"]),
      /run past 2\^52 bytes of physical address space$/,
    );
  });

  it("deeply nested JSON ends in one line, not a stack overflow", () => {
    const deep = join(dir, "deep.json");
    writeFileSync(deep, `{"uses": ${"[".repeat(2_000_000)}`);
    expectUserError(
      run(["bill", deep]),
      /deep\.json: not valid JSON: line 1, column 2000010: unexpected end of file$/,
    );
    const deeper = join(dir, "deeper.json");
    writeFileSync(deeper, `${"[".repeat(1_000_000)}${"]".repeat(1_000_000)}`);
    expectUserError(run(["simulate", deeper]), /deeper\.json: /);
  });

  it("still reads the real inputs", () => {
    expect(run(["survey", "--snapshot", sampleSnapshot, "--json"]).status).toBe(0);
    expect(run(["check", "--btf", btfFixture, "--json"]).status).toBe(0);
    expect(run(["bill", join(fixtures, "what-if.json")]).status).toBe(0);
  });
});
