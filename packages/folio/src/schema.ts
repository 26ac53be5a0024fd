import { MAX_PAGE_ORDER } from "@memdesc/core";
import { z } from "zod";
import { hugetlbOrders } from "./order.js";

const int = z.number().int();

/**
 * The values of one folio, with the kernel's constraints between them. Counts are as the kernel stores them:
 * `mapcount` and `entireMapcount` start at -1 (unmapped), so -1 is their floor.
 */
export const folioValueSchema = z
  .object({
    /** `folio_order()`: 0..MAX_PAGE_ORDER, or a hugetlb order. */
    order: int.min(0, "order cannot be negative"),
    /** `folio_nr_pages()`: 2^order. Computed when left out. */
    nrPages: int.positive().optional(),
    /** A hugetlb folio, whose order is one of the hstate orders. */
    hugetlb: z.boolean().default(false),
    /** `_refcount`. */
    refcount: int.min(0, "refcount (_refcount) cannot be negative"),
    /** `_mapcount`: -1 when no page table maps the folio. */
    mapcount: int.min(-1, "mapcount (_mapcount) is -1 when unmapped and cannot be lower").default(-1),
    /** `_pincount`: FOLL_PIN pins. */
    pincount: int.min(0, "pincount (_pincount) cannot be negative").default(0),
    /** `_entire_mapcount`: PMD/PUD mappings of the whole folio, -1 when none; large folios only. */
    entireMapcount: int.min(-1, "entireMapcount (_entire_mapcount) cannot be lower than -1").optional(),
    /** `_nr_pages_mapped`: pages mapped by PTEs; large folios only. */
    nrPagesMapped: int.min(0, "nrPagesMapped (_nr_pages_mapped) cannot be negative").optional(),
  })
  .superRefine((v, ctx) => {
    const issue = (path: string, message: string) => ctx.addIssue({ code: "custom", path: [path], message });
    // Constraints between fields only once the order itself is a whole number ≥ 0, so one mistake is one issue.
    if (!Number.isInteger(v.order) || v.order < 0) return;
    if (v.hugetlb && !hugetlbOrders.includes(v.order))
      issue("order", `order ${v.order} is not a hugetlb order on x86-64 (${hugetlbOrders.join(" or ")})`);
    if (!v.hugetlb && v.order > MAX_PAGE_ORDER)
      issue(
        "order",
        hugetlbOrders.includes(v.order)
          ? `order ${v.order} is above MAX_PAGE_ORDER (${MAX_PAGE_ORDER}); only a hugetlb folio (hugetlb: true) is that large`
          : `order ${v.order} is above MAX_PAGE_ORDER (${MAX_PAGE_ORDER}) and is not a hugetlb order (${hugetlbOrders.join(" or ")})`,
      );
    const nrPages = 2 ** v.order;
    if (v.nrPages !== undefined && v.nrPages !== nrPages)
      issue("nrPages", `nrPages must be 2^order = ${nrPages} for order ${v.order}, not ${v.nrPages}`);
    // Cross-field checks only between values that passed their own checks, so one mistake gives one issue.
    if (v.refcount >= 0 && v.pincount >= 0 && v.pincount > v.refcount)
      issue("pincount", `pincount ${v.pincount} exceeds refcount ${v.refcount}: every pin holds a reference`);
    if (v.order === 0 && v.entireMapcount !== undefined)
      issue("entireMapcount", "an order-0 folio has no _entire_mapcount (large folios only)");
    if (v.order === 0 && v.nrPagesMapped !== undefined)
      issue("nrPagesMapped", "an order-0 folio has no _nr_pages_mapped (large folios only)");
    if (v.nrPagesMapped !== undefined && v.nrPagesMapped > nrPages)
      issue("nrPagesMapped", `nrPagesMapped ${v.nrPagesMapped} exceeds the folio's ${nrPages} pages`);
  })
  .transform((v) => ({ ...v, nrPages: 2 ** v.order }));

/** What a folio's values look like before validation (defaults not yet applied). */
export type FolioValueInput = z.input<typeof folioValueSchema>;
/** A validated folio: every default applied and `nrPages` filled in. */
export type FolioValue = z.output<typeof folioValueSchema>;
