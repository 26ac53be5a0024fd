import { z } from "zod";
import { useNamePattern } from "./uses.js";

const count = z.number().int().nonnegative();

/** Descriptors by allocation order, keyed by the order ("0" … "18"). */
export const orderHistogramSchema = z.record(
  z.string().regex(/^\d+$/, "order keys are whole numbers"),
  count,
);

export const pictureEntrySchema = z
  .object({
    /** PFNs used this way. */
    pages: count,
    /** Descriptors the memdesc design would allocate for them: one per folio or slab, not per page. */
    descriptors: count,
    /** The same descriptors by order; their counts sum to `descriptors`. */
    orders: orderHistogramSchema.optional(),
  })
  .superRefine((e, ctx) => {
    if (!e.orders) return;
    let sum = 0;
    let pages = 0;
    for (const [order, n] of Object.entries(e.orders)) {
      sum += n;
      pages += n * 2 ** Number(order);
    }
    if (sum !== e.descriptors)
      ctx.addIssue({
        code: "custom",
        path: ["orders"],
        message: `orders sum to ${sum}, not ${e.descriptors}`,
      });
    if (pages > e.pages)
      ctx.addIssue({
        code: "custom",
        path: ["orders"],
        message: `orders cover ${pages} pages, more than ${e.pages}`,
      });
  });

/**
 * A memory picture: how many pages are used for what, and how many descriptors that takes. A survey of a
 * real machine, a simulation or a hand-written what-if all produce one, and `bill()` prices it.
 */
export const pictureSchema = z
  .object({
    pageSize: z.number().int().positive().default(4096),
    /** Where the numbers come from: `survey of host (6.18.44)`, `simulation of database preset`. */
    source: z.string().optional(),
    /**
     * Whether the HugeTLB vmemmap optimisation was on where the picture was taken (a survey reads
     * `/proc/sys/vm/hugetlb_optimize_vmemmap`): today's memmap of each hugetlb folio is then one page.
     */
    hvo: z.boolean().optional(),
    /** By memory use: core's (`file`, `slab`, …) or one a plugin declares (`iommu`). */
    uses: z.record(
      z
        .string()
        .regex(useNamePattern, "a memory use is lower-case letters first, then letters, digits and dashes"),
      pictureEntrySchema,
    ),
  })
  .strict();

export type Picture = z.output<typeof pictureSchema>;
export type PictureInput = z.input<typeof pictureSchema>;
export type PictureEntry = z.output<typeof pictureEntrySchema>;
