import {
  type ActionContext,
  type DescriptorContext,
  defineAction,
  defineSimulation,
  kernel,
  PAGE_SIZE,
  SimulationError,
} from "@memdesc/core";
import { z } from "zod";
import { type LeafSize, type PtLevel, pageTablePages } from "./paging.js";

/*
 * Page-table pages in a memory simulation: a ptdesc per table page, per level; page tables freed through RCU
 * (lockless walkers such as gup_fast may still be reading them); and powerpc-style fragments, sub-page tables
 * carved from one page whose ptdesc counts them in `pt_frag_refcount`.
 */

/** What the ptdesc hooks keep per machine: where two fields are, and the tables on their way out through RCU. */
export interface PtdescState {
  readonly ptFlags: number;
  readonly fragRefcount: number;
  readonly pendingFree: Set<number>;
}

/** What the ptdesc hooks are handed. */
export type PtdescContext = DescriptorContext<PtdescState>;

function ptdescState(ctx: Omit<DescriptorContext, "state">): PtdescState {
  const at = (path: string) => {
    const o = ctx.offsetOf(path);
    if (o < 0)
      throw new SimulationError("UNKNOWN_FIELD", `kind ${ctx.kind} has no ${path}: not a ptdesc layout`);
    return o;
  };
  return { ptFlags: at("pt_flags"), fragRefcount: at("pt_frag_refcount"), pendingFree: new Set() };
}

/**
 * `pagetable_alloc()` + `pagetable_*_ctor()`: a page-table page of `level` and its ptdesc. With page-table
 * isolation the PGD is an order-1 allocation (kernel and user copies). Returns the ptdesc, 0 when out of memory.
 */
export function ptdescAlloc(
  ctx: PtdescContext,
  level: PtLevel,
  options: { readonly nid?: number; readonly pti?: boolean } = {},
): number {
  const order = level === "pgd" && options.pti ? 1 : 0;
  const desc = ctx.alloc({ order, nid: options.nid ?? -1, use: "pagetable" });
  if (desc !== 0) ctx.writeU64(desc, ctx.state.ptFlags, ctx.nodeOf(ctx.pfnOf(desc)) * 2 ** 54);
  return desc;
}

/**
 * `tlb_remove_table()` → `pagetable_free()` after a grace period: the page and its ptdesc are freed once no RCU
 * walker can hold them. Freeing one already on its way out is a double free.
 */
