import { MAX_PAGE_ORDER, PAGE_SIZE } from "@memdesc/core";
import { z } from "zod";
import { getOrder, isPowerOfTwo } from "./alloc.js";

/** The smallest IOMMU table iommu-pages is asked for: 1/16 of a page (256 bytes with 4 KiB pages). */
export const IOPTDESC_MIN_SIZE = PAGE_SIZE / 16;
/** The largest: one max-order block, `PAGE_SIZE << MAX_PAGE_ORDER` (4 MiB on x86-64). */
export const IOPTDESC_MAX_SIZE = PAGE_SIZE * 2 ** MAX_PAGE_ORDER;

/**
 * The field values of one ioptdesc, with the kernel's constraints:
 *
 * - `size`: bytes of the IOMMU table. iommu-pages allocations are always a power of two and physically aligned
 *   to it; sub-page sizes (1/4 and 1/16 of a page are common) are allowed, down to 1/16 of a page, and the
 *   largest is one max-order block.
 * - `order` (optional): the folio order backing it today, which must be `get_order(size)`: a sub-page table
 *   still takes a whole page.
 * - `incoherent`: the page was flushed or DMA-mapped for a walker that is not cache-coherent
 *   (`iommu_pages_start_incoherent()`, after 6.18); new allocations start coherent.
 */
export const ioptdescValueSchema = z
  .object({
    size: z
      .number({ error: "size must be a number of bytes" })
      .int({ error: "size must be a whole number of bytes", abort: true })
      .min(IOPTDESC_MIN_SIZE, `size is at least 1/16 of a page (${IOPTDESC_MIN_SIZE} bytes)`)
      .max(IOPTDESC_MAX_SIZE, `size is at most PAGE_SIZE << MAX_PAGE_ORDER (${IOPTDESC_MAX_SIZE} bytes)`)
      .refine(isPowerOfTwo, {
        error: (issue) =>
          `iommu-pages allocations are a power of two in size: ${String(issue.input)} is not (iommu_alloc_pages_node_sz rounds up to ${roundUp(issue.input)})`,
      }),
    order: z.number().int().min(0).max(MAX_PAGE_ORDER).optional(),
    incoherent: z.boolean({ error: "incoherent must be true or false" }).default(false),
  })
  .strict()
  .superRefine((v, ctx) => {
    if (v.order !== undefined && isPowerOfTwo(v.size) && v.order !== getOrder(v.size))
      ctx.addIssue({
        code: "custom",
        path: ["order"],
        message: `a ${v.size}-byte table is an order-${getOrder(v.size)} folio (get_order(${v.size})), not order ${v.order}`,
      });
  });

function roundUp(n: unknown): string {
  if (typeof n !== "number" || !Number.isFinite(n) || n <= 0) return "a power of two";
  let p = 1;
  while (p < n) p *= 2;
  return String(p);
}

export type IoptdescValue = z.output<typeof ioptdescValueSchema>;
