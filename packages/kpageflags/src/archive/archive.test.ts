import { spawnSync } from "node:child_process";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { gzipSync } from "node:zlib";
import fc from "fast-check";
import { afterAll, describe, expect, it } from "vitest";
import { formatVmstat, type ZoneSpec } from "../../test/kernel-format.js";
import { writeMachine } from "../../test/machine.js";
import { paxRecord, type TarSpec, tar, tgz } from "../../test/tar.js";
import { captureTree } from "../capture/root.js";
import { KpageflagsError } from "../errors.js";
import { procSource } from "../read/proc.js";
import { dirRoot } from "../root/dir.js";
import { survey } from "../survey-core.js";
import { openCaptureArchive } from "./archive.js";

const dir = mkdtempSync(join(tmpdir(), "kpf-archive-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
let n = 0;
const file = (bytes: Uint8Array, name = `a${n++}.tar.gz`) => {
  const p = join(dir, name);
  writeFileSync(p, bytes);
  return p;
};

const BUDDY = 1n << 10n;
const FILE = (1n << 5n) | (1n << 3n);
const SLAB = 1n << 7n;
const HEAD = 1n << 15n;
const TAIL = 1n << 16n;

function zone(spanned: number, free: number): ZoneSpec {
  return { node: 0, zone: "Normal", startPfn: 0, spanned, present: spanned, managed: spanned, free };
}

/** A small machine with memory cgroups, its capture files, and the same as a .tar.gz made by GNU tar. */
function capturedMachine(): { root: string; archive: string; inodes: ReadonlyMap<string, number> } {
  const root = join(dir, `machine${n++}`);
  const words: bigint[] = [];
  for (let i = 0; i < 4096; i++) words.push(BUDDY);
  for (let i = 0; i < 2048; i++) words.push(SLAB);
  for (let i = 0; i < 1024; i++) words.push(HEAD, TAIL, TAIL, TAIL);
  while (words.length < 65536 + 1000) words.push(FILE);
  const { inodes } = writeMachine(root, {
    words,
    ram: [[0, words.length]],
    vmstat: { nr_free_pages: 4096, nr_file_pages: words.length - 6144, nr_slab_unreclaimable: 2048 },
    zones: [zone(words.length, 4096)],
    cgroups: [
      { path: "/db", ranges: [[4096, 5952]] },
      { path: "/web/one", ranges: [[20000, 30000]] },
    ],
  });
  writeFileSync(join(root, "proc/sys/kernel/hostname"), "db-07\n");
  mkdirSync(join(root, "memdesc/after/proc"), { recursive: true });
  writeFileSync(
    join(root, "memdesc/capture"),
    "format=1\ntool=memdesc-capture.sh\nstarted=2026-12-07T10:00:00Z\nfinished=2026-12-07T10:00:02Z\npage-map=kpageflags kpagecgroup\nlabel.team=storage\n",
  );
  writeFileSync(
    join(root, "memdesc/after/proc/vmstat"),
    formatVmstat({ nr_free_pages: 4000, nr_file_pages: words.length - 6144, nr_slab_unreclaimable: 2048 }),
  );
  // The inode numbers the capture script reads from fdinfo; the copy in the archive keeps none of its own.
  writeFileSync(
    join(root, "memdesc/inodes"),
    [...inodes].map(([p, ino]) => `${ino}\t/sys/fs/cgroup${p === "/" ? "" : p}\n`).join(""),
  );
  const archive = join(dir, `machine${n++}.tar.gz`);
  const made = spawnSync("sh", ["-c", `cd "${root}" && tar -cf - . | gzip -n > "${archive}"`]);
  if (made.status !== 0) throw new Error(`tar: ${made.stderr}`);
  return { root, archive, inodes };
}

describe("a capture archive (.tar.gz laid out as a root)", () => {
  const m = capturedMachine();

  it("surveys as the same files do unpacked: counters, page map, cgroups, the second vmstat", async () => {
    const a = await openCaptureArchive(m.archive, { cgroups: true });
    expect(a.meta).toMatchObject({ started: "2026-12-07T10:00:00Z", labels: { team: "storage" } });
    expect(a.pageMaps).toEqual(["kpageflags", "kpagecgroup"]);
    expect(a.source.info).toMatchObject({
      kind: "archive",
      pfnCount: 66536,
      capturedAt: "2026-12-07T10:00:00Z",
    });
    const fromArchive = await survey(a.source, { root: a.root, by: "cgroup" });
    const tree = captureTree(dirRoot(m.root));
    const fromDir = await survey(procSource({ root: tree.root, cgroups: true }), {
      root: tree.root,
      by: "cgroup",
    });
    expect(fromArchive.billed).toEqual(fromDir.billed);
    expect(fromArchive.uses.slab).toMatchObject({ pages: 2048, descriptors: 2048 });
    expect(fromArchive.uses.compound).toMatchObject({ pages: 4096, descriptors: 1024 });
    expect(fromArchive.kernel?.hostname).toBe("db-07");
    // /proc/vmstat read after the page map comes from memdesc/after: the churn shows.
    expect(fromArchive.kernel?.vmstat?.nr_free_pages).toBe(4096);
    expect(fromArchive.kernel?.vmstatAfter?.nr_free_pages).toBe(4000);
    expect(fromDir.kernel?.vmstatAfter?.nr_free_pages).toBe(4000);
    // The cgroups are named by path, matched through memdesc/inodes (the tar keeps no inode numbers).
    const labels = fromArchive.groups!.rows.map((r) => r.label).sort();
    expect(labels).toEqual(fromDir.groups!.rows.map((r) => r.label).sort());
    expect(labels).toContain("/web/one");
    expect(fromArchive.groups!.rows.find((r) => r.label === "/db")?.billed.slab?.pages).toBe(1856);
  });

  it("reads a plain tar too, and an archive whose page map comes first", async () => {
    const words = new Uint8Array(BigUint64Array.from({ length: 2048 }, () => FILE).buffer);
    const entries: TarSpec[] = [
      { name: "./proc/kpageflags", data: words },
      { name: "./proc/", type: "5" },
      { name: "./proc/iomem", data: "00000000-007fffff : System RAM\n" },
    ];
    const a = await openCaptureArchive(file(tar(entries), "plain.tar"));
    const s = await survey(a.source, { root: a.root });
    expect(s.uses.file.pages).toBe(2048);
    expect(a.meta).toBeUndefined();
  });

  it("takes GNU long names and pax paths", async () => {
    const long = `sys/kernel/mm/${"x".repeat(120)}`;
    const a = await openCaptureArchive(
      file(
        tgz([
          { name: "././@LongLink", type: "L", data: `${long}\0` },
          { name: long.slice(0, 99), data: "1\n" },
          { name: "PaxHeaders/x", type: "x", data: paxRecord("path", "proc/sys/kernel/osrelease") },
          { name: "short", data: "6.18.0-pax\n" },
          { name: "proc/kpageflags", data: new Uint8Array(8 * 64) },
        ]),
      ),
    );
    expect(a.root.read(`/${long}`)).toMatchObject({ ok: true });
    expect(a.source.info.kernelRelease).toBe("6.18.0-pax");
  });
});

describe("a hostile or broken archive: one BAD_ARCHIVE error naming the file and entry", () => {
  const pm = { name: "proc/kpageflags", data: new Uint8Array(8 * 16) } as const;
  const cases: [string, Uint8Array, RegExp][] = [
    [
      "an absolute path",
      tgz([pm, { name: "/etc/shadow", data: "x" }]),
      /entry \/etc\/shadow: an absolute path/,
    ],
    [
      "`..`",
      tgz([pm, { name: "proc/../../etc/passwd", data: "x" }]),
      /entry proc\/\.\.\/\.\.\/etc\/passwd: a path with `\.\.`/,
    ],
    [
      "a symbolic link",
      tgz([pm, { name: "proc/vmstat", type: "2", linkname: "/etc/shadow" }]),
      /entry proc\/vmstat: a symbolic link/,
    ],
    [
      "a hard link",
      tgz([pm, { name: "proc/vmstat", type: "1", linkname: "etc/shadow" }]),
      /entry proc\/vmstat: a hard link/,
    ],
    ["a device", tgz([pm, { name: "proc/zero", type: "3" }]), /entry proc\/zero: a character device/],
    ["a FIFO", tgz([pm, { name: "proc/fifo", type: "6" }]), /entry proc\/fifo: a FIFO/],
    [
      "an entry twice",
      tgz([pm, { name: "proc/vmstat", data: "a 1\n" }, { name: "proc/vmstat", data: "a 2\n" }]),
      /entry proc\/vmstat: twice/,
    ],
    [
      "a bad checksum",
      tgz([pm, { name: "proc/vmstat", data: "a 1\n", badChecksum: true }]),
      /entry proc\/vmstat: the header at byte \d+ fails its checksum/,
    ],
    ["no end blocks", tgz([pm], { end: false }), /without tar's end-of-archive blocks/],
    ["truncated data", gzipSync(tar([pm]).subarray(0, 600)), /archive ends/],
    ["not gzip", new Uint8Array([0x1f, 0x8b, 8, 0, 1, 2, 3, 4, 5, 6, 7, 8, 9]), /not intact gzip data/],
    ["no page map", tgz([{ name: "proc/vmstat", data: "a 1\n" }]), /no proc\/kpageflags/],
    [
      "a page map of 7 bytes",
      tgz([{ name: "proc/kpageflags", data: new Uint8Array(7) }]),
      /entry proc\/kpageflags: 7 bytes is not a whole number/,
    ],
    [
      "page maps of different lengths",
      tgz([pm, { name: "proc/kpagecount", data: new Uint8Array(8) }]),
      /entry proc\/kpagecount: 8 bytes where proc\/kpageflags has 128/,
    ],
    [
      "a file and a directory at one path",
      tgz([pm, { name: "proc/vmstat", data: "x" }, { name: "proc/vmstat/x", data: "y" }]),
      /proc\/vmstat is a file and a directory/,
    ],
    [
      "bad capture metadata",
      tgz([pm, { name: "memdesc/capture", data: "format=9\n" }]),
      /entry memdesc\/capture: .*format 9/,
    ],
    [
      "a label no capture allows",
      tgz([pm, { name: "memdesc/capture", data: "format=1\nstarted=2026-12-07T10:00:00Z\nlabel.Team=x\n" }]),
      /label key "Team"/,
    ],
  ];
  for (const [what, bytes, message] of cases)
    it(`refuses ${what}`, async () => {
      const p = file(bytes);
      const err = await openCaptureArchive(p).then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(err).toBeInstanceOf(KpageflagsError);
      expect((err as KpageflagsError).code).toBe("BAD_ARCHIVE");
      expect((err as Error).message.startsWith(`${p}:`)).toBe(true);
      expect((err as Error).message).toMatch(message);
    });

  it("refuses a FIFO as the archive without opening it for a read that might never end", async () => {
    const fifo = join(dir, "fifo.tar.gz");
    if (spawnSync("mkfifo", [fifo]).status !== 0)
      return console.warn("mkfifo failed: the FIFO case is skipped");
    await expect(openCaptureArchive(fifo)).rejects.toMatchObject({
      code: "BAD_ARCHIVE",
      message: /not a regular file/,
    });
  });

  it("ends in one KpageflagsError, or reads, whatever bytes are changed (fast-check)", async () => {
    const good = tar([
      { name: "proc/", type: "5" },
      { name: "proc/iomem", data: "00000000-0000ffff : System RAM\n" },
      { name: "proc/vmstat", data: "nr_free_pages 3\n" },
      {
        name: "proc/kpageflags",
        data: new Uint8Array(BigUint64Array.from({ length: 16 }, (_, i) => (i < 3 ? BUDDY : FILE)).buffer),
      },
    ]);
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.tuple(fc.nat(good.length - 1), fc.integer({ min: 0, max: 255 })), {
          minLength: 1,
          maxLength: 8,
        }),
        fc.option(fc.nat(good.length), { nil: undefined }),
        fc.boolean(),
        async (changes, cut, zip) => {
          const bytes = good.slice(0, cut ?? good.length);
          for (const [at, v] of changes) if (at < bytes.length) bytes[at] = v;
          const p = file(zip ? gzipSync(bytes) : bytes);
          try {
            const a = await openCaptureArchive(p);
            await survey(a.source, { root: a.root });
          } catch (err) {
            if (!(err instanceof KpageflagsError)) throw err;
          } finally {
            rmSync(p);
          }
        },
      ),
      { numRuns: 200, seed: 19 },
    );
  });
});
