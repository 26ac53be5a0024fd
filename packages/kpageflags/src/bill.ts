import { type AnyDescriptor, type Bill, type BillOptions, bill, type Registry } from "@memdesc/core";
import { surveyPicture } from "./picture.js";
import type { Survey } from "./survey.js";

/**
 * Prices a survey with core's `bill()`: bytes of per-page metadata under every design (today's struct page,
 * path-32, buddy-16, memdesc-8 and the registry's own), per use, with the arithmetic shown, and the totals in
 * bytes, MiB and percent of RAM. A survey's uses are the kernel's: one no composed plugin declares (IOMMU pages
 * without @memdesc/ioptdesc) is billed as page entries, with a warning.
 */
export function surveyBill<Ps extends readonly AnyDescriptor[]>(
  survey: Survey,
  registry: Registry<Ps>,
  options: BillOptions = {},
): Bill {
  return bill(registry, surveyPicture(survey), { unknownUses: "warn", ...options });
}
