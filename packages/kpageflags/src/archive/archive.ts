import { closeSync, constants, createReadStream, fstatSync, openSync, readSync, type Stats } from "node:fs";
import { pipeline } from "node:stream";
import { createGunzip } from "node:zlib";
import { type CaptureMeta, captureMetaPath } from "../capture/meta.js";
import { captureTree } from "../capture/root.js";
import { fsError, KpageflagsError } from "../errors.js";
import {
  checkChunkPfns,
  defaultChunkPfns,
  maxPfnsFor,
  type PageMapInfo,
  type PageMapSource,
  sectionPfnsFor,
} from "../read/chunk.js";
import { parseIomem } from "../read/iomem.js";
import { maxRootFileBytes, type RootResult, type RootStat, readText, type SystemRoot } from "../root/root.js";
import { ChunkEncoder, type RunBatch } from "../runs.js";
import { ByteStream, type TarEntry, TarProblem, tarEntries } from "./tar.js";

/*
 * A capture archive: a .tar.gz (or .tar) laid out as a machine's root directory — proc/kpageflags and the
 * counter files the survey reads, as memdesc's capture script writes it — read without unpacking it. The
 * small files are read into memory in one pass; the page-map files are streamed, each from its own pass over
 * the archive, in lockstep, 64 Ki PFNs at a time, so memory stays flat whatever the machine's size.
 */

/** The largest archive read: a capture of a machine with tens of TiB is a few hundred MB. */
export const maxArchiveBytes = 64 * 1024 ** 3;
/** Entries at most: the counters are ~100 files; a memory cgroup tree adds one directory per cgroup. */
export const maxArchiveEntries = 250_000;
/** All the small files together, held in memory. */
export const maxArchiveSmallBytes = 256 * 1024 * 1024;

const pageMapNames = ["kpageflags", "kpagecount", "kpagecgroup"] as const;
type PageMapName = (typeof pageMapNames)[number];

export interface ArchiveOptions {
  /** Also read proc/kpagecount (it must be in the archive). */
  readonly counts?: boolean | undefined;
  /** Also read proc/kpagecgroup (it must be in the archive). */
  readonly cgroups?: boolean | undefined;
  /** PFNs per batch (default 65,536). */
  readonly chunkPfns?: number | undefined;
}

/** An opened capture archive: its tree (for the counters), its page map, and the capture's metadata. */
export interface CaptureArchive {
  readonly path: string;
  readonly root: SystemRoot;
  readonly source: PageMapSource;
  /** The capture script's metadata; undefined for an archive of a plain copy. */
  readonly meta: CaptureMeta | undefined;
  /** The page-map files the archive holds. */
  readonly pageMaps: readonly PageMapName[];
}

function badArchive(
  path: string,
  entry: string | undefined,
  message: string,
  cause?: unknown,
): KpageflagsError {
  return new KpageflagsError(
    "BAD_ARCHIVE",
    `${path}${entry === undefined ? "" : `: entry ${entry}`}: ${message}`,
    "make the archive with memdesc's capture script (`memdesc capture-script > capture.sh; sudo sh capture.sh -o host.tar.gz`), and copy it whole",
    { path, cause },
  );
}

/** Opens the archive file, refusing anything but a regular file (a FIFO or device might never end). */
function openArchive(path: string, expect?: Stats): { fd: number; stat: Stats } {
  let fd: number;
  try {
    fd = openSync(path, constants.O_RDONLY | constants.O_NONBLOCK);
  } catch (err) {
    throw fsError(err, path, "open");
  }
  const stat = fstatSync(fd);
  if (!stat.isFile()) {
    closeSync(fd);
    throw badArchive(path, undefined, "not a regular file (a device or pipe might never end)");
  }
  if (expect && (stat.ino !== expect.ino || stat.dev !== expect.dev || stat.size !== expect.size)) {
    closeSync(fd);
    throw badArchive(path, undefined, "the file was replaced or changed while it was being read");
  }
  if (stat.size > maxArchiveBytes) {
    closeSync(fd);
    throw new KpageflagsError(
      "TOO_BIG",
      `${path}: ${stat.size} bytes, more than a capture archive can be (${maxArchiveBytes})`,
      "check the file is a capture made by memdesc's capture script",
      { path },
    );
  }
  return { fd, stat };
}

