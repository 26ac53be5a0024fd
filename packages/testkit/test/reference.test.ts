import { spawnSync } from "node:child_process";
import { existsSync, readdirSync } from "node:fs";
import { release } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { readReference, referenceDir } from "../src/reference.js";

/*
 * The pahole printouts are measured, not written: where the running kernel is the one they were taken from, pahole
 * must print them again byte for byte. Elsewhere the files are what the other tests compare with.
 */

const files = readdirSync(join(referenceDir, "pahole")).filter((f) => f.endsWith(".txt"));
const recordedRelease = /^6\.18\.44-fc-/;
const btf = "/sys/kernel/btf/vmlinux";
const pahole = spawnSync("pahole", ["--version"], { encoding: "utf8" });
const why = !recordedRelease.test(release())
  ? `the running kernel (${release()}) is not the recorded 6.18.44 build`
  : !existsSync(btf)
    ? `${btf} is missing`
    : pahole.status !== 0
      ? "pahole is not installed (Debian: dwarves)"
      : undefined;
if (why) console.warn(`testkit: the live pahole re-run of the reference files is skipped: ${why}`);

describe("the pahole reference files", () => {
  it("are the fifteen documented in the README, none empty", () => {
    const readme = readReference("README.md");
    expect(files).toHaveLength(15);
    for (const f of files) {
      expect(readme, f).toContain(`\`${f}\``);
      expect(readReference(`pahole/${f}`).length, f).toBeGreaterThan(0);
    }
  });

  it.skipIf(why !== undefined)("print byte for byte as pahole prints the running kernel's BTF", () => {
    for (const f of files) {
      const name = f.replace(/^pahole_(enum_)?/, "").replace(/\.txt$/, "");
      const r = spawnSync("pahole", ["-C", name, btf], { encoding: "utf8" });
      expect(r.stdout, f).toBe(readReference(`pahole/${f}`));
    }
  });
});
