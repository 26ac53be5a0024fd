import { thousands } from "@memdesc/core/format";
import type { VmstatCounter } from "../counters/kernel.js";
import type { Survey } from "../survey-core.js";
import { vmstatChurn, vmstatValue } from "./account.js";

/** One use the page map counts, next to the kernel's counter for it. */
export interface CrossCheckRow {
  /** What is compared: `file pages`, `slabs`, `today's memmap`. */
  readonly what: string;
  readonly unit: "pages" | "slabs" | "folios" | "bytes";
  /** What the page map (or the bill made from it) says. */
  readonly pageMap: number;
  /** What the kernel's counter says (vmstat: the midpoint of its readings before and after the page map). */
  readonly kernel: number;
  /** The counter, or the sum of counters. */
  readonly counter: string;
  readonly file: string;
  /** pageMap − kernel. */
  readonly difference: number;
  /** The difference as a percentage of the kernel's figure (null when that is 0). */
  readonly percent: number | null;
  /** Within 1 %. */
  readonly agrees: boolean;
  /** How far the counter moved while the page map was read, when read twice. */
  readonly churn: number | undefined;
  /** Why the two cannot agree exactly, when they need not. */
  readonly reason: string | undefined;
}

const n = thousands;

/** Why a counter read once may not agree: it was read before the page map, which took a while. */
const readOnce = "read once, before the page map: pages that changed use while the map was read show here";

/** The tolerance within which a quiet machine's page map and counters agree. */
export const agreeWithinPercent = 1;

function row(
  what: string,
  unit: CrossCheckRow["unit"],
  pageMap: number,
  kernel: number,
  counter: string,
  file: string,
  churn: number | undefined,
  known: string | undefined,
  readOnce = "",
): CrossCheckRow {
  const difference = pageMap - kernel;
  const percent = kernel === 0 ? (difference === 0 ? 0 : null) : (difference / kernel) * 100;
  const agrees = percent !== null && Math.abs(percent) <= agreeWithinPercent;
  // A row that agrees needs no explanation; one that does not says what the counter counts beyond the page
  // map's use, and how much it moved while the page map was read.
  const reasons: string[] = [];
  if (!agrees && known) reasons.push(known);
  if (!agrees && churn !== undefined && churn > 0)
    reasons.push(`the counter moved by ${n(churn)} while the page map was read`);
  if (!agrees && churn === undefined && readOnce) reasons.push(readOnce);
  return {
    what,
    unit,
    pageMap,
    kernel,
    counter,
    file,
    difference,
    percent,
    agrees,
    churn,
    reason: reasons.length > 0 ? reasons.join("; ") : undefined,
  };
}

/**
 * The page map against the kernel's own counters: file, anon, slab (pages and slabs, against /proc/slabinfo and
 * the vmstat counters), page tables, free pages, hugetlb pages, anonymous THP by size and, given the bill's
 * today total (and whether that bill applied HVO), today's memmap against `nr_memmap_pages + nr_memmap_boot_pages`
 * (the kernel takes the struct pages HVO frees off both counters: mm/hugetlb_vmemmap.c). A row is left out when its
 * counter cannot be read (the survey names those once). On a quiet machine the rows agree within 1 %; where
 * they cannot (a counter counting more, churn during the read) the row says why.
 */
