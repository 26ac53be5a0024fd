import { gzipSync } from "node:zlib";

/*
 * A deliberately small tar writer for tests: ustar headers as POSIX.1-1988 lays them out, so a test can make
 * archives no capture script would (links, devices, `..`, absolute paths, long names, pax headers) and check the
 * reader refuses or reads them. Independent of the reader: it shares no code with src/archive.
 */

export interface TarSpec {
  readonly name: string;
  /** `0` file (default), `5` directory, `1` hard link, `2` symlink, `3` char device, `6` FIFO, `x` pax, `L` GNU long name. */
  readonly type?: string;
  readonly data?: Uint8Array | string;
  /** The size field, when it should lie about the data. */
  readonly size?: number;
  readonly linkname?: string;
  /** ustar prefix field. */
  readonly prefix?: string;
  /** Damage the checksum. */
  readonly badChecksum?: boolean;
}

const enc = new TextEncoder();

function field(block: Uint8Array, at: number, len: number, text: string): void {
  const bytes = enc.encode(text);
  block.set(bytes.subarray(0, len), at);
}

function octal(block: Uint8Array, at: number, len: number, n: number): void {
  field(block, at, len, `${n.toString(8).padStart(len - 1, "0")}\0`);
}

export function header(spec: TarSpec, size: number): Uint8Array {
  const block = new Uint8Array(512);
  field(block, 0, 100, spec.name);
  octal(block, 100, 8, spec.type === "5" ? 0o755 : 0o644);
  octal(block, 108, 8, 0);
  octal(block, 116, 8, 0);
  octal(block, 124, 12, spec.size ?? size);
  octal(block, 136, 12, 1765118909);
  field(block, 148, 8, "        ");
  field(block, 156, 1, spec.type ?? "0");
  if (spec.linkname) field(block, 157, 100, spec.linkname);
  field(block, 257, 6, "ustar\0");
  field(block, 263, 2, "00");
  field(block, 265, 32, "root");
  field(block, 297, 32, "root");
  if (spec.prefix) field(block, 345, 155, spec.prefix);
  let sum = 0;
  for (const b of block) sum += b;
  if (spec.badChecksum) sum += 1;
  field(block, 148, 8, `${sum.toString(8).padStart(6, "0")}\0 `);
  return block;
}

/** A tar archive of the entries, with the two zero blocks that end it (unless `end` is false). */
export function tar(entries: readonly TarSpec[], options: { end?: boolean } = {}): Uint8Array {
  const parts: Uint8Array[] = [];
  for (const e of entries) {
    const data = typeof e.data === "string" ? enc.encode(e.data) : (e.data ?? new Uint8Array(0));
    parts.push(header(e, data.length));
    parts.push(data);
    const pad = (512 - (data.length % 512)) % 512;
    parts.push(new Uint8Array(pad));
  }
  if (options.end !== false) parts.push(new Uint8Array(1024));
  const total = parts.reduce((s, p) => s + p.length, 0);
  const out = new Uint8Array(total);
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

/** A pax extended header record: `LEN key=value\n`, LEN counting itself. */
export function paxRecord(key: string, value: string): string {
  const body = ` ${key}=${value}\n`;
  let len = body.length + 1;
  while (`${len}${body}`.length !== len) len++;
  return `${len}${body}`;
}

export const tgz = (entries: readonly TarSpec[], options: { end?: boolean } = {}): Uint8Array =>
  gzipSync(tar(entries, options));
