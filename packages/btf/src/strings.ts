import { BtfError } from "./errors.js";

const utf8 = new TextDecoder("utf-8");

/**
 * The string section: NUL-terminated names addressed by byte offset. Names are decoded on first use and
 * cached. In split BTF (a module on top of vmlinux) offsets below the base's end address the base's strings,
 * and the rest this file's, shifted by the base's length.
 */
export class StringTable {
  /** First offset this table owns: 0, or the end of the base's strings in split BTF. */
  readonly start: number;
  /** One past the last valid offset. */
  readonly end: number;
  private readonly cache = new Map<number, string>();

  constructor(
    private readonly bytes: Uint8Array,
    /** Absolute byte offset of the section in `bytes`. */
    private readonly sectionStart: number,
    length: number,
    private readonly base: StringTable | undefined,
    private readonly file: string | undefined,
  ) {
    this.start = base ? base.end : 0;
    this.end = this.start + length;
    if (!base && length === 0)
      throw new BtfError(
        "BTF_STRING",
        "the string section is empty: it must hold at least the empty string",
        {
          offset: sectionStart,
          file,
        },
      );
    // Split BTF (libbpf's btf__new_empty_split) has no empty string of its own: its offsets continue the base's.
    if (!base && bytes[sectionStart] !== 0)
      throw new BtfError(
        "BTF_SPLIT",
        "this is split BTF (a kernel module's: its strings and type ids continue its kernel's), and no base was given: read it on top of the vmlinux BTF it was built against",
        { offset: sectionStart, file },
      );
    if (length > 0 && bytes[sectionStart + length - 1] !== 0)
      throw new BtfError("BTF_STRING", "the string section does not end with a NUL byte", {
        offset: sectionStart + length - 1,
        file,
      });
  }

  /** Whether `off` addresses a byte of this table (or its base). */
  has(off: number): boolean {
    return off < this.end;
  }

  /** The string at `off`; `at` and `typeId` name the record that refers to it, for the error. */
  get(off: number, at?: number, typeId?: number): string {
    if (off === 0) return "";
    if (off < this.start) return this.base!.get(off, at, typeId);
    const cached = this.cache.get(off);
    if (cached !== undefined) return cached;
    if (off >= this.end)
      throw new BtfError(
        "BTF_STRING",
        `string offset ${off} is beyond the string section (length ${this.end - this.start}${this.start ? `, starting at ${this.start}` : ""})`,
        { offset: at, typeId, file: this.file },
      );
    const from = this.sectionStart + (off - this.start);
    // The section ends with a NUL (checked above), so this always finds one inside it.
    const to = this.bytes.indexOf(0, from);
    const s = decode(this.bytes, from, to);
    this.cache.set(off, s);
    return s;
  }

  /**
   * The offsets of every string equal to `name` (the base's too, which split BTF's records may use), found
   * with a native byte search for `\0name\0` rather than a loop over records: BTF deduplicates strings, so
   * there is usually one.
   */
  offsetsOf(name: Uint8Array): number[] {
    const needle = new Uint8Array(name.length + 2);
    needle.set(name, 1);
    const section = this.bytes.subarray(this.sectionStart, this.sectionStart + (this.end - this.start));
    const out: number[] = [];
    // A split BTF's own strings need not start with the empty string, so its first name has no NUL before it.
    if (startsWith(section, needle.subarray(1))) out.push(this.start);
    for (let at = find(section, needle, 0); at >= 0; at = find(section, needle, at + 1))
      out.push(this.start + at + 1);
    return this.base ? [...this.base.offsetsOf(name), ...out] : out;
  }
}

const NodeBuffer = (globalThis as { Buffer?: typeof Buffer }).Buffer;

/** Where `needle` first occurs in `hay` from `from`: Node's native search, or a scan where there is no Buffer. */
function find(hay: Uint8Array, needle: Uint8Array, from: number): number {
  if (NodeBuffer) return NodeBuffer.from(hay.buffer, hay.byteOffset, hay.byteLength).indexOf(needle, from);
  return searchBytes(hay, needle, from);
}

/**
 * The browser's search for `\0name\0` (needles of two or more bytes): find the name's first character with the
 * native `indexOf` (the NUL bytes are everywhere), then compare the rest.
 */
export function searchBytes(hay: Uint8Array, needle: Uint8Array, from: number): number {
  for (let at = hay.indexOf(needle[1]!, from + 1); at >= 0; at = hay.indexOf(needle[1]!, at + 1)) {
    const start = at - 1;
    let k = 0;
    while (k < needle.length && hay[start + k] === needle[k]) k++;
    if (k === needle.length) return start;
  }
  return -1;
}

function startsWith(hay: Uint8Array, prefix: Uint8Array): boolean {
  if (hay.length < prefix.length) return false;
  for (let i = 0; i < prefix.length; i++) if (hay[i] !== prefix[i]) return false;
  return true;
}

/** Kernel names are ASCII; building short strings by hand beats TextDecoder's per-call cost for them. */
function decode(bytes: Uint8Array, from: number, to: number): string {
  if (to - from <= 64) {
    let s = "";
    for (let i = from; i < to; i++) {
      const c = bytes[i]!;
      if (c >= 0x80) return utf8.decode(bytes.subarray(from, to));
      s += String.fromCharCode(c);
    }
    return s;
  }
  return utf8.decode(bytes.subarray(from, to));
}

export const encodeName = (name: string): Uint8Array => new TextEncoder().encode(name);
