import { MAX_PAGE_ORDER, MemdescError, PAGE_SHIFT, PAGE_SIZE } from "@memdesc/core";

/** A size that iommu-pages cannot allocate, or a call the kernel would refuse. */
export class IommuPagesError extends MemdescError {
  constructor(code: "BAD_SIZE" | "ORDER_TOO_LARGE" | "GFP_HIGHMEM", message: string) {
    super(code, message);
  }
}

const checkSize = (size: number, fn: string) => {
  if (!Number.isSafeInteger(size) || size < 0)
    throw new IommuPagesError("BAD_SIZE", `${fn}: size must be a whole number of bytes ≥ 0, got ${size}`);
};

/**
 * `get_order(size)`: the smallest order whose block (`PAGE_SIZE << order`) holds `size` bytes; 0 for anything
 * up to a page. The kernel leaves `get_order(0)` undefined, so it is an error here.
 */
export function getOrder(size: number): number {
  checkSize(size, "get_order");
  if (size === 0)
    throw new IommuPagesError("BAD_SIZE", "get_order(0) is undefined: size must be at least 1 byte");
  // (size - 1) >> PAGE_SHIFT, then fls(): the number of bits needed.
  let rest = Math.floor((size - 1) / PAGE_SIZE);
  let order = 0;
  while (rest > 0) {
    order++;
    rest = Math.floor(rest / 2);
  }
  return order;
}

/** `roundup_pow_of_two(n)`: the smallest power of two ≥ n (n ≥ 1). */
export function roundUpPowOfTwo(n: number): number {
  checkSize(n, "roundup_pow_of_two");
  if (n === 0) throw new IommuPagesError("BAD_SIZE", "roundup_pow_of_two(0) is undefined");
  let p = 1;
  while (p < n) p *= 2;
  return p;
}

/** `is_power_of_2(n)`. */
export function isPowerOfTwo(n: number): boolean {
  if (!Number.isSafeInteger(n) || n <= 0) return false;
  let m = n;
  while (m % 2 === 0) m /= 2;
  return m === 1;
}

export interface IommuAllocOptions {
  /** `gfp & __GFP_HIGHMEM`: iommu-pages needs `page_address()`, so it warns and returns NULL. */
  readonly highmem?: boolean;
  /** Largest order the buddy allocator serves (default MAX_PAGE_ORDER, 10 on x86-64). */
  readonly maxOrder?: number;
}

/** What one `iommu_alloc_pages_node_sz(nid, gfp, size)` call allocates and promises. */
export interface IommuAllocation {
  /** The size asked for. */
  readonly size: number;
  /** `get_order(size)`: the folio allocated is of this order. */
  readonly order: number;
  /** `1 << order`: pages allocated, added to both NR_IOMMU_PAGES and NR_SECONDARY_PAGETABLE. */
  readonly pages: number;
  /** `PAGE_SIZE << order`: bytes allocated today (a sub-page size still takes a whole page). */
  readonly allocatedBytes: number;
  /** `roundup_pow_of_two(size)`: the bytes the caller may use, as the API promises. */
  readonly coveredBytes: number;
  /** The allocation is physically aligned to its size: `coveredBytes` (the folio is aligned to `allocatedBytes`). */
  readonly alignment: number;
  /** The covered size is smaller than a CPU page (1/4 and 1/16 are common); today it still takes a whole page. */
  readonly subPage: boolean;
  /** `allocatedBytes - coveredBytes`: what a sub-page size wastes until sub-page allocation exists. */
  readonly wastedBytes: number;
  /** The node and lruvec statistics the allocation adds to (and `iommu_free_pages()` subtracts). */
  readonly stats: { readonly NR_IOMMU_PAGES: number; readonly NR_SECONDARY_PAGETABLE: number };
}

/**
 * The sizing of `iommu_alloc_pages_node_sz(nid, gfp, size)` (drivers/iommu/iommu-pages.c): a zeroed folio of
 * `get_order(size)`, covering `roundup_pow_of_two(size)` bytes and physically aligned to that size. Where the
 * kernel would warn and return NULL (`__GFP_HIGHMEM`, an order the buddy allocator cannot serve), this throws
 * an `IommuPagesError` saying why.
 */
export function iommuAllocPagesNodeSz(size: number, options: IommuAllocOptions = {}): IommuAllocation {
  checkSize(size, "iommu_alloc_pages_node_sz");
  if (options.highmem)
    throw new IommuPagesError(
      "GFP_HIGHMEM",
      "iommu_alloc_pages_node_sz: __GFP_HIGHMEM is refused (WARN_ON, NULL): the pages are used through page_address()",
    );
  if (size === 0)
    throw new IommuPagesError(
      "BAD_SIZE",
      "iommu_alloc_pages_node_sz: size 0 has no order (get_order(0) is undefined)",
    );
  const order = getOrder(size);
  const maxOrder = options.maxOrder ?? MAX_PAGE_ORDER;
  if (order > maxOrder)
    throw new IommuPagesError(
      "ORDER_TOO_LARGE",
      `iommu_alloc_pages_node_sz: size ${size} needs order ${order}, above MAX_PAGE_ORDER (${maxOrder}); __folio_alloc_node() fails`,
    );
  const pages = 2 ** order;
  const allocatedBytes = pages * PAGE_SIZE;
  const coveredBytes = roundUpPowOfTwo(size);
  return {
    size,
    order,
    pages,
    allocatedBytes,
    coveredBytes,
    alignment: coveredBytes,
    subPage: coveredBytes < PAGE_SIZE,
    wastedBytes: allocatedBytes - coveredBytes,
    stats: { NR_IOMMU_PAGES: pages, NR_SECONDARY_PAGETABLE: pages },
  };
}

/** `ioptdesc_mem_size(desc)`: `1 << (folio_order + PAGE_SHIFT)`, the bytes a descriptor's folio spans. */
export function ioptdescMemSize(order: number): number {
  if (!Number.isInteger(order) || order < 0)
    throw new IommuPagesError(
      "BAD_SIZE",
      `ioptdesc_mem_size: order must be a whole number ≥ 0, got ${order}`,
    );
  return 2 ** (order + PAGE_SHIFT);
}