export function crossCheck(s: Survey, todayMemmapBytes?: number, billHvo = false): CrossCheckRow[] {
  const k = s.kernel;
  if (!k) return [];
  const rows: CrossCheckRow[] = [];
  const vm = "/proc/vmstat";
  const u = s.uses;
  const v = (name: VmstatCounter) => vmstatValue(k, name);
  const churn = (...names: VmstatCounter[]) => {
    const c = names.map((x) => vmstatChurn(k, x));
    return c.some((x) => x === undefined) ? undefined : c.reduce<number>((a, b) => a + b!, 0);
  };

  const file = v("nr_file_pages");
  if (file !== undefined) {
    const swapcached = v("nr_swapcached") ?? 0;
    rows.push(
      row(
        "file pages",
        "pages",
        u.file.pages,
        file,
        "nr_file_pages",
        vm,
        churn("nr_file_pages"),
        swapcached > 0
          ? `nr_file_pages also counts the ${n(swapcached)} swap-cache pages (nr_swapcached), which the page map shows as anon`
          : undefined,
      ),
    );
  }
  const anon = v("nr_anon_pages");
  if (anon !== undefined)
    rows.push(
      row(
        "anon pages (and KSM)",
        "pages",
        u.anon.pages + u.ksm.pages,
        anon,
        "nr_anon_pages",
        vm,
        churn("nr_anon_pages"),
        "nr_anon_pages counts mapped anonymous pages (NR_ANON_MAPPED); anonymous folios mapped nowhere (swap cache, being freed) are in the page map only",
      ),
    );
  if (k.slabinfo) {
    const pages = k.slabinfo.reduce((a, c) => a + c.numSlabs * c.pagesPerSlab, 0);
    const slabs = k.slabinfo.reduce((a, c) => a + c.numSlabs, 0);
    rows.push(
      row(
        "slab pages",
        "pages",
        u.slab.pages,
        pages,
        "Σ num_slabs × pagesperslab",
        "/proc/slabinfo",
        undefined,
        "pagesperslab is the cache's preferred order; a slab allocated at its fallback order has fewer pages",
        readOnce,
      ),
    );
    rows.push(
      row(
        "slabs",
        "slabs",
        u.slab.descriptors,
        slabs,
        "Σ num_slabs",
        "/proc/slabinfo",
        undefined,
        undefined,
        readOnce,
      ),
    );
    // By order: each cache's slabs at its preferred order (pagesperslab) against the page map's slab folios.
    const byOrder = new Map<number, number>();
    for (const c of k.slabinfo) {
      const order = Math.log2(c.pagesPerSlab);
      if (Number.isInteger(order) && c.numSlabs > 0)
        byOrder.set(order, (byOrder.get(order) ?? 0) + c.numSlabs);
    }
    const seen = u.slab.orders.flatMap((c, o) => (c > 0 ? [o] : []));
    for (const o of [...new Set([...byOrder.keys(), ...seen])].sort((a, b) => a - b))
      rows.push(
        row(
          `slabs of order ${o}`,
          "slabs",
          u.slab.orders[o] ?? 0,
          byOrder.get(o) ?? 0,
          `Σ num_slabs, caches with pagesperslab ${2 ** o}`,
          "/proc/slabinfo",
          undefined,
          "a slab allocated at its cache's fallback order counts at the preferred order in slabinfo",
          readOnce,
        ),
      );
  }
  const rec = v("nr_slab_reclaimable");
  const unrec = v("nr_slab_unreclaimable");
  if (rec !== undefined && unrec !== undefined) {
    const large = s.billed.largeKmalloc.pages;
    rows.push(
      row(
        "slab pages (vmstat)",
        "pages",
        u.slab.pages,
        rec + unrec,
        "nr_slab_reclaimable + nr_slab_unreclaimable",
        vm,
        churn("nr_slab_reclaimable", "nr_slab_unreclaimable"),
        `the counters also count large kmalloc (mm/slub.c), billed apart as largeKmalloc: ${n(large)} pages`,
      ),
    );
  }
  const pt = v("nr_page_table_pages");
  if (pt !== undefined)
    rows.push(
      row(
        "page tables",
        "pages",
        u.pagetable.pages,
        pt,
        "nr_page_table_pages",
        vm,
        churn("nr_page_table_pages"),
        undefined,
      ),
    );
  const free = v("nr_free_pages");
  if (free !== undefined)
    rows.push(
      row(
        "free pages",
        "pages",
        u.free.pages,
        free,
        "nr_free_pages",
        vm,
        churn("nr_free_pages"),
        [
          "nr_free_pages leaves out free blocks in isolated pageblocks (account_freepages(), mm/page_alloc.c), which read BUDDY",
          s.billed.pcp.counted !== "pfn"
            ? `pages on per-CPU lists are in neither (${n(s.billed.pcp.pages)}, billed apart as pcp)`
            : undefined,
        ]
          .filter(Boolean)
          .join("; "),
      ),
    );
  if (k.hugetlb && k.hugetlb.length > 0) {
    const pages = k.hugetlb.reduce((a, p) => a + (p.total * p.kB * 1024) / s.pageSize, 0);
    rows.push(
      row(
        "hugetlb pages",
        "pages",
        u.hugetlb.pages,
        pages,
        "Σ nr_hugepages × size",
        "/sys/kernel/mm/hugepages",
        undefined,
        undefined,
        readOnce,
      ),
    );
  }
  for (const t of k.thp ?? []) {
    const order = Math.log2((t.kB * 1024) / s.pageSize);
    if (!Number.isInteger(order) || order < 1) continue;
    const folios = u.anon.orders[order] ?? 0;
    if (folios === 0 && t.nrAnon === 0) continue;
    rows.push(
      row(
        `anon THP ${t.kB} kB`,
        "folios",
        folios,
        t.nrAnon,
        `hugepages-${t.kB}kB/stats/nr_anon`,
        "/sys/kernel/mm/transparent_hugepage",
        undefined,
        undefined,
        readOnce,
      ),
    );
  }
  const memmap = v("nr_memmap_pages");
  const boot = v("nr_memmap_boot_pages");
  if (todayMemmapBytes !== undefined && memmap !== undefined && boot !== undefined) {
    const sysctl = k.hugetlbOptimizeVmemmap;
    const hugetlb = u.hugetlb.pages > 0;
    rows.push(
      row(
        "today's memmap",
        "bytes",
        todayMemmapBytes,
        (memmap + boot) * s.pageSize,
        "(nr_memmap_pages + nr_memmap_boot_pages) × page size",
        vm,
        churn("nr_memmap_pages", "nr_memmap_boot_pages"),
        [
          hugetlb && sysctl === 1 && !billHvo
            ? "hugetlb_optimize_vmemmap is 1 and today's bill is without HVO: the kernel freed most of the memmap of hugetlb folios allocated since"
            : undefined,
          hugetlb && sysctl === 1 && billHvo
            ? "today's bill applies HVO to every hugetlb folio; folios allocated before hugetlb_optimize_vmemmap was set keep all their struct pages"
            : undefined,
          hugetlb && sysctl !== 1 && billHvo
            ? `today's bill applies HVO, and hugetlb_optimize_vmemmap is ${sysctl === undefined ? "not known" : sysctl}: the kernel kept the memmap of its hugetlb folios`
            : undefined,
          "the counters also count struct page_ext (page_owner, page_table_check and other page extensions)",
        ]
          .filter(Boolean)
          .join("; "),
      ),
    );
  }
  return rows;
}
