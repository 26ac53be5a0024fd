import { execFileSync, spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { openBtf } from "../src/open.js";
import type { Btf } from "../src/reader.js";

/**
 * BTF as the kernel's build makes it: C compiled by gcc (`-g`, its DWARF the layout's truth), turned into BTF by
 * `pahole -J`. Each `struct x`/`union x` named in `types` gets a variable, so gcc emits it.
 */
export function gccBtf(source: string, types: readonly string[]): Btf {
  const dir = mkdtempSync(join(tmpdir(), "memdesc-gcc-btf-"));
  try {
    const vars = types.map((t, i) => `${t} v${i};`).join("\n");
    writeFileSync(join(dir, "t.c"), `${source}\n${vars}\n`);
    execFileSync("gcc", ["-g", "-c", "t.c", "-o", "t.o"], { cwd: dir, stdio: "pipe" });
    execFileSync("pahole", ["-J", "t.o"], { cwd: dir, stdio: "pipe" });
    return openBtf(new Uint8Array(readFileSync(join(dir, "t.o"))), { file: "t.o" });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Which of gcc and pahole `gccBtf` lacks here, with why (undefined where each runs). */
export function gccBtfTools(): { gcc?: string; pahole?: string } {
  const missing = (tool: string, hint: string) =>
    spawnSync(tool, ["--version"]).status === 0 ? undefined : `${tool} is not installed (Debian: ${hint})`;
  return { gcc: missing("gcc", "gcc"), pahole: missing("pahole", "dwarves") };
}
