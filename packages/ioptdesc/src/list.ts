import { MemdescError } from "@memdesc/core";

/** A page (or block of pages) from `iommu_alloc_pages_node_sz()`, as a list holds it. */
export interface IommuPage {
  /** The address the allocation returned; it identifies the page (and so its ioptdesc). */
  readonly virt: bigint | number;
  /** `folio_order()` of the allocation. */
  readonly order: number;
  /** `ioptdesc->incoherent`: set by `iommu_pages_start_incoherent()` (after 6.18). */
  readonly incoherent?: boolean;
}

/**
 * `struct iommu_pages_list` as an immutable value: the pages linked through their `iopt_freelist_elm`, in
 * list order. `stale` says why the kernel's list head may no longer be used: after a non-empty
 * `iommu_pages_list_splice()` the `from` head still points at the moved pages, and after
 * `iommu_put_pages_list()` at freed ones; either must be re-initialised with `IOMMU_PAGES_LIST_INIT`.
 */
export interface IommuPagesList {
  readonly pages: readonly IommuPage[];
  readonly stale?: "iommu_pages_list_splice" | "iommu_put_pages_list";
}

/** Using a list head that must be re-initialised first, or linking a page twice. */
export class IommuPagesListError extends MemdescError {
  constructor(code: "STALE_LIST" | "DOUBLE_ADD" | "BAD_PAGE", message: string) {
    super(code, message);
  }
}

const key = (p: IommuPage) => BigInt(p.virt);
const hex = (p: IommuPage) => `0x${key(p).toString(16)}`;

function live(list: IommuPagesList, fn: string): readonly IommuPage[] {
  if (list.stale)
    throw new IommuPagesListError(
      "STALE_LIST",
      `${fn}: this list head was left pointing at pages it no longer owns by ${list.stale}(); re-initialise it with IOMMU_PAGES_LIST_INIT before reuse`,
    );
  return list.pages;
}

function checkPage(page: IommuPage, fn: string): void {
  const v = page.virt;
  const okVirt = typeof v === "bigint" ? v >= 0n : Number.isSafeInteger(v) && v >= 0;
  if (!okVirt)
    throw new IommuPagesListError("BAD_PAGE", `${fn}: virt must be an address ≥ 0, got ${String(v)}`);
  if (!Number.isInteger(page.order) || page.order < 0)
    throw new IommuPagesListError("BAD_PAGE", `${fn}: order must be a whole number ≥ 0, got ${page.order}`);
}

/** `IOMMU_PAGES_LIST_INIT(name)`: an empty list. */
export function iommuPagesListInit(): IommuPagesList {
  return Object.freeze({ pages: Object.freeze([]) });
}

const make = (pages: IommuPage[], stale?: IommuPagesList["stale"]): IommuPagesList =>
  Object.freeze({ pages: Object.freeze(pages), ...(stale ? { stale } : {}) });

/**
 * `iommu_pages_list_add(list, virt)`: `list_add_tail()` of the page's `iopt_freelist_elm`, so pages come off
 * in the order they were added. A page has one link, so it can be on one list once.
 */
export function iommuPagesListAdd(list: IommuPagesList, page: IommuPage): IommuPagesList {
  const pages = live(list, "iommu_pages_list_add");
  checkPage(page, "iommu_pages_list_add");
  const k = key(page);
  if (pages.some((p) => key(p) === k))
    throw new IommuPagesListError(
      "DOUBLE_ADD",
      `iommu_pages_list_add: page ${hex(page)} is already on this list; its one iopt_freelist_elm cannot be linked twice`,
    );
  return make([...pages, page]);
}

/**
 * `iommu_pages_list_splice(from, to)`: `list_splice()`, which puts `from`'s pages at the front of `to`. When
 * `from` had pages its head still points at them, so it is returned stale and must be re-initialised; an
 * empty `from` is left as it was.
 */
export function iommuPagesListSplice(
  from: IommuPagesList,
  to: IommuPagesList,
): { readonly from: IommuPagesList; readonly to: IommuPagesList } {
  const moving = live(from, "iommu_pages_list_splice");
  const staying = live(to, "iommu_pages_list_splice");
  if (moving.length === 0) return { from, to };
  const onTo = new Set(staying.map(key));
  const twice = moving.find((p) => onTo.has(key(p)));
  if (twice)
    throw new IommuPagesListError(
      "DOUBLE_ADD",
      `iommu_pages_list_splice: page ${hex(twice)} is on both lists; a page has one iopt_freelist_elm`,
    );
  return { from: make([...moving], "iommu_pages_list_splice"), to: make([...moving, ...staying]) };
}

/** `iommu_pages_list_empty(list)`: `list_empty()` of the head. */
export function iommuPagesListEmpty(list: IommuPagesList): boolean {
  return live(list, "iommu_pages_list_empty").length === 0;
}

export interface PutPagesOptions {
  /**
   * `IOMMU_PAGES_USE_DMA_API`: 0 on x86 (the default), 1 elsewhere. With it, freeing a page still marked
   * incoherent is a `WARN_ON_ONCE` in `__iommu_free_desc()`.
   */
  readonly useDmaApi?: boolean;
}

/** What `iommu_put_pages_list()` did. */
export interface PutPagesResult {
  /** The list head, stale until re-initialised. */
  readonly list: IommuPagesList;
  /** Every page, freed in list order (`list_for_each_entry_safe`, each through `folio_put()`). */
  readonly freed: readonly IommuPage[];
  /** `Σ 1 << order`: pages returned to the page allocator. */
  readonly pagesFreed: number;
  /** Subtracted from both statistics by `__iommu_free_desc()`. */
  readonly stats: { readonly NR_IOMMU_PAGES: number; readonly NR_SECONDARY_PAGETABLE: number };
  /** The kernel's warning, if any. */
  readonly warnings: readonly string[];
}

/**
 * `iommu_put_pages_list(list)`: frees every page on the list, in order. The head is not re-initialised, so it
 * comes back stale.
 */
export function iommuPutPagesList(list: IommuPagesList, options: PutPagesOptions = {}): PutPagesResult {
  const pages = live(list, "iommu_put_pages_list");
  const pagesFreed = pages.reduce((n, p) => n + 2 ** p.order, 0);
  // WARN_ON_ONCE prints once: one warning however many pages are still incoherent.
  const warnings = options.useDmaApi
    ? pages
        .filter((p) => p.incoherent)
        .map(
          (p) =>
            `__iommu_free_desc: WARN_ON_ONCE(iopt->incoherent) for page ${hex(p)}: freed while still DMA-mapped; use iommu_pages_stop_incoherent_list() first`,
        )
    : [];
  return {
    list: make([...pages], "iommu_put_pages_list"),
    freed: pages,
    pagesFreed,
    stats: { NR_IOMMU_PAGES: -pagesFreed, NR_SECONDARY_PAGETABLE: -pagesFreed },
    warnings: warnings.slice(0, 1),
  };
}
