import { z } from "zod";

/*
 * What a survey knows of HugeTLB beyond kpageflags: whether the HugeTLB vmemmap optimisation (HVO) is on and the
 * pools' sizes. With HVO (mm/hugetlb_vmemmap.c; Documentation/admin-guide/sysctl/vm.rst) a hugetlb folio keeps one
 * page of its struct pages (7 of a 2 MiB folio's 8 freed, 4,095 of a 1 GiB folio's 4,096), so today's memmap costs
 * far less for hugetlb memory than 64 bytes a page.
 */

export const hugetlbStateSchema = z
  .object({
    /** `hugetlb_optimize_vmemmap`: on, off, or null when unknown (no such sysctl, or not read). */
    hvo: z.boolean().nullable(),
    /** Where `hvo` was read. */
    hvoPath: z.string(),
    /** Each hugetlb pool: its page size, order, pages (`nr_hugepages`) and free pages. */
    pools: z.array(
      z.object({
        sizeKiB: z.number().int().positive(),
        order: z.number().int().positive(),
        pages: z.number().int().nonnegative(),
        free: z.number().int().nonnegative(),
      }),
    ),
  })
  .strict();

export type HugetlbState = z.output<typeof hugetlbStateSchema>;

/** What a survey says of HVO and the pools, in plain words, beside what kpageflags counted as hugetlb. */
export function hugetlbNotes(state: HugetlbState | undefined, hugetlbPages: number): string[] {
  if (!state)
    return hugetlbPages > 0
      ? [
          "the HugeTLB vmemmap optimisation was not recorded with this page map: today's memmap is billed without it (64 bytes for every hugetlb page)",
        ]
      : [];
  const notes: string[] = [];
  if (state.hvo === null)
    notes.push(
      `${state.hvoPath} does not exist (a kernel without CONFIG_HUGETLB_PAGE_OPTIMIZE_VMEMMAP): today's memmap is billed without HVO`,
    );
  else
    notes.push(
      `${state.hvoPath} is ${state.hvo ? 1 : 0}: today's memmap is billed ${state.hvo ? "with HVO, one page of struct pages per hugetlb folio (folios allocated before it was switched on keep all theirs)" : "without HVO, 64 bytes for every hugetlb page"}`,
    );
  const poolPages = state.pools.reduce((s, p) => s + p.pages * 2 ** p.order, 0);
  if (poolPages !== hugetlbPages)
    notes.push(
      `the hugetlb pools hold ${poolPages.toLocaleString("en-US")} pages, kpageflags showed ${hugetlbPages.toLocaleString("en-US")} hugetlb pages (the pools changed while the page map was read, or surplus pages came and went)`,
    );
  return notes;
}
