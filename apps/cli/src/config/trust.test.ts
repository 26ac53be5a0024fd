import {
  chmodSync,
  chownSync,
  mkdirSync,
  mkdtempSync,
  rmSync,
  statSync,
  symlinkSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { searchDirs } from "./find.js";
import { checkTrust, describeTrustProblem } from "./trust.js";

/*
 * The trust rule on real files. Which users are trusted is a parameter, so these run as any user: a set that
 * leaves out the files' owner stands for "another user wrote this".
 */

const root = mkdtempSync(join(tmpdir(), "memdesc-trust-unit-"));
afterAll(() => rmSync(root, { recursive: true, force: true }));
const me = statSync(root).uid;
const trusted = new Set([0, me]);
const stranger = 4_000_000_000;

function tree(name: string): { dir: string; file: string } {
  const dir = join(root, name, "project");
  mkdirSync(dir, { recursive: true });
  const file = join(dir, "memdesc.config.json");
  writeFileSync(file, "{}");
  return { dir, file };
}

describe("checkTrust", () => {
  it("trusts a file the trusted users own, in directories only they can write", () => {
    const { file } = tree("plain");
    expect(checkTrust(file, trusted)).toEqual({ trusted: { uid: me } });
  });

  it("refuses a file another user owns", () => {
    const { file } = tree("owner");
    const others = new Set([stranger]);
    expect(checkTrust(file, others)).toEqual({ problem: { code: "FILE_OWNER", path: file, uid: me } });
  });

  it("refuses a file below a directory group or others can write, unless it is sticky", () => {
    const { dir, file } = tree("writable");
    const shared = join(root, "writable");
    for (const [mode, code] of [
      [0o777, "DIR_WRITABLE"],
      [0o775, "DIR_WRITABLE"],
      [0o757, "DIR_WRITABLE"],
      [0o1777, undefined],
      [0o755, undefined],
    ] as const) {
      chmodSync(shared, mode);
      const r = checkTrust(file, trusted);
      if (code) expect(r).toEqual({ problem: { code, path: shared, uid: me, mode } });
      else expect(r).toEqual({ trusted: { uid: me } });
    }
    // The file's own directory counts too.
    chmodSync(dir, 0o777);
    expect(checkTrust(file, trusted)).toMatchObject({ problem: { code: "DIR_WRITABLE", path: dir } });
    chmodSync(dir, 0o755);
  });

  it("refuses a file below a directory another user owns", () => {
    const { file } = tree("dir-owner");
    if (me === 0) {
      // As root: hand a directory on the way to nobody.
      chownSync(join(root, "dir-owner"), 65534, 65534);
      expect(checkTrust(file, new Set([0]))).toEqual({
        problem: { code: "DIR_OWNER", path: join(root, "dir-owner"), uid: 65534 },
      });
    } else {
      // As another user: leave root out of the trusted set, and the system's directories are root's.
      expect(checkTrust(file, new Set([me]))).toMatchObject({ problem: { code: "DIR_OWNER", uid: 0 } });
    }
  });

  it("checks both a link and where it leads", () => {
    const { dir } = tree("links");
    const elsewhere = join(root, "links-target");
    mkdirSync(elsewhere);
    const real = join(elsewhere, "real.json");
    writeFileSync(real, "{}");
    const link = join(dir, "memdesc.config.mjs");
    symlinkSync(real, link);
    expect(checkTrust(link, trusted)).toEqual({ trusted: { uid: me } });
    // The target's directory is as important as the link's.
    chmodSync(elsewhere, 0o777);
    expect(checkTrust(link, trusted)).toMatchObject({ problem: { code: "DIR_WRITABLE", path: elsewhere } });
    chmodSync(elsewhere, 0o755);
  });

  it("says what is wrong in words, naming owners", () => {
    expect(describeTrustProblem({ code: "FILE_OWNER", path: "/x/c.mjs", uid: 0 }, "/x/c.mjs", "root")).toBe(
      ": it is owned by root, not by you or root",
    );
    expect(
      describeTrustProblem({ code: "DIR_WRITABLE", path: "/srv", uid: 0, mode: 0o777 }, "/srv/c.mjs", "root"),
    ).toBe(" (owned by root): it is below /srv (mode 0777, no sticky bit), where anyone could replace it");
    expect(
      describeTrustProblem({ code: "DIR_WRITABLE", path: "/srv", uid: 0, mode: 0o775 }, "/srv/c.mjs", "root"),
    ).toBe(" (owned by root): it is below /srv (mode 0775, no sticky bit), where its group could replace it");
  });
});

describe("searchDirs", () => {
  it("goes up to the first directory with package.json or .git, the home directory, or /", () => {
    const base = join(root, "search");
    const deep = join(base, "a/b/c");
    mkdirSync(deep, { recursive: true });
    writeFileSync(join(base, "a/package.json"), "{}");
    expect(searchDirs(deep, "/nonexistent")).toEqual({
      dirs: [deep, join(base, "a/b"), join(base, "a")],
      stop: { dir: join(base, "a"), why: "package.json" },
    });
    mkdirSync(join(base, "a/b/.git"));
    expect(searchDirs(deep, "/nonexistent").stop).toEqual({ dir: join(base, "a/b"), why: ".git" });
    const loose = join(root, "loose/x");
    mkdirSync(loose, { recursive: true });
    expect(searchDirs(loose, join(root, "loose")).stop).toEqual({ dir: join(root, "loose"), why: "home" });
    expect(searchDirs("/", "/nonexistent")).toEqual({ dirs: ["/"], stop: { dir: "/", why: "root" } });
  });
});
