import { type SpawnSyncReturns, spawnSync } from "node:child_process";
import { closeSync, mkdirSync, mkdtempSync, openSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createRegistry } from "@memdesc/core";
import { folio } from "@memdesc/folio";
import { ptdesc } from "@memdesc/ptdesc";
import { slab } from "@memdesc/slab";
import { canSwitchUser, copyForUnprivilegedUser, needs, nobody } from "@memdesc/testkit";
import { afterAll, describe, expect, it } from "vitest";
import { KpageflagsError } from "../errors.js";
import { surveyReport } from "../report.js";
import { readSnapshot } from "../snapshot/read.js";
import { captureSnapshot } from "../snapshot/write.js";
import { survey, surveyProc } from "../survey.js";
import { surveyUses } from "../uses.js";
import { readIomem } from "./iomem.js";
import { procSource } from "./proc.js";

function unreadable(path: string): string | undefined {
  try {
    closeSync(openSync(path, "r"));
    return undefined;
  } catch (err) {
    return (err as Error).message;
  }
}

const why = unreadable("/proc/kpageflags");

const dir = mkdtempSync(join(tmpdir(), "kpf-proc-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

needs("/proc/kpageflags", why && `${why} (run the tests as root on Linux)`).describe(
  "live survey of this machine's /proc/kpageflags",
  () => {
    it("classifies every PFN up to the section-rounded end of RAM", async () => {
      let calls = 0;
      let last = 0;
      const s = await surveyProc({
        onProgress: (done) => {
          calls++;
          expect(done).toBeGreaterThan(last);
          last = done;
        },
      });
      const ram = readIomem()!;
      const end = ram.ranges[ram.ranges.length - 1]!.end;
      expect(s.pfnCount).toBe(Math.ceil(end / s.sectionPfns) * s.sectionPfns);
      expect(last).toBe(s.pfnCount);
      expect(calls).toBe(Math.ceil(s.pfnCount / 65536));
      expect(surveyUses.reduce((n, u) => n + s.uses[u].pages, 0)).toBe(s.pfnCount);
      expect(s.flagWords.reduce((n, f) => n + f.pages, 0)).toBe(s.pfnCount);
      // Every PFN outside System RAM either reads 0 (a hole) or is flagged (firmware-reserved low pages).
      expect(s.uses.hole.pages + s.ram.flaggedOutsideRam).toBe(s.pfnCount - s.ram.pagesInSpan);
      expect(s.ram.pagesInSpan).toBe(ram.pages);
      for (const u of ["free", "file", "slab", "pagetable", "reserved", "kernel"] as const)
        expect(s.uses[u].pages, u).toBeGreaterThan(0);
      expect(s.uses.slab.descriptors).toBeLessThan(s.uses.slab.pages);
      expect(s.quirks.unknownBits).toBe(0);
      expect(s.source).toMatchObject({ kind: "proc", path: "/proc/kpageflags" });
    });

    it("reads kpagecount and kpagecgroup in lockstep", async () => {
      const s = await surveyProc({ counts: true, cgroups: true });
      expect(s.mapcount).toBeDefined();
      expect(s.mapcount!.mappedPages.file + s.mapcount!.mappedPages.anon).toBeGreaterThan(0);
      expect(s.mapcount!.mappedPages.uninit + s.mapcount!.mappedPages.hole).toBe(0);
      // Pages freed between the flags and count reads of a chunk; small next to all free memory.
      expect(s.mapcount!.freeButMapped).toBeLessThan(s.uses.free.pages / 100);
      expect(s.cgroups!.chargedPages).toBeGreaterThan(0);
    });

    it("bills today's memmap exactly as the kernel counts it: (nr_memmap_pages + nr_memmap_boot_pages) × page size", async () => {
      const s = await surveyProc();
      const rows = surveyReport(s, createRegistry({ plugins: [folio(), slab(), ptdesc()] })).crossCheck;
      const memmap = rows.find((r) => r.what === "today's memmap");
      const hvo = s.kernel?.hugetlbOptimizeVmemmap === 1 && s.uses.hugetlb.pages > 0;
      if (!memmap || hvo) {
        console.warn(
          `memmap check skipped: ${memmap ? "HVO has freed part of the memmap here" : "no nr_memmap counters"}`,
        );
        return;
      }
      expect(memmap.difference).toBe(0);
      expect(memmap.kernel).toBe(
        ((s.kernel!.vmstat!.nr_memmap_pages ?? 0) + (s.kernel!.vmstat!.nr_memmap_boot_pages ?? 0)) * 4096,
      );
      // The other checks are there too, each with the counter it compares against.
      for (const what of [
        "file pages",
        "anon pages (and KSM)",
        "slab pages",
        "slabs",
        "page tables",
        "free pages",
      ])
        expect(rows.map((r) => r.what)).toContain(what);
    });

    it("captures a snapshot that surveys exactly as the capture did", async () => {
      const path = join(dir, "live.mdsnap");
      const w = await captureSnapshot(path, { cgroups: false });
      const snap = readSnapshot(path);
      expect(snap.header.files).toEqual({ kpageflags: true, kpagecount: true, kpagecgroup: false });
      expect(snap.header.pfnCount).toBe(w.survey.pfnCount);
      // The counters come from the snapshot too: the same answer, read on any machine.
      const s = await survey(snap.source, { root: snap.root() });
      expect({ ...s, source: undefined }).toEqual({ ...w.survey, source: undefined });
      expect(s.kernel?.read).toContain("/proc/vmstat");
    });
  },
);

/** A directory holding `proc/` with the given files, as `--root` reads it. */
function fakeRoot(prefix: string, files: Record<string, Uint8Array> = {}): string {
  const root = mkdtempSync(join(dir, prefix));
  mkdirSync(join(root, "proc"));
  for (const [name, data] of Object.entries(files)) writeFileSync(join(root, "proc", name), data);
  return root;
}

describe("unreadable page maps: one clear error with what to do", () => {
  it("no such file: not Linux, or a container without /proc/kpageflags", async () => {
    const empty = fakeRoot("empty-");
    const path = join(empty, "proc/kpageflags");
    const err = await surveyProc({ root: empty, ram: null }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(KpageflagsError);
    expect(err).toMatchObject({ code: "NOT_FOUND", path });
    expect((err as KpageflagsError).message).toBe(`${path} does not exist`);
    expect(() => procSource({ root: empty })).toThrow(expect.objectContaining({ code: "NOT_FOUND" }));
  });

  it("a device or FIFO where the page map should be is refused, never read", () => {
    const root = fakeRoot("fifo-");
    const fifo = join(root, "proc/kpageflags");
    const r = spawnSync("mkfifo", [fifo]);
    if (r.status !== 0) {
      console.warn(`FIFO test skipped: mkfifo failed (${r.stderr})`);
      return;
    }
    expect(() => procSource({ root })).toThrow(
      expect.objectContaining({
        code: "IO_ERROR",
        message: `${fifo} is not a regular file (a device or pipe might never end)`,
      }),
    );
  });

  it("a short read: kpagecount ends before kpageflags", async () => {
    const fake = fakeRoot("short-", {
      kpageflags: new Uint8Array(8 * 100),
      kpagecount: new Uint8Array(8 * 60),
    });
    const err = await surveyProc({ root: fake, ram: null, counts: true, chunkPfns: 32 }).catch(
      (e: unknown) => e,
    );
    expect(err).toMatchObject({ code: "SHORT_READ" });
    expect((err as KpageflagsError).message).toMatch(
      /kpagecount returned 224 bytes at offset 256 where kpageflags returned 256/,
    );
    expect((err as KpageflagsError).hint).toMatch(/retry the capture, as root/);
  });

  it("a short read: a file that is not whole words", async () => {
    const fake = fakeRoot("odd-", { kpageflags: new Uint8Array(8 * 10 + 4) });
    await expect(surveyProc({ root: fake, ram: null })).rejects.toMatchObject({
      code: "SHORT_READ",
      message: expect.stringMatching(/returned 84 bytes at offset 0, not a whole number of 8-byte words/),
    });
  });

  const pkg = new URL("../..", import.meta.url).pathname;
  const asNobody = needs({
    root: canSwitchUser() ? undefined : "not root: cannot run a child as nobody",
    "/proc/kpageflags": why,
  });
  asNobody.it("permission denied: says to run as root or pass a snapshot", () => {
    // The child runs a world-readable copy of the package: it cannot enter a checkout in a 0700 directory.
    const copy = copyForUnprivilegedUser(pkg);
    const dist = join(copy.dir, "dist/index.js");
    const script = `import(${JSON.stringify(dist)}).then(m => m.surveyProc()).then(() => console.log("{}"), e => console.log(JSON.stringify({ name: e.name, code: e.code, message: e.message, hint: e.hint })))`;
    let r: SpawnSyncReturns<string>;
    try {
      r = spawnSync(process.execPath, ["-e", script], { ...nobody, encoding: "utf8", cwd: "/" });
    } finally {
      copy.remove();
    }
    expect(r.stderr).toBe("");
    const e = JSON.parse(r.stdout);
    expect(e).toMatchObject({ name: "KpageflagsError", code: "PERMISSION_DENIED" });
    expect(e.message).toMatch(/^permission denied: cannot (open|read) \/proc\//);
    expect(e.hint).toMatch(/run the capture as root .* or pass a snapshot/);
  });
});
