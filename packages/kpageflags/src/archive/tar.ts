// Browser-safe: no node: imports. Reads the tar formats GNU tar, busybox and bsdtar write (POSIX ustar and pax,
// GNU long names and base-256 sizes) from any stream of bytes, refusing what a capture never holds.

/** One entry of a tar archive, as a capture may hold it: a regular file or a directory. */
export interface TarEntry {
  /** The path inside the archive, without `./` and without a trailing `/`. */
  readonly name: string;
  readonly type: "file" | "dir";
  readonly size: number;
  /** Seconds since the epoch. */
  readonly mtime: number;
  /** Reads up to `n` bytes of the entry's data into `target` (from 0); returns how many (0 at its end). */
  read(target: Uint8Array, n: number): Promise<number>;
}

/** Why an archive was refused: the entry (when there is one) and what is wrong with it. */
export class TarProblem extends Error {
  constructor(
    readonly entry: string | undefined,
    message: string,
  ) {
    super(message);
  }
}

export interface TarLimits {
  /** Entries at most (directories included). */
  readonly maxEntries: number;
  /** The longest path. */
  readonly maxName: number;
}

/**
 * Bytes from an async stream of chunks, read exactly: what a tar reader needs (512-byte headers, then the data
 * it asks for), without holding more than the chunk in hand.
 */
export class ByteStream {
  private chunk: Uint8Array = new Uint8Array(0);
  private at = 0;
  private ended = false;
  private readonly it: AsyncIterator<Uint8Array>;
  /** Bytes consumed so far. */
  position = 0;

  constructor(source: AsyncIterable<Uint8Array>) {
    this.it = source[Symbol.asyncIterator]();
  }

  /** Copies up to `n` bytes into `target` at `offset`; fewer only at the end of the stream. */
  async read(target: Uint8Array, n: number, offset = 0): Promise<number> {
    let got = 0;
    while (got < n) {
      if (this.at === this.chunk.length) {
        if (this.ended) break;
        const next = await this.it.next();
        if (next.done) {
          this.ended = true;
          break;
        }
        this.chunk = next.value;
        this.at = 0;
        continue;
      }
      const take = Math.min(n - got, this.chunk.length - this.at);
      target.set(this.chunk.subarray(this.at, this.at + take), offset + got);
      this.at += take;
      got += take;
    }
    this.position += got;
    return got;
  }

  /** Skips `n` bytes; returns how many were there. */
  async skip(n: number): Promise<number> {
    let left = n;
    while (left > 0) {
      if (this.at === this.chunk.length) {
        if (this.ended) break;
        const next = await this.it.next();
        if (next.done) {
          this.ended = true;
          break;
        }
        this.chunk = next.value;
        this.at = 0;
        continue;
      }
      const take = Math.min(left, this.chunk.length - this.at);
      this.at += take;
      left -= take;
    }
    this.position += n - left;
    return n - left;
  }

  /** Stops the source (a file stream is closed). */
  async close(): Promise<void> {
    await this.it.return?.();
  }
}

const decoder = new TextDecoder("utf-8", { fatal: true });

/** A NUL-terminated header field as text; a field that is not UTF-8 is refused. */
function text(block: Uint8Array, at: number, len: number): string {
  let end = at;
  while (end < at + len && block[end] !== 0) end++;
  try {
    return decoder.decode(block.subarray(at, end));
  } catch {
    throw new TarProblem(undefined, `a header field at byte ${at} of its header is not UTF-8`);
  }
}

/** A numeric field: octal digits (space or NUL padded), or GNU's base-256 when the top bit is set. */
function numeric(
  block: Uint8Array,
  at: number,
  len: number,
  what: string,
  entry: string | undefined,
): number {
  if ((block[at]! & 0x80) !== 0) {
    if ((block[at]! & 0x40) !== 0) throw new TarProblem(entry, `a negative ${what}`);
    let v = block[at]! & 0x3f;
    for (let i = 1; i < len; i++) {
      v = v * 256 + block[at + i]!;
      if (!Number.isSafeInteger(v)) throw new TarProblem(entry, `${what} too large`);
    }
    return v;
  }
  const s = text(block, at, len).trim();
  if (s === "") return 0;
  if (!/^[0-7]+$/.test(s))
    throw new TarProblem(entry, `${what} is not an octal number: ${JSON.stringify(s)}`);
  const v = Number.parseInt(s, 8);
  if (!Number.isSafeInteger(v)) throw new TarProblem(entry, `${what} too large`);
  return v;
}

