import { MemdescError, PAGE_SHIFT } from "@memdesc/core";

/** Page-table levels, root last: the names the kernel uses (`pte_t`, `pmd_t`, `pud_t`, `p4d_t`, `pgd_t`). */
export const ptLevels = ["pte", "pmd", "pud", "p4d", "pgd"] as const;
export type PtLevel = (typeof ptLevels)[number];

/** PTRS_PER_PTE and friends on x86-64: 512 eight-byte entries per 4 KiB table. */
export const PTRS_PER_TABLE = 512;
const LEVEL_BITS = 9;

/**
 * Bytes one table of each level maps on x86-64: PMD_SIZE for a PTE table (2 MiB), PUD_SIZE for a PMD table
 * (1 GiB), P4D_SIZE for a PUD table (512 GiB), and with 5-level paging PGDIR_SIZE for a P4D table (256 TiB).
 */
export function tableSpanShift(level: PtLevel): number {
  return PAGE_SHIFT + LEVEL_BITS * (ptLevels.indexOf(level) + 1);
}

export type PagingLevels = 4 | 5;

/** The mapping size of the leaf entries: 4 KiB PTEs, 2 MiB PMD mappings or 1 GiB PUD mappings. */
export type LeafSize = "4k" | "2m" | "1g";

const leafShift: Record<LeafSize, number> = { "4k": PAGE_SHIFT, "2m": 21, "1g": 30 };
/** The lowest level that needs tables of its own for each leaf size. */
const lowestTable: Record<LeafSize, PtLevel> = { "4k": "pte", "2m": "pmd", "1g": "pud" };

export interface PageTablePagesOptions {
  /** 4-level (48-bit virtual addresses, P4D folded into the PGD) or 5-level (57-bit, LA57). Default 4. */
  readonly levels?: PagingLevels;
  /** First virtual address of the range (default 0). A range that straddles table boundaries needs more. */
  readonly start?: bigint | number;
  /** Leaf mapping size (default 4 KiB); 2 MiB and 1 GiB mappings need no PTE (or PMD) tables. */
  readonly leaf?: LeafSize;
  /**
   * Page-table isolation (`CONFIG_MITIGATION_PAGE_TABLE_ISOLATION`): PGD_ALLOCATION_ORDER is 1, so the PGD
   * is an order-1 allocation holding the kernel and user copies.
   */
  readonly pti?: boolean;
}

/** Page-table pages by level, and in total. */
export interface PageTablePages {
  readonly pte: number;
  readonly pmd: number;
  readonly pud: number;
  readonly p4d: number;
  readonly pgd: number;
  readonly total: number;
  /** `total × PAGE_SIZE`: the page-table memory itself (each page also has one ptdesc). */
  readonly bytes: number;
}

const big = (v: bigint | number, what: string): bigint => {
  if (typeof v === "number" && (!Number.isSafeInteger(v) || v < 0))
    throw new MemdescError("BAD_RANGE", `${what} must be a whole number ≥ 0, got ${v}`);
  const b = BigInt(v);
  if (b < 0n) throw new MemdescError("BAD_RANGE", `${what} must be ≥ 0, got ${v}`);
  return b;
};

/** Distinct aligned blocks of `2^shift` bytes that [start, end) touches. */
const blocks = (start: bigint, end: bigint, shift: number): bigint =>
  end === start ? 0n : ((end - 1n) >> BigInt(shift)) - (start >> BigInt(shift)) + 1n;

/**
 * The page-table pages x86-64 needs to map `bytes` of virtual address space from `start`: for each level,
 * how many tables of that level the range touches (a table of a level maps `2^tableSpanShift(level)`
 * bytes), plus the one PGD. With 4-level paging the P4D level is folded into the PGD and costs nothing.
 *
 * ```ts
 * pageTablePages(2 ** 30); // 1 GiB of 4 KiB pages: { pte: 512, pmd: 1, pud: 1, p4d: 0, pgd: 1, total: 515 }
 * ```
 */
export function pageTablePages(bytes: bigint | number, options: PageTablePagesOptions = {}): PageTablePages {
  const levels = options.levels ?? 4;
  if (levels !== 4 && levels !== 5)
    throw new MemdescError("BAD_RANGE", `levels must be 4 or 5 (x86-64 paging), got ${String(levels)}`);
  const leaf = options.leaf ?? "4k";
  if (!(leaf in leafShift))
    throw new MemdescError("BAD_RANGE", `leaf must be "4k", "2m" or "1g", got "${String(leaf)}"`);
  const size = big(bytes, "bytes");
  const start = big(options.start ?? 0, "start");
  const vaBits = levels === 4 ? 48 : 57;
  const end = start + size;
  if (end > 1n << BigInt(vaBits))
    throw new MemdescError(
      "BAD_RANGE",
      `range ends at 0x${end.toString(16)}, beyond the ${vaBits}-bit address space of ${levels}-level paging`,
    );
  const leafMask = (1n << BigInt(leafShift[leaf])) - 1n;
  if ((start & leafMask) !== 0n || (size & leafMask) !== 0n)
    throw new MemdescError(
      "BAD_RANGE",
      `a range mapped with ${leaf} leaves must start and end on a ${leaf} boundary (start 0x${start.toString(16)}, bytes ${size})`,
    );
  const first = ptLevels.indexOf(lowestTable[leaf]);
  const count = (level: PtLevel): number => {
    const i = ptLevels.indexOf(level);
    if (i < first) return 0;
    if (level === "pgd") return size === 0n ? 0 : options.pti ? 2 : 1;
    if (level === "p4d" && levels === 4) return 0;
    return Number(blocks(start, end, tableSpanShift(level)));
  };
  const pte = count("pte");
  const pmd = count("pmd");
  const pud = count("pud");
  const p4d = count("p4d");
  const pgd = count("pgd");
  const total = pte + pmd + pud + p4d + pgd;
  return { pte, pmd, pud, p4d, pgd, total, bytes: total * 2 ** PAGE_SHIFT };
}
