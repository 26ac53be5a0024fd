import { spawnSync } from "node:child_process";
import { existsSync, readdirSync } from "node:fs";
import { release } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { needs } from "../src/oracles.js";
import { readReference, referenceDir } from "../src/reference.js";

/*
 * The pahole printouts are measured, not written: where the running kernel is the one they were taken from, pahole
 * must print them again byte for byte. Elsewhere the files are what the other tests compare with.
 */

const files = readdirSync(join(referenceDir, "pahole")).filter((f) => f.endsWith(".txt"));
const recordedRelease = /^6\.18\.44-fc-/;
const btf = "/sys/kernel/btf/vmlinux";
const pahole = spawnSync("pahole", ["--version"], { encoding: "utf8" });
// Another kernel prints other layouts: the re-run is for the recorded build only (not a missing oracle).
const otherKernel = !recordedRelease.test(release());
if (otherKernel)
  console.warn(
    `testkit: the live pahole re-run is skipped: the running kernel (${release()}) is not the recorded 6.18.44 build`,
  );
const live = needs({
  "kernel BTF": existsSync(btf) ? undefined : `${btf} is missing`,
  pahole: pahole.status === 0 ? undefined : "pahole is not installed (Debian: dwarves)",
});

describe("the pahole reference files", () => {
  it("are the fifteen documented in the README, none empty", () => {
    const readme = readReference("README.md");
    expect(files).toHaveLength(15);
    for (const f of files) {
      expect(readme, f).toContain(`\`${f}\``);
      expect(readReference(`pahole/${f}`).length, f).toBeGreaterThan(0);
    }
  });

  (otherKernel ? it.skip : live.it)("print byte for byte as pahole prints the running kernel's BTF", () => {
    for (const f of files) {
      const name = f.replace(/^pahole_(enum_)?/, "").replace(/\.txt$/, "");
      const r = spawnSync("pahole", ["-C", name, btf], { encoding: "utf8" });
      expect(r.stdout, f).toBe(readReference(`pahole/${f}`));
    }
  });
});
