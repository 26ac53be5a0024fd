import {
  DIRECT_MAP_BASE,
  kernel,
  type Memmap,
  MemmapError,
  PAGE_SIZE,
  type PageTablesParams,
  type SimulationHooks,
  type WorkloadContext,
} from "@memdesc/core";
import { type LeafSize, type PtLevel, pageTablePages } from "./paging.js";

/*
 * Page-table pages in the memmap simulator: a ptdesc per table page, per level; page tables freed through RCU
 * (lockless walkers such as gup_fast may still be reading them); and powerpc-style fragments, sub-page tables
 * carved from one page whose ptdesc counts them in `pt_frag_refcount`.
 */

const pendingFree = new WeakMap<Memmap, Set<number>>();

/**
 * `pagetable_alloc()` + `pagetable_*_ctor()`: a page-table page of `level` and its ptdesc. With page-table
 * isolation the PGD is an order-1 allocation (kernel and user copies). Returns the ptdesc, 0 when out of memory.
 */
export function ptdescAlloc(
  m: Memmap,
  level: PtLevel,
  options: { readonly nid?: number; readonly pti?: boolean } = {},
): number {
  const order = level === "pgd" && options.pti ? 1 : 0;
  const desc = m.memdescAllocNode("ptdesc", { order, nid: options.nid ?? -1, use: "pagetable" });
  if (desc !== 0)
    m.writeU64(desc, m.fieldOffset("ptdesc", "pt_flags"), m.buddy.nodeOf(m.descriptorPfn(desc)) * 2 ** 54);
  return desc;
}

/**
 * `tlb_remove_table()` → `pagetable_free()` after a grace period: the page and its ptdesc are freed once no RCU
 * walker can hold them. Freeing one already on its way out is a double free.
 */
export function ptdescFreeRcu(m: Memmap, desc: number): void {
  let pending = pendingFree.get(m);
  if (!pending) {
    pending = new Set();
    pendingFree.set(m, pending);
  }
  if (!m.isLive(desc) || pending.has(desc))
    throw new MemmapError(
      "DOUBLE_FREE",
      `page table 0x${desc.toString(16)} is already being freed: double free`,
    );
  if (m.kindOfDescriptor(desc) !== "ptdesc")
    throw new MemmapError(
      "WRONG_KIND",
      `0x${desc.toString(16)} is a ${m.kindOfDescriptor(desc)}, not a ptdesc`,
    );
  pending.add(desc);
  m.rcu.callRcu(() => {
    pending.delete(desc);
    m.free(desc, "ptdesc");
  });
}

/**
 * Sub-page page tables (powerpc's `pte_fragment_alloc()`): a page is split into `fragments` tables handed out
 * in turn; its ptdesc's `pt_frag_refcount` starts at `fragments` and each freed fragment (and each one never
 * handed out, when the allocator is destroyed) takes one off; at zero the page goes through RCU like any page
 * table. Table addresses are direct-map addresses inside the page.
 */
export class PtFragments {
  readonly fragments: number;
  readonly fragmentSize: number;
  private readonly m: Memmap;
  private readonly nid: number;
  private readonly refOffset: number;
  private current = 0;
  private next = 0;
  private readonly onNewPage: ((desc: number) => void) | undefined;

  /** `onNewPage` hears of each page started, e.g. to free it with its address space. */
  constructor(m: Memmap, fragments: number, nid = -1, onNewPage?: (desc: number) => void) {
    if (
      !Number.isInteger(fragments) ||
      fragments < 1 ||
      fragments > 16 ||
      (fragments & (fragments - 1)) !== 0
    )
      throw new MemmapError(
        "BAD_OPTIONS",
        `fragments must be a power of two from 1 to 16 (PTE_FRAG_NR), not ${fragments}`,
      );
    this.m = m;
    this.fragments = fragments;
    this.fragmentSize = PAGE_SIZE / fragments;
    this.nid = nid;
    this.refOffset = m.fieldOffset("ptdesc", "pt_frag_refcount");
    this.onNewPage = onNewPage;
  }

  /** The ptdesc of the page fragments are being handed out from (0: none yet). */
  get currentPage(): number {
    return this.current;
  }

  /** `pte_fragment_alloc()`: the address of a new table, or 0 when out of memory. */
  alloc(): number {
    if (this.current === 0 || this.next === this.fragments) {
      const desc = ptdescAlloc(this.m, "pte", { nid: this.nid });
      if (desc === 0) return 0;
      this.m.writeI32(desc, this.refOffset, this.fragments);
      this.current = desc;
      this.next = 0;
      this.onNewPage?.(desc);
    }
    const virt =
      DIRECT_MAP_BASE + this.m.descriptorPfn(this.current) * PAGE_SIZE + this.next * this.fragmentSize;
    this.next++;
    if (this.next === this.fragments) this.current = 0;
    return virt;
  }

