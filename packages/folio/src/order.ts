import {
  type AbiName,
  HPAGE_PMD_ORDER,
  HPAGE_PUD_ORDER,
  type KernelConfig,
  type Layout,
  layoutOf,
  linux618,
  MAX_PAGE_ORDER,
  page,
} from "@memdesc/core";
import { FolioError } from "./errors.js";
import { folioPageMembers, folioToday } from "./today.js";

/*
 * Folio arithmetic that needs no memory model: order ↔ number of pages, which struct page (and cacheline) each of
 * today's folio fields lives in, and from which order a folio needs the large memdesc-era descriptor.
 */

/** Orders of hugetlb folios on x86-64: 2 MiB (PMD) and 1 GiB (PUD) pages. */
export const hugetlbOrders: readonly number[] = [HPAGE_PMD_ORDER, HPAGE_PUD_ORDER];

/** The largest order a folio can have: a 1 GiB hugetlb page, above the buddy allocator's MAX_PAGE_ORDER. */
export const maxFolioOrder = Math.max(MAX_PAGE_ORDER, ...hugetlbOrders);

/** Whether a folio of this order can exist: 0..MAX_PAGE_ORDER from the buddy allocator, or a hugetlb order. */
export function isFolioOrder(order: number): boolean {
  return (
    Number.isInteger(order) && ((order >= 0 && order <= MAX_PAGE_ORDER) || hugetlbOrders.includes(order))
  );
}

/** `folio_nr_pages()`: the pages a folio of `order` covers, `1 << order`. */
export function folioNrPages(order: number): number {
  if (!isFolioOrder(order))
    throw new FolioError(
      "BAD_ORDER",
      `order ${order} is not a folio order (0..${MAX_PAGE_ORDER}, or hugetlb ${hugetlbOrders.join(" or ")})`,
    );
  return 2 ** order;
}

/** `folio_order()` from a page count: the order whose folio covers exactly `nrPages` pages. */
export function folioOrder(nrPages: number): number {
  if (!Number.isInteger(nrPages) || nrPages < 1 || (nrPages & (nrPages - 1)) !== 0)
    throw new FolioError("BAD_NR_PAGES", `${nrPages} pages is not a folio: a folio covers 2^order pages`);
  const order = Math.log2(nrPages);
  if (!isFolioOrder(order))
    throw new FolioError(
      "BAD_NR_PAGES",
      `${nrPages} pages is order ${order}, which no folio has (0..${MAX_PAGE_ORDER}, or hugetlb ${hugetlbOrders.join(" or ")})`,
    );
  return order;
}

/** Where one of today's folio fields lives. */
export interface FolioFieldPlace {
  /** The field's C access path in struct folio (`_deferred_list`). */
  readonly field: string;
  readonly offset: number;
  readonly size: number;
  /** Which struct page of the folio holds it: 0 for the head page, 1..3 for the tail pages. */
  readonly page: number;
  /** Its offset inside that struct page. */
  readonly pageOffset: number;
  /** Which cacheline of the folio it starts in (a struct page is a cacheline on x86-64; not on 32-bit). */
  readonly cacheline: number;
  /** The smallest folio order that has that page, so the smallest order for which the field exists. */
  readonly minOrder: number;
}

export interface FolioLayoutOptions {
  readonly abi?: AbiName;
  readonly config?: KernelConfig;
}

const layouts = new Map<string, { folio: Layout; page: Layout }>();
function laidOut(options: FolioLayoutOptions): { folio: Layout; page: Layout } {
  const abi = options.abi ?? "lp64";
  const config = options.config ?? linux618;
  const key = `${abi}:${JSON.stringify(config)}`;
  let l = layouts.get(key);
  if (!l) {
    l = { folio: layoutOf(folioToday, { abi, config }), page: layoutOf(page, { abi, config }) };
    layouts.set(key, l);
  }
  return l;
}

/** The smallest order whose folio has a struct page at index `pageIndex` (it needs `pageIndex + 1` pages). */
export function minOrderForPage(pageIndex: number): number {
  return Math.ceil(Math.log2(pageIndex + 1));
}

/**
 * Every field of today's struct folio (not the `struct page` views it overlays), with the struct page and
 * cacheline it lives in and the smallest order that has it.
 */
export function folioFieldPlaces(options: FolioLayoutOptions = {}): FolioFieldPlace[] {
  const { folio, page: pageLayout } = laidOut(options);
  // The folio's own members: named, reached only through anonymous structs and unions (no `.` in the path),
  // and not the struct page views.
  return folio.fields
    .filter((f) => !f.anonymous && !f.path.includes(".") && !folioPageMembers.includes(f.path))
    .map((f) => {
      const pageIndex = Math.floor(f.offset / pageLayout.size);
      return {
        field: f.path,
        offset: f.offset,
        size: f.size,
        page: pageIndex,
        pageOffset: f.offset - pageIndex * pageLayout.size,
        cacheline: Math.floor(f.offset / folio.cacheline),
        minOrder: minOrderForPage(pageIndex),
      };
    });
}

/** Where one of today's folio fields lives; a field struct folio lacks is a `FolioError`. */
export function folioFieldPlace(field: string, options: FolioLayoutOptions = {}): FolioFieldPlace {
  const place = folioFieldPlaces(options).find((p) => p.field === field);
  if (!place)
    throw new FolioError("UNKNOWN_FIELD", `struct folio has no field ${field} (${options.abi ?? "lp64"})`);
  return place;
}

/** The fields of today's folio that live in tail pages: what a large memdesc-era folio must carry. */
export function largeFolioFieldPlaces(options: FolioLayoutOptions = {}): FolioFieldPlace[] {
  return folioFieldPlaces(options).filter((p) => p.page > 0);
}

/**
 * The tail-page fields a folio of `order` has today: none at order 0, the first tail page's from order 1, all
 * of them from order 2.
 */
export function largeFieldsAt(order: number, options: FolioLayoutOptions = {}): FolioFieldPlace[] {
  folioNrPages(order);
  return largeFolioFieldPlaces(options).filter((p) => p.minOrder <= order);
}

/**
 * Whether a folio of `order` needs the large memdesc-era descriptor (FolioAlloc's `folio_large_slab`): exactly
 * when today's folio of that order has fields in tail pages, which is from order 1.
 */
export function needsLargeDescriptor(order: number, options: FolioLayoutOptions = {}): boolean {
  return largeFieldsAt(order, options).length > 0;
}
