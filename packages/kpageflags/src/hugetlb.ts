import { thousands } from "@memdesc/core/format";
import type { KernelCounters } from "./counters/kernel.js";
import { hvoSysctl } from "./counters/sysfs.js";

export { hvoSysctl };

/*
 * What a survey knows of HugeTLB beyond kpageflags: whether the HugeTLB vmemmap optimisation (HVO) is on and the
 * pools' sizes. With HVO (mm/hugetlb_vmemmap.c; Documentation/admin-guide/sysctl/vm.rst) a hugetlb folio keeps one
 * page of its struct pages (7 of a 2 MiB folio's 8 freed, 4,095 of a 1 GiB folio's 4,096), so today's memmap costs
 * far less for hugetlb memory than 64 bytes a page.
 */

/** HugeTLB as a survey keeps it (`hugetlbStateSchema` in schema.ts checks it). */
export interface HugetlbState {
  /** `hugetlb_optimize_vmemmap`: on, off, or null when unknown (no such sysctl, or not read). */
  readonly hvo: boolean | null;
  /** Where `hvo` was read. */
  readonly hvoPath: string;
  /** Each hugetlb pool: its page size, order, pages (`nr_hugepages`) and free pages. */
  readonly pools: readonly {
    readonly sizeKiB: number;
    readonly order: number;
    readonly pages: number;
    readonly free: number;
  }[];
}

/**
 * The HugeTLB state from the counters a survey read (the sysctl and /sys/kernel/mm/hugepages, read once with the
 * rest): HVO is null where the sysctl was not read, and pools whose huge page is not a whole order above the page
 * size are left out.
 */
export function hugetlbStateOf(
  k: Pick<KernelCounters, "hugetlb" | "hugetlbOptimizeVmemmap">,
  pageSize: number,
): HugetlbState {
  const pools: { sizeKiB: number; order: number; pages: number; free: number }[] = [];
  for (const p of k.hugetlb ?? []) {
    const order = Math.log2((p.kB * 1024) / pageSize);
    if (Number.isInteger(order) && order >= 1)
      pools.push({ sizeKiB: p.kB, order, pages: p.total, free: p.free });
  }
  const v = k.hugetlbOptimizeVmemmap;
  return { hvo: v === undefined ? null : v === 1, hvoPath: hvoSysctl, pools };
}

/**
 * What a survey says of HVO and the pools, in plain words, beside what kpageflags counted as hugetlb
 * (`comparePools: false` where a cross-check row already sets the pools against the page map).
 */
export function hugetlbNotes(
  state: HugetlbState | undefined,
  hugetlbPages: number,
  options: { readonly comparePools?: boolean } = {},
): string[] {
  if (!state)
    return hugetlbPages > 0
      ? [
          "the HugeTLB vmemmap optimisation was not recorded with this page map: today's memmap is billed without it (64 bytes for every hugetlb page)",
        ]
      : [];
  const notes: string[] = [];
  if (state.hvo === null)
    notes.push(
      `${state.hvoPath} was not read (a kernel without CONFIG_HUGETLB_PAGE_OPTIMIZE_VMEMMAP has none): today's memmap is billed without HVO`,
    );
  else
    notes.push(
      `${state.hvoPath} is ${state.hvo ? 1 : 0}: today's memmap is billed ${state.hvo ? "with HVO, one page of struct pages per hugetlb folio (folios allocated before it was switched on keep all theirs)" : "without HVO, 64 bytes for every hugetlb page"}`,
    );
  const poolPages = state.pools.reduce((s, p) => s + p.pages * 2 ** p.order, 0);
  if (options.comparePools !== false && poolPages !== hugetlbPages)
    notes.push(
      `the hugetlb pools hold ${thousands(poolPages)} pages, kpageflags showed ${thousands(hugetlbPages)} hugetlb pages (the pools changed while the page map was read, or surplus pages came and went)`,
    );
  return notes;
}
