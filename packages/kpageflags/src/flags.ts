/**
 * The bits of a /proc/kpageflags word: the stable ABI bits 0–26 (`include/uapi/linux/kernel-page-flags.h`),
 * the "kernel hacking" bits 32–42 (`include/linux/kernel-page-flags.h`), and the bits 47–63 that the kernel
 * never sets but `tools/mm/page-types.c` derives itself. Letters and long names are page-types' own, so a
 * symbolic string printed here reads like page-types' output.
 */
export interface KpfBit {
  /** Bit number in the 64-bit word. */
  readonly bit: number;
  /** The kernel's macro name without the `KPF_` prefix (`COMPOUND_HEAD`). */
  readonly kernelName: string;
  /** camelCase name used in this package's API (`compoundHead`). */
  readonly name: string;
  /** page-types' one-letter symbol (tools/mm/page-types.c), or `null` where it has none (it then aborts on the bit). */
  readonly letter: string | null;
  /** page-types' long name (`compound_head`). */
  readonly longName: string;
  /** Where the bit comes from: the stable ABI, the kernel-hacking range, or page-types' derived bits. */
  readonly source: "stable" | "hacker" | "page-types";
  /** What it means on a 6.17/6.18 kernel, briefly. */
  readonly meaning: string;
}

const bit = (
  n: number,
  kernelName: string,
  name: string,
  letter: string | null,
  longName: string,
  source: KpfBit["source"],
  meaning: string,
): KpfBit => ({ bit: n, kernelName, name, letter, longName, source, meaning });

/** Every named bit, in bit order. */
export const kpfBits: readonly KpfBit[] = [
  bit(0, "LOCKED", "locked", "L", "locked", "stable", "PG_locked"),
  bit(1, "ERROR", "error", "E", "error", "stable", "dead: PG_error no longer exists"),
  bit(2, "REFERENCED", "referenced", "R", "referenced", "stable", "PG_referenced"),
  bit(3, "UPTODATE", "uptodate", "U", "uptodate", "stable", "PG_uptodate; PG_reported on free pages"),
  bit(4, "DIRTY", "dirty", "D", "dirty", "stable", "PG_dirty"),
  bit(5, "LRU", "lru", "l", "lru", "stable", "PG_lru"),
  bit(6, "ACTIVE", "active", "A", "active", "stable", "PG_active"),
  bit(7, "SLAB", "slab", "S", "slab", "stable", "slab page type, on every page of the slab"),
  bit(8, "WRITEBACK", "writeback", "W", "writeback", "stable", "PG_writeback"),
  bit(9, "RECLAIM", "reclaim", "I", "reclaim", "stable", "PG_reclaim (also readahead, isolated)"),
  bit(10, "BUDDY", "buddy", "B", "buddy", "stable", "inside a free buddy block, on every page"),
  bit(11, "MMAP", "mmap", "M", "mmap", "stable", "folio_mapped()"),
  bit(12, "ANON", "anon", "a", "anonymous", "stable", "folio->mapping low bit (artifact on slab)"),
  bit(13, "SWAPCACHE", "swapcache", "s", "swapcache", "stable", "folio_test_swapcache()"),
  bit(14, "SWAPBACKED", "swapbacked", "b", "swapbacked", "stable", "PG_swapbacked"),
  bit(15, "COMPOUND_HEAD", "compoundHead", "H", "compound_head", "stable", "first page of a compound page"),
  bit(16, "COMPOUND_TAIL", "compoundTail", "T", "compound_tail", "stable", "other pages of a compound page"),
  bit(17, "HUGE", "huge", "G", "huge", "stable", "hugetlb folio, every page"),
  bit(18, "UNEVICTABLE", "unevictable", "u", "unevictable", "stable", "PG_unevictable"),
  bit(19, "HWPOISON", "hwpoison", "X", "hwpoison", "stable", "PG_hwpoison, per page"),
  bit(20, "NOPAGE", "nopage", "n", "nopage", "stable", "no struct page; never produced since 6.15"),
  bit(21, "KSM", "ksm", "x", "ksm", "stable", "KSM folio (mapping bits; artifact on slab)"),
  bit(22, "THP", "thp", "t", "thp", "stable", "large rmappable folio of any order"),
  bit(23, "OFFLINE", "offline", "o", "offline", "stable", "offline page type (balloon, unplug)"),
  bit(24, "ZERO_PAGE", "zeroPage", "z", "zero_page", "stable", "the shared zero page or huge zero folio"),
  bit(25, "IDLE", "idle", "i", "idle_page", "stable", "PG_idle (also set by DAMON)"),
  bit(26, "PGTABLE", "pgtable", "g", "pgtable", "stable", "page-table page type (ptdesc)"),
  bit(32, "RESERVED", "reserved", "r", "reserved", "hacker", "PG_reserved"),
  bit(33, "MLOCKED", "mlocked", "m", "mlocked", "hacker", "PG_mlocked"),
  bit(34, "OWNER_2", "owner2", "d", "owner_2", "hacker", "anon_exclusive on anon, mappedtodisk on file"),
  bit(35, "PRIVATE", "private", "P", "private", "hacker", "PG_private"),
  bit(36, "PRIVATE_2", "private2", "p", "private_2", "hacker", "PG_private_2 (fscache)"),
  bit(37, "OWNER_PRIVATE", "ownerPrivate", "O", "owner_private", "hacker", "PG_owner_priv_1"),
  bit(38, "ARCH", "arch", "h", "arch", "hacker", "PG_arch_1"),
  bit(39, "UNCACHED", "uncached", "c", "uncached", "hacker", "PG_uncached"),
  bit(40, "SOFTDIRTY", "softdirty", "f", "softdirty", "hacker", "only page-types sets it, from pagemap"),
  bit(41, "ARCH_2", "arch2", "H", "arch_2", "hacker", "PG_arch_2"),
  bit(42, "ARCH_3", "arch3", "H", "arch_3", "hacker", "PG_arch_3 (arm64 MTE)"),
  bit(
    47,
    "ANON_EXCLUSIVE",
    "anonExclusive",
    "d",
    "anon_exclusive",
    "page-types",
    "page-types -r: OWNER_2 on anon",
  ),
  bit(
    48,
    "READAHEAD",
    "readahead",
    "I",
    "readahead",
    "page-types",
    "page-types -r: RECLAIM without WRITEBACK",
  ),
  bit(50, "SLUB_FROZEN", "slubFrozen", "A", "slub_frozen", "page-types", "page-types -r: ACTIVE on slab"),
  bit(51, "SLUB_DEBUG", "slubDebug", "E", "slub_debug", "page-types", "page-types -r: ERROR on slab"),
  bit(61, "FILE", "file", "F", "file", "page-types", "page-types: from pagemap"),
  bit(62, "SWAP", "swap", "w", "swap", "page-types", "page-types: from pagemap"),
  bit(63, "MMAP_EXCLUSIVE", "mmapExclusive", "1", "mmap_exclusive", "page-types", "page-types: from pagemap"),
];

