import { spawnSync } from "node:child_process";
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, truncateSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { dirRoot } from "./dir.js";
import { recordingRoot, treeRoot } from "./record.js";
import { maxRootFileBytes, readText } from "./root.js";

const dir = mkdtempSync(join(tmpdir(), "kpf-root-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe("a directory tree (the live system, or --root DIR)", () => {
  mkdirSync(join(dir, "proc/sys/vm"), { recursive: true });
  writeFileSync(join(dir, "proc/vmstat"), "nr_free_pages 5\n");
  writeFileSync(join(dir, "proc/sys/vm/hugetlb_optimize_vmemmap"), "1\n");
  const root = dirRoot(dir);

  it("reads DIR/proc/… for /proc/…, and says why it cannot", () => {
    expect(readText(root, "/proc/vmstat")).toEqual({ ok: true, value: "nr_free_pages 5\n" });
    expect(root.read("/proc/zoneinfo")).toMatchObject({ ok: false, code: "ENOENT" });
    expect(root.list("/proc/sys")).toEqual({ ok: true, value: ["vm"] });
    expect(root.stat("/proc/sys")).toMatchObject({ ok: true, value: { type: "dir" } });
    expect(root.localPath("/proc/vmstat")).toBe(join(dir, "proc/vmstat"));
    expect(root.label).toBe(dir);
  });

  it("never leaves the tree: `..` in a path reads nothing", () => {
    expect(root.read("/proc/../proc/vmstat")).toMatchObject({ ok: false, code: "ENOENT" });
    expect(root.localPath("/../etc/passwd")).toBeUndefined();
  });

  it("refuses devices and FIFOs (they might never end) and files larger than any counter file", () => {
    symlinkSync("/dev/zero", join(dir, "proc/zero"));
    expect(root.read("/proc/zero")).toMatchObject({ ok: false, code: "NOT_REGULAR" });
    const fifo = join(dir, "proc/fifo");
    if (spawnSync("mkfifo", [fifo]).status === 0)
      expect(root.read("/proc/fifo")).toMatchObject({ ok: false, code: "NOT_REGULAR" });
    else console.warn("mkfifo failed: the FIFO case is skipped");
    const big = join(dir, "proc/big");
    writeFileSync(big, "");
    truncateSync(big, maxRootFileBytes + 1);
    expect(root.read("/proc/big")).toMatchObject({ ok: false, code: "TOO_BIG" });
  });

  it("does not follow a symlink when it walks (stat is lstat), so a loop ends", () => {
    symlinkSync(dir, join(dir, "proc/loop"));
    expect(root.stat("/proc/loop")).toMatchObject({ ok: true, value: { type: "other" } });
  });
});

describe("recording and replaying a tree (what a snapshot stores)", () => {
  it("replays every answer in the order it was given, then the last again", () => {
    const files = new Map([["/proc/vmstat", ["a 1\n", "a 2\n"]]]);
    let calls = 0;
    const rec = recordingRoot({
      label: "live",
      read: (p) => {
        const v = files.get(p);
        if (!v) return { ok: false, code: "EACCES", message: p };
        return { ok: true, value: new TextEncoder().encode(v[Math.min(calls++, v.length - 1)]!) };
      },
      list: () => ({ ok: true, value: ["x"] }),
      stat: () => ({ ok: true, value: { type: "dir", ino: 42 } }),
      localPath: () => undefined,
    });
    readText(rec.root, "/proc/vmstat");
    readText(rec.root, "/proc/vmstat");
    rec.root.read("/proc/slabinfo");
    rec.root.stat("/sys/fs/cgroup");
    const replay = treeRoot("snap", rec.entries());
    expect(readText(replay, "/proc/vmstat")).toEqual({ ok: true, value: "a 1\n" });
    expect(readText(replay, "/proc/vmstat")).toEqual({ ok: true, value: "a 2\n" });
    expect(readText(replay, "/proc/vmstat")).toEqual({ ok: true, value: "a 2\n" });
    expect(replay.read("/proc/slabinfo")).toMatchObject({ ok: false, code: "EACCES" });
    expect(replay.stat("/sys/fs/cgroup")).toEqual({ ok: true, value: { type: "dir", ino: 42 } });
    expect(replay.read("/proc/zoneinfo")).toMatchObject({
      ok: false,
      code: "ENOENT",
      message: "/proc/zoneinfo: not recorded in snap",
    });
  });

  it("keeps only the cgroup mounts of the mount table, and hands the survey what it keeps", () => {
    const table =
      "27 1 254:0 / / rw - ext4 /dev/vda rw\n28 27 0:25 / /mnt/private ro - tmpfs secret ro\n35 31 0:32 / /sys/fs/cgroup/memory rw - cgroup cgroup rw,memory\n41 31 0:38 / /sys/fs/cgroup/unified rw - cgroup2 cgroup2 rw\n";
    const rec = recordingRoot({
      label: "live",
      read: () => ({ ok: true, value: new TextEncoder().encode(table) }),
      list: () => ({ ok: false, code: "ENOENT", message: "" }),
      stat: () => ({ ok: false, code: "ENOENT", message: "" }),
      localPath: () => undefined,
    });
    const kept =
      "35 31 0:32 / /sys/fs/cgroup/memory rw - cgroup cgroup rw,memory\n41 31 0:38 / /sys/fs/cgroup/unified rw - cgroup2 cgroup2 rw\n";
    expect(readText(rec.root, "/proc/self/mountinfo")).toEqual({ ok: true, value: kept });
    expect(readText(treeRoot("s", rec.entries()), "/proc/self/mountinfo")).toEqual({ ok: true, value: kept });
  });
});
