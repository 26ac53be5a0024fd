import { MemdescError } from "@memdesc/core";
import { z } from "zod";
import { ptLevels } from "./paging.js";

/** INT_MAX: `atomic_t` counters are ints. */
const INT_MAX = 2 ** 31 - 1;

/**
 * The most fragments one page-table page is split into by default: powerpc book3s64 with 64 KiB pages
 * and the hash MMU, `H_PTE_FRAG_NR` = 16 (4 KiB fragments). x86-64 never fragments page tables.
 */
export const DEFAULT_MAX_PT_FRAGMENTS = 16;

export interface PtdescSchemaOptions {
  /** PTE_FRAG_NR of the architecture modelled: the bound on `ptFragRefcount`. */
  readonly maxFragments?: number;
}

/**
 * The field values of one ptdesc, with the kernel's constraints:
 *
 * - `level`: which table the page is (`pte`, `pmd`, `pud`, `p4d`, `pgd`).
 * - `ptFragRefcount` (`pt_frag_refcount`): live fragments of a page split into sub-page tables (powerpc
 *   PTE and PMD fragments); a page with none left is freed, so 1..PTE_FRAG_NR.
 * - `ptShareCount` (`pt_share_count`): processes sharing a hugetlb PMD table beyond its owner
 *   (`huge_pmd_share`); only PMD tables are shared.
 *
 * The two counters are one `atomic_t` in a union (with `pt_index` and `pt_mm`), so a ptdesc has at most one.
 */
export function ptdescValueSchema(options: PtdescSchemaOptions = {}) {
  const maxFragments = options.maxFragments ?? DEFAULT_MAX_PT_FRAGMENTS;
  if (!Number.isInteger(maxFragments) || maxFragments < 1 || maxFragments > INT_MAX)
    throw new MemdescError("BAD_OPTION", `maxFragments must be a whole number ≥ 1, got ${maxFragments}`);
  return z
    .object({
      level: z.enum(ptLevels, { error: `level must be one of ${ptLevels.join(", ")}` }),
      ptFragRefcount: z
        .number()
        .int()
        .min(1, "pt_frag_refcount counts live fragments: a page with none is freed, so at least 1")
        .max(maxFragments, `pt_frag_refcount is at most PTE_FRAG_NR (${maxFragments}) fragments per page`)
        .optional(),
      ptShareCount: z
        .number()
        .int()
        .min(0, "pt_share_count cannot be negative")
        .max(INT_MAX, "pt_share_count is an atomic_t: at most INT_MAX")
        .optional(),
    })
    .strict()
    .superRefine((v, ctx) => {
      if (v.ptFragRefcount !== undefined && v.ptShareCount !== undefined)
        ctx.addIssue({
          code: "custom",
          path: ["ptShareCount"],
          message:
            "pt_frag_refcount and pt_share_count share one atomic_t (the union at offset 32 with pt_index and pt_mm): set at most one",
        });
      if (v.ptShareCount !== undefined && v.level !== "pmd")
        ctx.addIssue({
          code: "custom",
          path: ["ptShareCount"],
          message: `hugetlb shares PMD tables only (huge_pmd_share): pt_share_count needs level pmd, not ${v.level}`,
        });
      if (v.ptFragRefcount !== undefined && v.level !== "pte" && v.level !== "pmd")
        ctx.addIssue({
          code: "custom",
          path: ["ptFragRefcount"],
          message: `only PTE and PMD tables are fragmented (pte_fragment_alloc, pmd_fragment_alloc), not ${v.level}`,
        });
    });
}

export type PtdescValue = z.output<ReturnType<typeof ptdescValueSchema>>;
