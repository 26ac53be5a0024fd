import type { Picture } from "@memdesc/core";
import type { BilledTally } from "./account/ledger.js";
import type { Survey } from "./survey.js";
import { type BilledUse, billedUses } from "./uses.js";

/** A one-line description of where a survey came from: `survey of /proc/kpageflags (6.18.44, x86_64)`. */
export function surveyLabel(s: Survey): string {
  const what = [s.source.kernelRelease, s.source.machine].filter(Boolean).join(", ");
  return `survey of ${s.source.path}${what ? ` (${what})` : ""}`;
}

/** Billed uses as core's picture entries: uses with no pages are left out; orders wherever there are descriptors. */
export function pictureUses(billed: Readonly<Record<BilledUse, BilledTally>>): Picture["uses"] {
  const uses: Picture["uses"] = {};
  for (const u of billedUses) {
    const t = billed[u];
    if (t.pages === 0) continue;
    const entry: { pages: number; descriptors: number; orders?: Record<string, number> } = {
      pages: t.pages,
      descriptors: t.descriptors,
    };
    if (t.descriptors > 0) {
      const orders: Record<string, number> = {};
      t.orders.forEach((n, k) => {
        if (n > 0) orders[String(k)] = n;
      });
      entry.orders = orders;
    }
    uses[u] = entry;
  }
  return uses;
}

/**
 * The survey as core's memory picture: per use, pages, descriptors and descriptors by order, after the
 * counters' attributions (IOMMU page tables, zsmalloc, large kmalloc and per-CPU pages as uses of their own),
 * and whether HVO was on (when the survey read it).
 */
export function surveyPicture(s: Survey): Picture {
  const hvo = s.hugetlb?.hvo;
  return {
    pageSize: s.pageSize,
    source: surveyLabel(s),
    ...(typeof hvo === "boolean" ? { hvo } : {}),
    uses: pictureUses(s.billed),
  };
}