/**
 * Masks of the bits the classifier tests, split into the low and high 32-bit halves of the word, so the
 * hot loop never needs a BigInt. `lo.*` are bits 0–31, `hi.*` are bits 32–63 shifted down by 32.
 */
export const kpf = {
  lo: {
    locked: 1 << 0,
    error: 1 << 1,
    referenced: 1 << 2,
    uptodate: 1 << 3,
    dirty: 1 << 4,
    lru: 1 << 5,
    active: 1 << 6,
    slab: 1 << 7,
    writeback: 1 << 8,
    reclaim: 1 << 9,
    buddy: 1 << 10,
    mmap: 1 << 11,
    anon: 1 << 12,
    swapcache: 1 << 13,
    swapbacked: 1 << 14,
    compoundHead: 1 << 15,
    compoundTail: 1 << 16,
    huge: 1 << 17,
    unevictable: 1 << 18,
    hwpoison: 1 << 19,
    nopage: 1 << 20,
    ksm: 1 << 21,
    thp: 1 << 22,
    offline: 1 << 23,
    zeroPage: 1 << 24,
    idle: 1 << 25,
    pgtable: 1 << 26,
  },
  hi: {
    reserved: 1 << 0,
    mlocked: 1 << 1,
    owner2: 1 << 2,
    private: 1 << 3,
    private2: 1 << 4,
    ownerPrivate: 1 << 5,
    arch: 1 << 6,
    uncached: 1 << 7,
    softdirty: 1 << 8,
    arch2: 1 << 9,
    arch3: 1 << 10,
  },
} as const;

