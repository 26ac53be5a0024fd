import { spawnSync } from "node:child_process";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";

/*
 * The repository stands alone: nothing it tracks reads or cites a file outside it, and no document names a path
 * of one particular machine. The patterns are built from pieces so this file does not match itself.
 */

const repoRoot = fileURLToPath(new URL("../../..", import.meta.url));
const git = (args: string[]) => spawnSync("git", args, { cwd: repoRoot, encoding: "utf8" });
const inGit = git(["rev-parse", "--is-inside-work-tree"]).stdout.trim() === "true";
if (!inGit)
  console.warn(
    "testkit: not a git checkout (no git, or an unpacked tarball); the tracked-file scan is skipped",
  );

const outside = [
  // a sibling checkout the code once read its kernel facts from
  ["\\.\\./", "shared"].join(""),
  ["shared", "/reference"].join(""),
  // the notes that reference was made of, which readers of this repository do not have
  ["kernel-memdesc", "\\.md"].join(""),
  ["real-inputs", "\\.md"].join(""),
  // the work tree of the machines this project is developed on
  ["/", "work/"].join(""),
];

describe("the repository stands alone", () => {
  it.skipIf(!inGit)("no tracked file refers to a path outside the repository", () => {
    const r = git(["grep", "-n", "-I", "-E", outside.join("|"), "--", ".", ":!package-lock.json"]);
    // git grep exits 1 when nothing matches, 0 with matches, > 1 on error.
    expect(r.status, r.stderr).not.toBeGreaterThan(1);
    expect(r.stdout.split("\n").filter(Boolean)).toEqual([]);
  });
});
