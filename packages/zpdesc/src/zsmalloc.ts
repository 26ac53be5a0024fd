import { MemdescError, PAGE_SHIFT, PAGE_SIZE } from "@memdesc/core";

/*
 * zsmalloc's sizing (mm/zsmalloc.c, Linux 6.18, x86-64 with 4 KiB pages).
 */

/** ZSPAGE_MAGIC: the value of `zspage->magic`. */
export const ZSPAGE_MAGIC = 0x58;
/** ZS_ALIGN: objects (and so first_obj_offset) are multiples of 8 bytes. */
export const ZS_ALIGN = 8;
/** CLASS_BITS: 8, so ZS_SIZE_CLASS_DELTA = PAGE_SIZE >> 8 = 16. */
export const CLASS_BITS = 8;
export const ZS_SIZE_CLASS_DELTA = PAGE_SIZE >> CLASS_BITS;
/** ZS_MAX_ALLOC_SIZE: the largest object is a page. */
export const ZS_MAX_ALLOC_SIZE = PAGE_SIZE;
/** MAX_POSSIBLE_PHYSMEM_BITS on x86-64 (52, for 5-level paging), which sizes the object index in a handle. */
export const MAX_POSSIBLE_PHYSMEM_BITS = 52;
/** OBJ_INDEX_BITS: BITS_PER_LONG - (MAX_POSSIBLE_PHYSMEM_BITS - PAGE_SHIFT). */
export const OBJ_INDEX_BITS = 64 - (MAX_POSSIBLE_PHYSMEM_BITS - PAGE_SHIFT);
/** CONFIG_ZSMALLOC_CHAIN_SIZE: the default, and its Kconfig range. */
export const DEFAULT_ZSMALLOC_CHAIN_SIZE = 8;
export const ZSMALLOC_CHAIN_SIZE_RANGE = [4, 16] as const;
/** PGTY_zsmalloc: the page type in the top byte of `page_type` (and so of `zpdesc->first_obj_offset`). */
export const PGTY_ZSMALLOC = 0xf6;
/** FIRST_OBJ_PAGE_TYPE_MASK: the low 24 bits of first_obj_offset are the offset. */
export const FIRST_OBJ_PAGE_TYPE_MASK = 0xffffff;

export class ZsmallocError extends MemdescError {
  constructor(message: string) {
    super("BAD_ZSMALLOC", message);
  }
}

function whole(n: number, what: string, min: number, max: number): number {
  if (!Number.isInteger(n) || n < min || n > max)
    throw new ZsmallocError(`${what} must be a whole number from ${min} to ${max}, got ${n}`);
  return n;
}

/** Checks CONFIG_ZSMALLOC_CHAIN_SIZE against its Kconfig range. */
export function checkChainSize(chainSize: number): number {
  return whole(chainSize, "CONFIG_ZSMALLOC_CHAIN_SIZE", ...ZSMALLOC_CHAIN_SIZE_RANGE);
}

/** ZS_MIN_ALLOC_SIZE: MAX(32, ZS_MAX_PAGES_PER_ZSPAGE << PAGE_SHIFT >> OBJ_INDEX_BITS); 32 on x86-64. */
export function zsMinAllocSize(chainSize = DEFAULT_ZSMALLOC_CHAIN_SIZE): number {
  return Math.max(32, Math.floor((checkChainSize(chainSize) * PAGE_SIZE) / 2 ** OBJ_INDEX_BITS));
}

/** ZS_SIZE_CLASSES: DIV_ROUND_UP(ZS_MAX_ALLOC_SIZE - ZS_MIN_ALLOC_SIZE, ZS_SIZE_CLASS_DELTA) + 1 (255). */
export function zsSizeClassCount(chainSize = DEFAULT_ZSMALLOC_CHAIN_SIZE): number {
  return Math.ceil((ZS_MAX_ALLOC_SIZE - zsMinAllocSize(chainSize)) / ZS_SIZE_CLASS_DELTA) + 1;
}

/** The object size of class `index`: ZS_MIN_ALLOC_SIZE + index × ZS_SIZE_CLASS_DELTA, at most a page. */
export function classSizeOf(index: number, chainSize = DEFAULT_ZSMALLOC_CHAIN_SIZE): number {
  whole(index, "size class index", 0, zsSizeClassCount(chainSize) - 1);
  return Math.min(ZS_MAX_ALLOC_SIZE, zsMinAllocSize(chainSize) + index * ZS_SIZE_CLASS_DELTA);
}

/** `get_size_class_index(size)`: the class whose objects are big enough for `size` bytes. */
export function sizeClassIndex(size: number, chainSize = DEFAULT_ZSMALLOC_CHAIN_SIZE): number {
  whole(size, "size", 0, Number.MAX_SAFE_INTEGER);
  const min = zsMinAllocSize(chainSize);
  const idx = size > min ? Math.ceil((size - min) / ZS_SIZE_CLASS_DELTA) : 0;
  return Math.min(zsSizeClassCount(chainSize) - 1, idx);
}

/**
 * `calculate_zspage_chain_size(class_size)`: how many pages a zspage of this class chains, the count from 1
 * to CONFIG_ZSMALLOC_CHAIN_SIZE that wastes least at the end (the first of equals); 1 for a power of two.
 */