/** One pass over the archive's tar data: the file's bytes, inflated when it is gzip. */
function passOver(
  path: string,
  expect: Stats | undefined,
  gzip: boolean,
): { bytes: ByteStream; stat: Stats } {
  const { fd, stat } = openArchive(path, expect);
  const file = createReadStream("", { fd, highWaterMark: 1 << 20 });
  const source = gzip
    ? pipeline(file, createGunzip({ chunkSize: 1 << 18 }), () => {
        // Errors reach the reader through the stream it iterates.
      })
    : file;
  return { bytes: new ByteStream(source), stat };
}

function isGzip(path: string): boolean {
  const { fd } = openArchive(path);
  try {
    const head = new Uint8Array(2);
    const n = readSync(fd, head, 0, 2, 0);
    return n === 2 && head[0] === 0x1f && head[1] === 0x8b;
  } finally {
    closeSync(fd);
  }
}

/** A tar or gzip problem as the one error the caller reports, naming the archive and the entry. */
function explain(path: string, err: unknown): KpageflagsError {
  if (err instanceof KpageflagsError) return err;
  if (err instanceof TarProblem) return badArchive(path, err.entry, err.message);
  const code = (err as NodeJS.ErrnoException).code;
  if (typeof code === "string" && code.startsWith("Z_"))
    return badArchive(path, undefined, `not intact gzip data (${(err as Error).message})`, err);
  if (typeof code === "string") return fsError(err, path, "read");
  return badArchive(path, undefined, (err as Error).message, err);
}

interface Indexed {
  readonly files: Map<string, Uint8Array>;
  readonly dirs: Map<string, Set<string>>;
  readonly pageMaps: Map<PageMapName, { size: number; mtime: number }>;
}

/** The first pass: every small file into memory, the directories, and the page-map files' sizes. */
async function index(path: string, gzip: boolean): Promise<{ indexed: Indexed; stat: Stats }> {
  const { bytes, stat } = passOver(path, undefined, gzip);
  const files = new Map<string, Uint8Array>();
  const dirs = new Map<string, Set<string>>([["", new Set()]]);
  const pageMaps = new Map<PageMapName, { size: number; mtime: number }>();
  const kinds = new Map<string, "file" | "dir">([["", "dir"]]);
  let small = 0;
  const addDir = (p: string, entry: string) => {
    if (kinds.get(p) === "file") throw new TarProblem(entry, `${p} is a file and a directory`);
    if (kinds.has(p)) return;
    kinds.set(p, "dir");
    dirs.set(p, new Set());
    const slash = p.lastIndexOf("/");
    const parent = slash < 0 ? "" : p.slice(0, slash);
    addDir(parent, entry);
    dirs.get(parent)!.add(p.slice(slash + 1));
  };
  try {
    for await (const e of tarEntries(bytes, { maxEntries: maxArchiveEntries, maxName: 4096 })) {
      if (e.type === "dir") {
        addDir(e.name, e.name);
        continue;
      }
      if (kinds.has(e.name))
        throw new TarProblem(
          e.name,
          kinds.get(e.name) === "dir" ? "a file and a directory" : "twice in the archive",
        );
      const slash = e.name.lastIndexOf("/");
      const parent = slash < 0 ? "" : e.name.slice(0, slash);
      addDir(parent, e.name);
      kinds.set(e.name, "file");
      dirs.get(parent)!.add(e.name.slice(slash + 1));
      const pm = pageMapNames.find((n) => e.name === `proc/${n}`);
      if (pm) {
        pageMaps.set(pm, { size: e.size, mtime: e.mtime });
        continue;
      }
      if (e.size > maxRootFileBytes)
        throw new TarProblem(
          e.name,
          `${e.size} bytes, more than any file the survey reads (${maxRootFileBytes})`,
        );
      small += e.size;
      if (small > maxArchiveSmallBytes)
        throw new TarProblem(e.name, `the files besides the page map pass ${maxArchiveSmallBytes} bytes`);
      const data = new Uint8Array(e.size);
      await readWhole(e, data);
      files.set(e.name, data);
    }
  } catch (err) {
    throw explain(path, err);
  } finally {
    await bytes.close();
  }
  return { indexed: { files, dirs, pageMaps }, stat };
}