export function ptdescFreeRcu(ctx: PtdescContext, desc: number): void {
  const pending = ctx.state.pendingFree;
  if (!ctx.isLive(desc) || pending.has(desc))
    throw new SimulationError(
      "DOUBLE_FREE",
      `page table 0x${desc.toString(16)} is already being freed: double free`,
    );
  if (ctx.kindOf(desc) !== ctx.kind)
    throw new SimulationError(
      "WRONG_KIND",
      `0x${desc.toString(16)} is a ${ctx.kindOf(desc)}, not a ${ctx.kind}`,
    );
  pending.add(desc);
  ctx.rcu.callRcu(() => {
    pending.delete(desc);
    ctx.free(desc);
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
  private readonly ctx: PtdescContext;
  private readonly nid: number;
  private readonly refOffset: number;
  private current = 0;
  private next = 0;
  private readonly onNewPage: ((desc: number) => void) | undefined;

  /** `onNewPage` hears of each page started, e.g. to free it with its address space. */
  constructor(ctx: PtdescContext, fragments: number, nid = -1, onNewPage?: (desc: number) => void) {
    if (
      !Number.isInteger(fragments) ||
      fragments < 1 ||
      fragments > 16 ||
      (fragments & (fragments - 1)) !== 0
    )
      throw new SimulationError(
        "BAD_OPTIONS",
        `fragments must be a power of two from 1 to 16 (PTE_FRAG_NR), not ${fragments}`,
      );
    this.ctx = ctx;
    this.fragments = fragments;
    this.fragmentSize = PAGE_SIZE / fragments;
    this.nid = nid;
    this.refOffset = ctx.state.fragRefcount;
    this.onNewPage = onNewPage;
  }

  /** The ptdesc of the page fragments are being handed out from (0: none yet). */
  get currentPage(): number {
    return this.current;
  }

  /** `pte_fragment_alloc()`: the address of a new table, or 0 when out of memory. */
  alloc(): number {
    if (this.current === 0 || this.next === this.fragments) {
      const desc = ptdescAlloc(this.ctx, "pte", { nid: this.nid });
      if (desc === 0) return 0;
      this.ctx.writeI32(desc, this.refOffset, this.fragments);
      this.current = desc;
      this.next = 0;
      this.onNewPage?.(desc);
    }
    const virt = this.ctx.pageAddress(this.ctx.pfnOf(this.current)) + this.next * this.fragmentSize;
    this.next++;
    if (this.next === this.fragments) this.current = 0;
    return virt;
  }

  /** `pte_fragment_free()`: drops the page's count; the last fragment frees the page (through RCU). */
  free(virt: number): void {
    const pfn = this.ctx.virtToPfn(virt);
    const desc = pfn < 0 ? 0 : this.ctx.pageDescriptor(pfn);
    if (desc === 0 || this.ctx.kindOf(desc) !== this.ctx.kind)
      throw new SimulationError("BAD_DESCRIPTOR", `0x${virt.toString(16)} is not inside a page-table page`);
    const left = this.ctx.addI32(desc, this.refOffset, -1);
    if (left < 0) {
      this.ctx.writeI32(desc, this.refOffset, 0);
      throw new SimulationError(
        "REFCOUNT_UNDERFLOW",
        `pt_frag_refcount of page table 0x${desc.toString(16)} went below zero`,
      );
    }
    if (left === 0) {
      if (desc === this.current) this.current = 0;
      ptdescFreeRcu(this.ctx, desc);
    }
  }

  /** `pte_frag_destroy()`: gives back the fragments of the current page that were never handed out. */
  destroy(): void {
    if (this.current === 0) return;
    const desc = this.current;
    this.current = 0;
    const left = this.ctx.addI32(desc, this.refOffset, -(this.fragments - this.next));
    if (left === 0) ptdescFreeRcu(this.ctx, desc);
  }

  /** `pt_frag_refcount` of the page holding a fragment. */
  refcount(virt: number): number {
    const desc = this.ctx.pageDescriptor(this.ctx.virtToPfn(virt));
    return this.ctx.readI32(desc, this.refOffset);
  }
}

const leafBytes: Record<LeafSize, number> = { "4k": PAGE_SIZE, "2m": 2 ** 21, "1g": 2 ** 30 };

/** The `pagetables` workload action's parameters (a workload adds the amount each process maps). */
export const pageTablesParams = z
  .object({
    /** Address spaces, each with its own tables. */
    processes: z.number().int().min(1),
    /** Share of each process's mapping by leaf size (4k needs PTE tables, 2m PMD tables, 1g PUD tables). */
    leaves: z
      .object({
        "4k": z.number().nonnegative().default(1),
        "2m": z.number().nonnegative().default(0),
        "1g": z.number().nonnegative().default(0),
      })
      .strict()
      .default({ "4k": 1, "2m": 0, "1g": 0 }),
    levels: z.union([z.literal(4), z.literal(5)]).default(4),
    /** Split page-table pages into this many fragments (powerpc PTE_FRAG_NR); 1 on x86-64. */
    fragments: z.number().int().min(1).max(16).default(1),
  })
  .strict();

export type PageTablesParams = z.output<typeof pageTablesParams>;

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
 * The `pagetables` workload action: for each process, a PGD and the PUD, PMD and PTE tables its mapping (the
 * action's amount) needs, each a ptdesc; with `fragments` above 1, PTE tables are fragments of shared pages.
 */
export function ptdescPageTables(ctx: ActionContext<PtdescState>, params: PageTablesParams): void {
  const tables = processTables(ctx.bytes, params);
  for (let p = 0; p < params.processes; p++) {
    const frag =
      params.fragments > 1 ? new PtFragments(ctx, params.fragments, ctx.nid, ctx.track) : undefined;
    for (const level of ["pgd", "p4d", "pud", "pmd", "pte"] as const) {
      for (let t = 0; t < tables[level]; t++) {
        if (level === "pte" && frag) {
          if (frag.alloc() === 0) {
            ctx.failed("page tables: out of memory");
            return;
          }
          continue;
        }
        const desc = ptdescAlloc(ctx, level, { nid: ctx.nid });
        if (desc === 0) {
          ctx.failed("page tables: out of memory");
          return;
        }
        ctx.track(desc);
      }
    }
  }
}

/** The `pagetables` workload action. */
export const pageTablesAction = defineAction({
  name: "pagetables",
  description:
    "page tables for processes: per address space a PGD and the P4D, PUD, PMD and PTE tables its mapping needs, a ptdesc each",
  use: "pagetable",
  amount: "the virtual memory each process maps",
  schema: pageTablesParams,
  example: { processes: 4, size: "64M" },
  run: ptdescPageTables,
});

/** What the ptdesc plugin gives the simulator: RCU freeing of page tables and the `pagetables` action. */
export const ptdescSimulation = defineSimulation<PtdescState>({
  state: ptdescState,
  release: ptdescFreeRcu,
  actions: [pageTablesAction],
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
});