export function calculateZspageChainSize(classSize: number, chainSize = DEFAULT_ZSMALLOC_CHAIN_SIZE): number {
  whole(classSize, "class size", 1, ZS_MAX_ALLOC_SIZE);
  checkChainSize(chainSize);
  if ((classSize & (classSize - 1)) === 0) return 1;
  let best = 1;
  let minWaste = Number.POSITIVE_INFINITY;
  for (let i = 1; i <= chainSize; i++) {
    const waste = (i * PAGE_SIZE) % classSize;
    if (waste < minWaste) {
      minWaste = waste;
      best = i;
    }
  }
  return best;
}

/** One size class of a pool, as `zs_create_pool()` sets it up. */
export interface SizeClass {
  readonly index: number;
  readonly size: number;
  /** `pages_per_zspage` */
  readonly pagesPerZspage: number;
  /** `objs_per_zspage`: pages × PAGE_SIZE / size */
  readonly objsPerZspage: number;
  /** A huge class: one object in a one-page zspage, whose zpdesc keeps the object's handle. */
  readonly huge: boolean;
  /**
   * When set, this index shares the larger class `mergedInto` (same pages and objects per zspage,
   * `can_merge()`), so no zspage ever has this class's size.
   */
  readonly mergedInto?: number;
}

const poolCache = new Map<number, { classes: readonly SizeClass[]; hugeClassSize: number }>();

/**
 * The size classes of a zsmalloc pool, as `zs_create_pool()` builds them from the largest down: each index's
 * size, zspage chain length and objects per zspage, and whether it is merged into the next larger class.
 */
export function zsSizeClasses(chainSize = DEFAULT_ZSMALLOC_CHAIN_SIZE): readonly SizeClass[] {
  return pool(chainSize).classes;
}

/**
 * `huge_class_size`: objects of at least this many bytes go to a huge class (one per page). It is the size
 * of the largest class that holds several objects in a multi-page zspage, less ZS_HANDLE_SIZE - 1.
 */
export function hugeClassSize(chainSize = DEFAULT_ZSMALLOC_CHAIN_SIZE): number {
  return pool(chainSize).hugeClassSize;
}

function pool(chainSize: number) {
  const cached = poolCache.get(chainSize);
  if (cached) return cached;
  const count = zsSizeClassCount(chainSize);
  const classes: SizeClass[] = new Array(count);
  let prev: SizeClass | undefined;
  let huge = 0;
  for (let i = count - 1; i >= 0; i--) {
    const size = classSizeOf(i, chainSize);
    const pagesPerZspage = calculateZspageChainSize(size, chainSize);
    const objsPerZspage = Math.floor((pagesPerZspage * PAGE_SIZE) / size);
    if (pagesPerZspage !== 1 && objsPerZspage !== 1 && huge === 0) huge = size - (8 - 1);
    const base = {
      index: i,
      size,
      pagesPerZspage,
      objsPerZspage,
      huge: pagesPerZspage === 1 && objsPerZspage === 1,
    };
    if (prev && prev.pagesPerZspage === pagesPerZspage && prev.objsPerZspage === objsPerZspage) {
      classes[i] = { ...base, mergedInto: prev.index };
      continue;
    }
    classes[i] = base;
    prev = base;
  }
  const result = { classes: Object.freeze(classes), hugeClassSize: huge };
  poolCache.set(chainSize, result);
  return result;
}

/** The size class a zspage of `size`-byte objects belongs to, if `size` is a class that holds zspages. */
export function zspageClass(size: number, chainSize = DEFAULT_ZSMALLOC_CHAIN_SIZE): SizeClass | undefined {
  const c = zsSizeClasses(chainSize).find((k) => k.size === size);
  return c && c.mergedInto === undefined ? c : undefined;
}

/**
 * `first_obj_offset` of each page of a zspage, as `init_zspage()` sets it: where the first object that
 * starts in that page begins. Objects run across page boundaries, so page i's is
 * `(size - (i × PAGE_SIZE) mod size) mod size`.
 */
export function firstObjOffsets(classSize: number, pages: number): number[] {
  whole(classSize, "class size", 1, ZS_MAX_ALLOC_SIZE);
  whole(pages, "pages", 1, ZSMALLOC_CHAIN_SIZE_RANGE[1]);
  const out: number[] = [];
  for (let i = 0; i < pages; i++) out.push((classSize - ((i * PAGE_SIZE) % classSize)) % classSize);
  return out;
}

/** The 32-bit `page_type` / `first_obj_offset` word: PGTY_zsmalloc in the top byte, the offset below. */
export function zpdescPageType(firstObjOffset: number): number {
  whole(firstObjOffset, "first_obj_offset", 0, FIRST_OBJ_PAGE_TYPE_MASK);
  return ((PGTY_ZSMALLOC << 24) >>> 0) + firstObjOffset;
}

/** Splits a `first_obj_offset` word into its page type and offset (`get_first_obj_offset()`). */
export function decodeZpdescPageType(word: number): { pageType: number; firstObjOffset: number } {
  whole(word, "page_type word", 0, 0xffffffff);
  return { pageType: word >>> 24, firstObjOffset: word & FIRST_OBJ_PAGE_TYPE_MASK };
}