async function readWhole(e: TarEntry, into: Uint8Array): Promise<void> {
  let at = 0;
  while (at < into.length) {
    const n = await e.read(into.subarray(at), into.length - at);
    if (n === 0) throw new TarProblem(e.name, "ends early");
    at += n;
  }
}

/** The tree of the archive's small files: what `--root` reads for the counters. */
function archiveRoot(path: string, ix: Indexed): SystemRoot {
  const key = (p: string) => (p === "/" ? "" : p.slice(1));
  const plain = (p: string) => p.startsWith("/") && !p.split("/").some((s) => s === "." || s === "..");
  const no = (p: string, why = "not in the archive") =>
    ({ ok: false, code: "ENOENT", message: `${p}: ${why} (${path})` }) as const;
  return {
    label: path,
    read: (p): RootResult<Uint8Array> => {
      if (!plain(p)) return no(p, "not a plain path");
      const data = ix.files.get(key(p));
      if (data) return { ok: true, value: data };
      if (ix.pageMaps.has(key(p).slice("proc/".length) as PageMapName))
        return { ok: false, code: "TOO_BIG", message: `${p}: the page map is read as a stream (${path})` };
      if (ix.dirs.has(key(p))) return { ok: false, code: "EIO", message: `${p}: a directory (${path})` };
      return no(p);
    },
    list: (p) => {
      if (!plain(p)) return no(p, "not a plain path");
      const names = ix.dirs.get(key(p));
      return names ? { ok: true, value: [...names].sort() } : no(p);
    },
    stat: (p): RootResult<RootStat> => {
      if (!plain(p)) return no(p, "not a plain path");
      const k = key(p);
      if (ix.dirs.has(k)) return { ok: true, value: { type: "dir", ino: 0 } };
      if (ix.files.has(k) || ix.pageMaps.has(k.slice("proc/".length) as PageMapName))
        return { ok: true, value: { type: "file", ino: 0 } };
      return no(p);
    },
    localPath: () => undefined,
  };
}

/**
 * Opens a capture archive: reads its small files and checks its page map, then hands out the tree (with the
 * capture's own files applied: the second /proc/vmstat, cgroup inodes) and the page map as a source that
 * streams it. Throws BAD_ARCHIVE naming the file and entry for anything a capture does not hold.
 */