  /** `pte_fragment_free()`: drops the page's count; the last fragment frees the page (through RCU). */
  free(virt: number): void {
    const pfn = Math.floor((virt - DIRECT_MAP_BASE) / PAGE_SIZE);
    const desc = this.m.pageDescriptor(pfn);
    if (desc === 0 || this.m.kindOfDescriptor(desc) !== "ptdesc")
      throw new MemmapError("BAD_DESCRIPTOR", `0x${virt.toString(16)} is not inside a page-table page`);
    const left = this.m.addI32(desc, this.refOffset, -1);
    if (left < 0) {
      this.m.writeI32(desc, this.refOffset, 0);
      throw new MemmapError(
        "REFCOUNT_UNDERFLOW",
        `pt_frag_refcount of page table 0x${desc.toString(16)} went below zero`,
      );
    }
    if (left === 0) {
      if (desc === this.current) this.current = 0;
      ptdescFreeRcu(this.m, desc);
    }
  }

  /** `pte_frag_destroy()`: gives back the fragments of the current page that were never handed out. */
  destroy(): void {
    if (this.current === 0) return;
    const desc = this.current;
    this.current = 0;
    const left = this.m.addI32(desc, this.refOffset, -(this.fragments - this.next));
    if (left === 0) ptdescFreeRcu(this.m, desc);
  }

  /** `pt_frag_refcount` of the page holding a fragment. */
  refcount(virt: number): number {
    const desc = this.m.pageDescriptor(Math.floor((virt - DIRECT_MAP_BASE) / PAGE_SIZE));
    return this.m.readI32(desc, this.refOffset);
  }
}

const leafBytes: Record<LeafSize, number> = { "4k": PAGE_SIZE, "2m": 2 ** 21, "1g": 2 ** 30 };

/** Tables per level one address space needs to map `bytes` with the leaf mix of `params` (x86-64 paging). */
export function processTables(
  bytes: number,
  params: Pick<PageTablesParams, "leaves" | "levels">,
): Record<PtLevel, number> {
  const total = Object.values(params.leaves).reduce((s, v) => s + v, 0) || 1;
  const out: Record<PtLevel, number> = { pte: 0, pmd: 0, pud: 0, p4d: 0, pgd: 1 };
  let start = 0;
  for (const leaf of ["4k", "2m", "1g"] as const) {
    const share = params.leaves[leaf] / total;
    const size = Math.floor((bytes * share) / leafBytes[leaf]) * leafBytes[leaf];
    if (size === 0) continue;
    // Each leaf size maps its own 1 GiB-aligned range, as separate VMAs would.
    const t = pageTablePages(size, { levels: params.levels, leaf, start });
    out.pte += t.pte;
    out.pmd += t.pmd;
    out.pud += t.pud;
    out.p4d += t.p4d;
    start += Math.ceil(size / 2 ** 30) * 2 ** 30;
  }
  return out;
}

/**
 * The `pagetables` workload action: for each process, a PGD and the PUD, PMD and PTE tables its mapping needs,
 * each a ptdesc; with `fragments` above 1, PTE tables are fragments of shared pages.
 */
export function ptdescPageTables(ctx: WorkloadContext, params: PageTablesParams): void {
  const m = ctx.memmap;
  const tables = processTables(params.bytes, params);
  for (let p = 0; p < params.processes; p++) {
    const frag = params.fragments > 1 ? new PtFragments(m, params.fragments, ctx.nid, ctx.track) : undefined;
    for (const level of ["pgd", "p4d", "pud", "pmd", "pte"] as const) {
      for (let t = 0; t < tables[level]; t++) {
        if (level === "pte" && frag) {
          if (frag.alloc() === 0) {
            ctx.failed("page tables: out of memory");
            return;
          }
          continue;
        }
        const desc = ptdescAlloc(m, level, { nid: ctx.nid });
        if (desc === 0) {
          ctx.failed("page tables: out of memory");
          return;
        }
        ctx.track(desc);
      }
    }
  }
}

/** What the ptdesc plugin gives the simulator: RCU freeing of page tables and the `pagetables` action. */
export const ptdescSimulation: SimulationHooks = {
  release: ptdescFreeRcu,
  actions: { pagetables: ptdescPageTables },
  behaviours: [
    {
      name: "page tables freed after RCU",
      what: "a page-table page and its ptdesc are freed a grace period after they are unhooked (tlb_remove_table → pagetable_free), since lockless walkers such as gup_fast may still read them",
      provenance: kernel("mm/mmu_gather.c (tlb_remove_table); include/linux/mm.h (pagetable_free)", "6.18"),
    },
    {
      name: "page-table fragments",
      what: "with fragments > 1, sub-page tables are carved from one page whose ptdesc counts them in pt_frag_refcount, as powerpc does",
      provenance: kernel("arch/powerpc/mm/pgtable-frag.c", "6.18"),
    },
  ],
};