/** The header checksum: the bytes summed with the checksum field as spaces (unsigned, or signed by old tars). */
function checksumOk(block: Uint8Array, stored: number): boolean {
  let unsigned = 0;
  let signed = 0;
  for (let i = 0; i < 512; i++) {
    const b = i >= 148 && i < 156 ? 32 : block[i]!;
    unsigned += b;
    signed += b > 127 ? b - 256 : b;
  }
  return stored === unsigned || stored === signed;
}

/** Pax extended header records: `LEN key=value\n`, LEN counting the whole record. */
function paxRecords(data: Uint8Array, entry: string | undefined): Map<string, string> {
  const out = new Map<string, string>();
  let at = 0;
  while (at < data.length) {
    let sp = at;
    while (sp < data.length && data[sp] !== 0x20) sp++;
    const len = Number(new TextDecoder().decode(data.subarray(at, sp)));
    if (
      !Number.isSafeInteger(len) ||
      len <= sp - at + 1 ||
      at + len > data.length ||
      data[at + len - 1] !== 0x0a
    )
      throw new TarProblem(entry, `a pax header record at byte ${at} is malformed`);
    let record: string;
    try {
      record = decoder.decode(data.subarray(sp + 1, at + len - 1));
    } catch {
      throw new TarProblem(entry, `a pax header record at byte ${at} is not UTF-8`);
    }
    const eq = record.indexOf("=");
    if (eq <= 0) throw new TarProblem(entry, `a pax header record at byte ${at} has no key`);
    out.set(record.slice(0, eq), record.slice(eq + 1));
    at += len;
  }
  return out;
}

/**
 * The path an entry names, made relative to the archive's root: `./` prefixes and a trailing `/` dropped.
 * Refused: an absolute path, `..`, empty segments, NUL. The archive's root itself (`.`) is undefined.
 */
export function entryPath(raw: string, maxName: number): string | undefined {
  let p = raw;
  while (p.startsWith("./")) p = p.slice(2);
  if (p.endsWith("/")) p = p.slice(0, -1);
  if (p === "" || p === ".") return undefined;
  if (p.length > maxName) throw new TarProblem(raw.slice(0, 80), `a path longer than ${maxName} characters`);
  if (p.startsWith("/")) throw new TarProblem(raw, "an absolute path, outside the archive's root");
  const segments = p.split("/");
  if (segments.includes("..")) throw new TarProblem(raw, "a path with `..`, outside the archive's root");
  if (segments.some((s) => s === "" || s === "."))
    throw new TarProblem(raw, "a path with an empty or `.` segment");
  if (p.includes("\0")) throw new TarProblem(raw, "a path with a NUL byte");
  return p;
}

const typeNames: Record<string, string> = {
  "1": "a hard link",
  "2": "a symbolic link",
  "3": "a character device",
  "4": "a block device",
  "6": "a FIFO",
  K: "a GNU long link name",
  S: "a sparse file",
  M: "a multi-volume continuation",
  V: "a volume header",
  D: "a GNU dump directory",
};

/**
 * The entries of a tar archive, in order. Each entry's data must be read (or is skipped) before the next is
 * asked for. Links, devices and FIFOs are refused: a capture holds only files and directories, and a link could
 * lead a reader out of the root.
 */