export async function openCaptureArchive(
  path: string,
  options: ArchiveOptions = {},
): Promise<CaptureArchive> {
  const gzip = isGzip(path);
  const { indexed: ix, stat } = await index(path, gzip);
  const flags = ix.pageMaps.get("kpageflags");
  if (!flags)
    throw badArchive(path, undefined, "no proc/kpageflags: this is not a capture of a machine's page map");
  const pageSize = 4096;
  if (flags.size % 8 !== 0)
    throw badArchive(path, "proc/kpageflags", `${flags.size} bytes is not a whole number of 8-byte words`);
  const pfnCount = flags.size / 8;
  if (pfnCount > maxPfnsFor(pageSize))
    throw new KpageflagsError(
      "TOO_BIG",
      `${path}: entry proc/kpageflags: ${pfnCount} PFNs, more than 2^52 bytes of physical address space`,
      "check the archive is a capture made by memdesc's capture script",
      { path },
    );
  if (pfnCount === 0) throw badArchive(path, "proc/kpageflags", "empty: the copy of the page map failed");
  for (const name of ["kpagecount", "kpagecgroup"] as const) {
    const other = ix.pageMaps.get(name);
    if (other && other.size !== flags.size)
      throw badArchive(
        path,
        `proc/${name}`,
        `${other.size} bytes where proc/kpageflags has ${flags.size}: the page-map files must cover the same PFNs`,
      );
  }
  const wanted: PageMapName[] = ["kpageflags"];
  for (const [name, on] of [
    ["kpagecount", options.counts],
    ["kpagecgroup", options.cgroups],
  ] as const) {
    if (!on) continue;
    if (!ix.pageMaps.has(name))
      throw new KpageflagsError(
        "NOT_FOUND",
        `${path} has no proc/${name}`,
        name === "kpagecgroup"
          ? "capture with the script's --cgroups option for a bill by cgroup"
          : "capture without the script's --no-counts option",
        { path },
      );
    wanted.push(name);
  }
  let tree: ReturnType<typeof captureTree>;
  try {
    tree = captureTree(archiveRoot(path, ix));
  } catch (err) {
    if (err instanceof KpageflagsError && err.code === "BAD_CAPTURE")
      throw badArchive(path, captureMetaPath.slice(1), err.message.replace(/^[^:]*: /, ""), err);
    throw err;
  }
  const root = tree.root;
  const iomem = readText(root, "/proc/iomem");
  const ram = iomem.ok ? parseIomem(iomem.value, pageSize, `${path}: entry proc/iomem`) : null;
  const release = readText(root, "/proc/sys/kernel/osrelease");
  const arch = readText(root, "/proc/sys/kernel/arch");
  const chunkPfns = checkChunkPfns(options.chunkPfns ?? defaultChunkPfns);
  const info: PageMapInfo = {
    kind: "archive",
    path,
    pageSize,
    startPfn: 0,
    pfnCount,
    expectedPfnCount: pfnCount,
    ram,
    sectionPfns: sectionPfnsFor(pageSize),
    kernelRelease: release.ok ? release.value.trim() : undefined,
    machine: arch.ok ? arch.value.trim() : undefined,
    capturedAt: tree.meta?.started ?? new Date(flags.mtime * 1000).toISOString(),
    files: {
      kpageflags: true,
      kpagecount: wanted.includes("kpagecount"),
      kpagecgroup: wanted.includes("kpagecgroup"),
    },
  };
  return {
    path,
    root,
    meta: tree.meta,
    pageMaps: pageMapNames.filter((n) => ix.pageMaps.has(n)),
    source: { info, batches: () => streamPageMap(path, stat, gzip, wanted, pfnCount, chunkPfns) },
  };
}

/** Reads the archive until the named entry; the caller reads it, then closes the pass. */
async function seek(
  path: string,
  stat: Stats,
  gzip: boolean,
  name: PageMapName,
): Promise<{ entry: TarEntry; close: () => Promise<void> }> {
  const { bytes } = passOver(path, stat, gzip);
  const it = tarEntries(bytes, { maxEntries: maxArchiveEntries, maxName: 4096 });
  const close = async () => {
    await it.return(undefined);
    await bytes.close();
  };
  try {
    for (;;) {
      const next = await it.next();
      if (next.done) throw new TarProblem(`proc/${name}`, "not found on a second read: the archive changed");
      if (next.value.name === `proc/${name}`) return { entry: next.value, close };
    }
  } catch (err) {
    await close().catch(() => {});
    throw explain(path, err);
  }
}

/** The page map, batch by batch: each wanted file from its own pass over the archive, in lockstep. */
async function* streamPageMap(
  path: string,
  stat: Stats,
  gzip: boolean,
  wanted: readonly PageMapName[],
  pfnCount: number,
  chunkPfns: number,
): AsyncGenerator<RunBatch> {
  const passes: { entry: TarEntry; close: () => Promise<void> }[] = [];
  const encoder = new ChunkEncoder();
  const buffers = wanted.map(() => new Uint8Array(chunkPfns * 8));
  const words = buffers.map((b) => new Uint32Array(b.buffer));
  try {
    for (const name of wanted) passes.push(await seek(path, stat, gzip, name));
    for (let pfn = 0; pfn < pfnCount; pfn += chunkPfns) {
      const n = Math.min(chunkPfns, pfnCount - pfn);
      for (let f = 0; f < passes.length; f++) {
        try {
          await readWhole(passes[f]!.entry, buffers[f]!.subarray(0, n * 8));
        } catch (err) {
          throw explain(path, err);
        }
      }
      const at = (name: PageMapName) => {
        const i = wanted.indexOf(name);
        return i < 0 ? undefined : words[i];
      };
      yield encoder.encode({
        pfn,
        length: n,
        flags: words[0]!,
        counts: at("kpagecount"),
        cgroups: at("kpagecgroup"),
      });
    }
  } finally {
    await Promise.all(passes.map((p) => p.close().catch(() => {})));
  }
}