/** Bits a kernel may set in a raw kpageflags word: 0–26 and 32–42. Anything else is reported as unknown. */
export const kernelBitsLo = 0x07ff_ffff;
export const kernelBitsHi = 0x0000_07ff;

const byBit = new Map(kpfBits.map((b) => [b.bit, b]));
const byName = new Map<string, KpfBit>();
for (const b of kpfBits) {
  byName.set(b.name.toLowerCase(), b);
  byName.set(b.kernelName.toLowerCase(), b);
  byName.set(b.longName.toLowerCase(), b);
}

/** The named bit at a position, or undefined. */
export function kpfBit(n: number): KpfBit | undefined {
  return byBit.get(n);
}

/** A flag word as its two unsigned 32-bit halves. */
export interface FlagWord {
  readonly lo: number;
  readonly hi: number;
}

/** Splits a flag word given as a bigint, a safe integer or a hex string into its halves. */
export function flagWord(value: bigint | number | string): FlagWord {
  const v = typeof value === "bigint" ? value : BigInt(value);
  if (v < 0n || v > 0xffff_ffff_ffff_ffffn)
    throw new RangeError(`flag word ${value} is not an unsigned 64-bit value`);
  return { lo: Number(v & 0xffff_ffffn), hi: Number(v >> 32n) };
}

/** The word as a bigint. */
export function flagWordValue(w: FlagWord): bigint {
  return (BigInt(w.hi >>> 0) << 32n) | BigInt(w.lo >>> 0);
}

/** `0x` and 16 hex digits, as page-types prints it. */
export function flagWordHex(w: FlagWord): string {
  return "0x" + (w.hi >>> 0).toString(16).padStart(8, "0") + (w.lo >>> 0).toString(16).padStart(8, "0");
}

/** The bit numbers set in a word, ascending. */
export function setBits(w: FlagWord): number[] {
  const out: number[] = [];
  for (let i = 0; i < 32; i++) if ((w.lo >>> i) & 1) out.push(i);
  for (let i = 0; i < 32; i++) if ((w.hi >>> i) & 1) out.push(32 + i);
  return out;
}

/** The set bits that no kernel or page-types name covers (1 is named but dead, and is reported by the survey). */
export function unknownBits(w: FlagWord): number[] {
  return setBits(w).filter((b) => !byBit.has(b));
}

/** The camelCase names of the set bits; unnamed bits appear as `bit27`. */
export function decodeFlags(w: FlagWord): string[] {
  return setBits(w).map((b) => byBit.get(b)?.name ?? `bit${b}`);
}

/** page-types' long-symbolic column: `slab,compound_tail`. Unnamed bits appear as `bit27`. */
export function describeFlags(w: FlagWord): string {
  return setBits(w)
    .map((b) => byBit.get(b)?.longName ?? `bit${b}`)
    .join(",");
}

/**
 * page-types' positional column: one character per bit that page-types names, the letter when set and `_`
 * when clear (45 characters). Set bits that page-types has no letter for are appended as `+bit45`, where
 * page-types itself would abort with "unknown flag bit".
 */
export function symbolicFlags(w: FlagWord): string {
  let s = "";
  let extra = "";
  for (let i = 0; i < 64; i++) {
    const set = i < 32 ? (w.lo >>> i) & 1 : (w.hi >>> (i - 32)) & 1;
    const b = byBit.get(i);
    if (b?.letter) s += set ? b.letter : "_";
    else if (set) extra += `+bit${i}`;
  }
  return s + extra;
}

/**
 * Parses a flag expression such as `slab,compound_head`, `SLAB|ANON`, `0x8080` or `buddy uptodate` into a
 * word. Names may be kernel names, camelCase names or page-types' long names, in any case.
 */
export function parseFlags(expr: string): FlagWord {
  const trimmed = expr.trim();
  if (/^0x[0-9a-f]+$/i.test(trimmed) || /^\d+$/.test(trimmed)) return flagWord(BigInt(trimmed));
  let v = 0n;
  for (const part of trimmed.split(/[\s,|]+/).filter(Boolean)) {
    const name = part.replace(/^KPF_/i, "").toLowerCase();
    const b = byName.get(name);
    if (!b) throw new RangeError(`unknown kpageflags bit name "${part}"`);
    v |= 1n << BigInt(b.bit);
  }
  return flagWord(v);
}