export async function* tarEntries(bytes: ByteStream, limits: TarLimits): AsyncGenerator<TarEntry> {
  const block = new Uint8Array(512);
  let count = 0;
  let longName: string | undefined;
  let pax: Map<string, string> | undefined;
  const readMeta = async (size: number, name: string, what: string): Promise<Uint8Array> => {
    if (size > 65536) throw new TarProblem(name, `a ${what} of ${size} bytes (at most 65536)`);
    const data = new Uint8Array(size);
    if ((await bytes.read(data, size)) < size)
      throw new TarProblem(name, `the archive ends inside a ${what}`);
    await skipPadding(size, name);
    return data;
  };
  const skipPadding = async (size: number, name: string) => {
    const pad = (512 - (size % 512)) % 512;
    if ((await bytes.skip(pad)) < pad)
      throw new TarProblem(name, "the archive ends inside an entry's padding");
  };
  for (;;) {
    const got = await bytes.read(block, 512);
    if (got === 0) throw new TarProblem(undefined, "the archive ends without tar's end-of-archive blocks");
    if (got < 512)
      throw new TarProblem(undefined, `the archive ends inside a header, at byte ${bytes.position}`);
    if (block.every((b) => b === 0)) return;
    const rawName = text(block, 0, 100);
    const stored = numeric(block, 148, 8, "checksum", rawName);
    if (!checksumOk(block, stored))
      throw new TarProblem(
        rawName || undefined,
        `the header at byte ${bytes.position - 512} fails its checksum`,
      );
    const magic = text(block, 257, 6);
    const ustar = magic === "ustar" && block[262] === 0;
    let name = rawName;
    if (ustar) {
      const prefix = text(block, 345, 155);
      if (prefix) name = `${prefix}/${name}`;
    }
    if (longName !== undefined) name = longName;
    if (pax?.has("path")) name = pax.get("path")!;
    const type = String.fromCharCode(block[156]!);
    let size = numeric(block, 124, 12, "size", name);
    if (pax?.has("size")) {
      const s = pax.get("size")!;
      if (!/^\d{1,16}$/.test(s)) throw new TarProblem(name, `a pax size of ${JSON.stringify(s)}`);
      size = Number(s);
    }
    const mtime = numeric(block, 136, 12, "mtime", name);
    // Extended headers apply to the next entry only.
    if (type === "L") {
      const data = await readMeta(size, name, "GNU long name");
      longName = text(data, 0, data.length);
      continue;
    }
    if (type === "x" || type === "g") {
      const data = await readMeta(size, name, "pax header");
      if (type === "x") pax = paxRecords(data, name);
      continue;
    }
    longName = undefined;
    pax = undefined;
    if (++count > limits.maxEntries) throw new TarProblem(name, `more than ${limits.maxEntries} entries`);
    const what = typeNames[type];
    if (what) throw new TarProblem(name, `${what}; a capture holds only files and directories`);
    const isFile = type === "0" || type === "\0" || type === "7";
    if (!isFile && type !== "5")
      throw new TarProblem(name, `an entry of unknown type ${JSON.stringify(type)}`);
    const path = entryPath(name, limits.maxName);
    let left = isFile ? size : 0;
    if (!isFile && size > 0) {
      // A directory's size is meaningless; its data, if any, is skipped.
      if ((await bytes.skip(size)) < size) throw new TarProblem(name, "the archive ends inside an entry");
      await skipPadding(size, name);
    }
    if (path === undefined) {
      if (left > 0) {
        if ((await bytes.skip(left)) < left) throw new TarProblem(name, "the archive ends inside an entry");
        await skipPadding(left, name);
      }
      continue;
    }
    const entry: TarEntry = {
      name: path,
      type: isFile ? "file" : "dir",
      size: isFile ? size : 0,
      mtime,
      read: async (target, n) => {
        const want = Math.min(n, left);
        if (want === 0) return 0;
        const r = await bytes.read(target, want);
        left -= r;
        if (r < want)
          throw new TarProblem(path, `the archive ends ${left} bytes before the end of this entry`);
        return r;
      },
    };
    yield entry;
    if (left > 0) {
      if ((await bytes.skip(left)) < left) throw new TarProblem(path, "the archive ends inside this entry");
      left = 0;
    }
    if (isFile) await skipPadding(size, path);
  }
}
