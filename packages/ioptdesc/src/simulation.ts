import {
  type ActionContext,
  type DescriptorContext,
  defineAction,
  defineSimulation,
  kernel,
  PAGE_SIZE,
  proposal,
  SimulationError,
  type SimulationHooks,
} from "@memdesc/core";
import { z } from "zod";
import { getOrder, IommuPagesError, isPowerOfTwo } from "./alloc.js";
import type { IommuModel } from "./layout.js";
import type { IommuPagesList } from "./list.js";
import { IOPTDESC_MIN_SIZE } from "./schema.js";

/*
 * IOMMU page tables in a memory simulation, in one of two models named apart (`IommuModel`), chosen by the
 * descriptor's fields: a memdesc-era ioptdesc with slot bookkeeping (`ioptdesc({ model: "projection" })`) is
 * carved into sub-page tables; otherwise it is today's. Each allocation is
 * `memdesc_alloc_node(gfp, order, nid, sizeof(struct ioptdesc))`; tables that are unmapped go on an
 * `iommu_pages_list` threaded through the ioptdescs' `iopt_freelist_elm` (real bytes).
 *
 * - today (drivers/iommu/iommu-pages.c, 6.18): a sub-page size takes a whole page, and `iommu_put_pages_list()`
 *   frees each descriptor at once (`folio_put()`).
 * - projection (the series' "coming need"; this project's): 1/16- and 1/4-page tables share a page whose
 *   ioptdesc keeps which slots are used and which wait on a list (`iopt_slots_used`, `iopt_slots_pending`) and
 *   counts its live tables in `__page_refcount`; a put list is freed one RCU grace period after the IOTLB flush.
 */

/** A page's tables as its descriptor says: their size, the slots, and which are used and which wait on a list. */
interface PageState {
  readonly size: number;
  readonly slots: number;
  readonly used: number;
  readonly pending: number;
}

/**
 * A live `struct iommu_pages_list`: the ioptdescs on it are linked through `iopt_freelist_elm` in their bytes
 * (`next` and `prev` hold the neighbours' link addresses, 0 at the ends), `head` and `tail` here.
 */
export class IommuPagesListLive {
  head = 0;
  tail = 0;
  length = 0;
  /** Set by the IOTLB flush; adding after it clears it. */
  flushed = false;
  /** After `putPagesList()` the head must be re-initialised (IOMMU_PAGES_LIST_INIT). */
  stale = false;
}

/** What the ioptdesc hooks are handed: their state is the machine's iommu-pages allocator. */
export type IoptdescContext = DescriptorContext<IommuPages>;

/** The iommu-pages allocator of a simulated machine: the ioptdesc hooks' state. */
export function iommuPagesOf(ctx: IoptdescContext): IommuPages {
  return ctx.state;
}

/** iommu-pages on simulated memory, today's or the projection's, by the descriptor's fields. */
export class IommuPages {
  readonly ctx: Omit<DescriptorContext, "state">;
  readonly model: IommuModel;
  /** IOTLB flushes done. */
  flushes = 0;
  /** The pages this allocator holds (their descriptors). */
  private readonly descs = new Set<number>();
  /** Today: descriptors on a put list (one table each). */
  private readonly listed = new Set<number>();
  /** Projection: pages with a free table slot, per table size. */
  private readonly partial = new Map<number, Set<number>>();
  private readonly refOffset: number;
  private readonly linkOffset: number;
  private readonly descSize: number;

  constructor(ctx: Omit<DescriptorContext, "state">) {
    this.ctx = ctx;
    const at = (path: string) => {
      const o = ctx.offsetOf(path);
      if (o < 0)
        throw new SimulationError("UNKNOWN_FIELD", `kind ${ctx.kind} has no ${path}: not an ioptdesc layout`);
      return o;
    };
    this.refOffset = at("__page_refcount");
    this.linkOffset = at("iopt_freelist_elm");
    this.descSize = ctx.sizeOf();
    this.model = ctx.offsetOf("iopt_slots_used") >= 0 ? "projection" : "today";
  }

  /**
   * `iommu_alloc_pages_node_sz(nid, gfp, size)`: a zeroed table of `size` bytes (a power of two, at least 1/16
   * of a page), physically aligned to its size. Today a sub-page size takes a whole page ("Currently sub page
   * allocations result in a full page being returned"); in the projection it is carved from a page of tables of
   * that size. From a page up it is an order-`get_order(size)` allocation. Returns its direct-map address, 0 when
   * out of memory.
   */
  allocPagesNodeSz(nid: number, size: number): number {
    if (!isPowerOfTwo(size) || size < IOPTDESC_MIN_SIZE)
      throw new IommuPagesError(
        "BAD_SIZE",
        `iommu_alloc_pages_node_sz: ${size} is not a power of two ≥ ${IOPTDESC_MIN_SIZE}`,
      );
    const m = this.ctx;
    const carve = this.model === "projection" && size < PAGE_SIZE;
    if (carve) {
      const desc = this.partial.get(size)?.values().next().value;
      if (desc !== undefined) return this.take(desc);
    }
    const order = size < PAGE_SIZE ? 0 : getOrder(size);
    const desc = m.alloc({ order, nid, size: this.descSize, use: "iommu" });
    if (desc === 0) return 0;
    this.descs.add(desc);
    if (this.model === "projection") {
      m.writeField(desc, "iopt_slot_shift", Math.log2(carve ? size : PAGE_SIZE * 2 ** order));
      if (carve) this.partialOf(size).add(desc);
    }
    return this.take(desc);
  }

  /** The page's tables, from its descriptor (and, today, whether it is on a list). */
  private state(desc: number): PageState {
    const m = this.ctx;
    if (this.model === "today") {
      const pending = this.listed.has(desc) ? 1 : 0;
      return { size: PAGE_SIZE * 2 ** m.orderOf(desc), slots: 1, used: 1 - pending, pending };
    }
    const size = 2 ** Number(m.readField(desc, "iopt_slot_shift"));
    return {
      size,
      slots: size < PAGE_SIZE ? PAGE_SIZE / size : 1,
      used: Number(m.readField(desc, "iopt_slots_used")),
      pending: Number(m.readField(desc, "iopt_slots_pending")),
    };
  }

  private setSlots(desc: number, used: number, pending: number): void {
    if (this.model === "today") {
      if (pending) this.listed.add(desc);
      else this.listed.delete(desc);
      return;
    }
    this.ctx.writeField(desc, "iopt_slots_used", used);
    this.ctx.writeField(desc, "iopt_slots_pending", pending);
  }

  private partialOf(size: number): Set<number> {
    let set = this.partial.get(size);
    if (!set) {
      set = new Set();
      this.partial.set(size, set);
    }
    return set;
  }

  private take(desc: number): number {
    const st = this.state(desc);
    let i = 0;
    if (this.model === "projection") {
      while ((st.used | st.pending) & (1 << i)) i++;
      this.setSlots(desc, st.used | (1 << i), st.pending);
      if ((st.used | st.pending | (1 << i)) >>> 0 === 2 ** st.slots - 1)
        this.partial.get(st.size)?.delete(desc);
    }
    this.ctx.addI32(desc, this.refOffset, 1);
    return this.ctx.pageAddress(this.ctx.pfnOf(desc)) + i * (st.slots > 1 ? st.size : 0);
  }

  /** The ioptdesc of a table, its page's state and the table's slot. */
  private find(virt: number, fn: string): { desc: number; st: PageState; slot: number } {
    const m = this.ctx;
    const pfn = m.virtToPfn(virt);
    const desc = pfn >= 0 ? m.pageDescriptor(pfn) : 0;
    if (!desc || !this.descs.has(desc) || !m.isLive(desc))
      throw new SimulationError("BAD_DESCRIPTOR", `${fn}: 0x${virt.toString(16)} is not an IOMMU page table`);
    const st = this.state(desc);
    const within = virt - m.pageAddress(m.pfnOf(desc));
    const slot = st.slots > 1 ? within / st.size : 0;
    if (!Number.isInteger(slot) || (st.slots === 1 && within !== 0))
      throw new SimulationError(
        "BAD_DESCRIPTOR",
        `${fn}: 0x${virt.toString(16)} is not the start of an IOMMU page table`,
      );
    if (!(st.used & (1 << slot)))
      throw new SimulationError(
        st.pending & (1 << slot) ? "DOUBLE_FREE" : "USE_AFTER_FREE",
        `${fn}: table 0x${virt.toString(16)} is ${st.pending & (1 << slot) ? "already on a free list" : "not allocated"}`,
      );
    return { desc, st, slot };
  }

  /** `iommu_free_pages(virt)`: frees one table now (the caller knows no IOTLB entry can still point at it). */
  freePages(virt: number): void {
    const { desc, st, slot } = this.find(virt, "iommu_free_pages");
    this.setSlots(desc, st.used & ~(1 << slot), st.pending);
    this.drop(desc, 1);
  }

  /** Drops `n` tables' references; the page goes with its last (`folio_put()`), unless tables wait on a list. */
  private drop(desc: number, n: number): void {
    const left = this.ctx.addI32(desc, this.refOffset, -n);
    const st = this.state(desc);
    if (left === 0 && st.pending === 0) {
      this.descs.delete(desc);
      this.partial.get(st.size)?.delete(desc);
      this.ctx.free(desc);
    } else if (st.slots > 1 && (st.used | st.pending) >>> 0 !== 2 ** st.slots - 1)
      this.partialOf(st.size).add(desc);
  }

  /**
   * `iommu_pages_list_add(list, virt)`: the table is unmapped, but the IOTLB may still cache it, so it waits on
   * the list; its page's ioptdesc is linked through `iopt_freelist_elm` once, however many of its tables wait.
   */
  pagesListAdd(list: IommuPagesListLive, virt: number): void {
    if (list.stale)
      throw new SimulationError(
        "USE_AFTER_FREE",
        "iommu_pages_list_add: this list was put; re-initialise it first",
      );
    const { desc, st, slot } = this.find(virt, "iommu_pages_list_add");
    const linked = st.pending !== 0;
    this.setSlots(desc, st.used & ~(1 << slot), st.pending | (1 << slot));
    list.flushed = false;
    if (linked) return;
    const m = this.ctx;
    const elm = desc + this.linkOffset;
    m.writeU64(desc, this.linkOffset, 0);
    m.writeU64(desc, this.linkOffset + 8, list.tail === 0 ? 0 : list.tail + this.linkOffset);
    if (list.tail !== 0) m.writeU64(list.tail, this.linkOffset, elm);
    else list.head = desc;
    list.tail = desc;
    list.length++;
  }

  /** The ioptdescs on a list, walked through the `iopt_freelist_elm.next` links in their bytes. */
  listDescriptors(list: IommuPagesListLive): number[] {
    const out: number[] = [];
    for (let d = list.head; d !== 0; ) {
      out.push(d);
      const next = this.ctx.readU64(d, this.linkOffset);
      d = next === 0 ? 0 : next - this.linkOffset;
    }
    return out;
  }

  /** The list as `@memdesc/ioptdesc`'s immutable `iommu_pages_list` value (virt and order of each page). */
  toPagesList(list: IommuPagesListLive): IommuPagesList {
    const m = this.ctx;
    return {
      pages: this.listDescriptors(list).map((d) => ({
        virt: m.pageAddress(m.pfnOf(d)),
        order: m.orderOf(d),
      })),
      ...(list.stale ? { stale: "iommu_put_pages_list" as const } : {}),
    };
  }

  /** The IOTLB flush (`iommu_iotlb_sync`) after which the tables on `list` are no longer reachable by the IOMMU. */
  iotlbFlush(list: IommuPagesListLive): void {
    this.flushes++;
    list.flushed = true;
  }

  /**
   * `iommu_put_pages_list()`, after the IOTLB flush (putting a list before it would let the IOMMU walk freed
   * memory, so it is an error): today every waiting table is freed at once, each page with its descriptor
   * (`folio_put()`); in the projection, one grace period later, each page whose tables are then all free going
   * back with its ioptdesc.
   */
  putPagesList(list: IommuPagesListLive): void {
    if (list.stale)
      throw new SimulationError("DOUBLE_FREE", "iommu_put_pages_list: this list was already put");
    if (!list.flushed && list.length > 0)
      throw new SimulationError(
        "USE_AFTER_FREE",
        "iommu_put_pages_list before the IOTLB flush: the IOMMU may still walk these tables",
      );
    const descs = this.listDescriptors(list);
    list.stale = true;
    const put = () => {
      for (const d of descs) {
        const st = this.state(d);
        this.setSlots(d, st.used, 0);
        this.drop(d, popcount(st.pending));
      }
    };
    if (this.model === "today") put();
    else this.ctx.rcu.callRcu(put);
  }

  /** Tables handed out and waiting, and pages held, for reports and tests. */
  stats(): { pages: number; tables: number; pending: number } {
    let tables = 0;
    let pending = 0;
    for (const d of this.descs) {
      const st = this.state(d);
      tables += popcount(st.used);
      pending += popcount(st.pending);
    }
    return { pages: this.descs.size, tables, pending };
  }

  /** Every live table of one page (the workload's teardown of a tracked page). */
  tablesOf(desc: number): number[] {
    if (!this.descs.has(desc) || !this.ctx.isLive(desc)) return [];
    const st = this.state(desc);
    const base = this.ctx.pageAddress(this.ctx.pfnOf(desc));
    const out: number[] = [];
    for (let i = 0; i < st.slots; i++)
      if (st.used & (1 << i)) out.push(base + i * (st.slots > 1 ? st.size : 0));
    return out;
  }
}

function popcount(x: number): number {
  let n = 0;
  for (let v = x >>> 0; v; v &= v - 1) n++;
  return n;
}

/** `IOMMU_PAGES_LIST_INIT`: a new live list. */
export function iommuPagesListLive(): IommuPagesListLive {
  return new IommuPagesListLive();
}

/** The `iommu` workload action's parameters (a workload adds the IOVA space each domain maps). */
export const iommuParams = z
  .object({
    /** IOMMU domains, each with its own tables. */
    domains: z.number().int().min(1),
    /** IO page-table sizes in bytes and their share of tables: 256 (1/16 page), 1024 (1/4 page), 4096. */
    tableSizes: z
      .record(z.string().regex(/^\d+$/, "table sizes are bytes"), z.number().nonnegative())
      .default({ "4096": 1 }),
    /** Share of tables unmapped again, freed as one iommu_pages_list after an IOTLB flush. */
    unmap: z.number().min(0, "a share is between 0 and 1").max(1, "a share is between 0 and 1").default(0),
  })
  .strict();

export type IommuParams = z.output<typeof iommuParams>;

/**
 * The `iommu` workload action: per domain, IO page tables of the given sizes enough to map the domain's IOVA
 * space (the action's amount) with 4 KiB IOPTEs (a table of s bytes holds s/8 entries), plus a root; then `unmap`
 * of them go on one iommu_pages_list, the IOTLB is flushed, and the list is put: freed at once today, a grace
 * period later in the projection.
 */
export function ioptdescIommu(ctx: ActionContext<IommuPages>, params: IommuParams): void {
  const a = iommuPagesOf(ctx);
  const sizes = Object.entries(params.tableSizes)
    .map(([s, w]) => [Number(s), w] as const)
    .filter(([, w]) => w > 0);
  const total = sizes.reduce((s, [, w]) => s + w, 0);
  if (total === 0) return;
  const bytesPerTable = sizes.reduce((s, [size, w]) => s + (w / total) * (size / 8) * PAGE_SIZE, 0);
  const perDomain = Math.ceil(ctx.bytes / bytesPerTable);
  const pick = () => {
    let x = ctx.random() * total;
    for (const [size, w] of sizes) {
      x -= w;
      if (x < 0) return size;
    }
    return sizes[sizes.length - 1]![0];
  };
  const seen = new Set<number>();
  for (let d = 0; d < params.domains; d++) {
    const tables: number[] = [];
    for (let t = 0; t <= perDomain; t++) {
      const virt = a.allocPagesNodeSz(ctx.nid, t === 0 ? PAGE_SIZE : pick());
      if (virt === 0) {
        ctx.failed("IOMMU page tables: out of memory");
        return;
      }
      tables.push(virt);
      const desc = ctx.pageDescriptor(ctx.virtToPfn(virt));
      if (!seen.has(desc)) {
        seen.add(desc);
        ctx.track(desc);
      }
    }
    const n = Math.floor(tables.length * params.unmap);
    if (n === 0) continue;
    const list = iommuPagesListLive();
    for (let k = 0; k < n; k++) {
      const i = 1 + Math.floor(ctx.random() * (tables.length - 1));
      const virt = tables[i]!;
      tables[i] = tables[tables.length - 1]!;
      tables.pop();
      a.pagesListAdd(list, virt);
    }
    a.iotlbFlush(list);
    a.putPagesList(list);
  }
}

/** A domain's teardown of one tracked page: its live tables go on a list, flushed, and put. */
export function ioptdescRelease(ctx: IoptdescContext, desc: number): void {
  const a = iommuPagesOf(ctx);
  const tables = a.tablesOf(desc);
  if (tables.length === 0) return;
  const list = iommuPagesListLive();
  for (const t of tables) a.pagesListAdd(list, t);
  a.iotlbFlush(list);
  a.putPagesList(list);
}

/** The `iommu` workload action. */
export const iommuAction = defineAction({
  name: "iommu",
  description:
    "IOMMU page tables: per domain enough tables of the given sizes to map its IOVA space, some unmapped again and freed as an iommu_pages_list",
  use: "iommu",
  amount: "the IOVA space each domain maps",
  schema: iommuParams,
  example: { domains: 2, size: "32M", tableSizes: { "4096": 1 }, unmap: 0.3 },
  run: ioptdescIommu,
});

/** What the ioptdesc plugin gives the simulator for a model: the `iommu` action, teardown through lists. */
export function ioptdescSimulation(model: IommuModel = "today"): SimulationHooks<IommuPages> {
  const behaviours =
    model === "today"
      ? [
          {
            name: "iommu_alloc_pages_node_sz (today)",
            what: "a table of any size below a page takes a whole page; larger ones an order-get_order(size) folio",
            provenance: kernel(
              "drivers/iommu/iommu-pages.c ('Currently sub page allocations result in a full page being returned')",
              "6.18",
            ),
          },
          {
            name: "iommu_put_pages_list (today)",
            what: "after the IOTLB flush, every page on the list is freed at once with folio_put()",
            provenance: kernel("drivers/iommu/iommu-pages.c", "6.18"),
          },
        ]
      : [
          {
            name: "sub-page IOMMU tables (projection)",
            what: "1/16- and 1/4-page tables carved from one page, whose ioptdesc records its slots (iopt_slot_shift, iopt_slots_used, iopt_slots_pending) and counts its tables in __page_refcount",
            provenance: proposal(
              "the iommu-pages series names sub-PAGE_SIZE allocations a coming need (Gunthorpe, v4 cover letter, 2025-04-08); how it is done here is this project's",
            ),
          },
          {
            name: "RCU-deferred iommu_put_pages_list (projection)",
            what: "a put list is freed one grace period after the IOTLB flush; a page goes back once all its tables are free",
            provenance: proposal(
              "atomic-safe RCU freeing of page lists is a future need in the iommu-pages series' cover letter; this is one way",
            ),
          },
        ];
  return defineSimulation<IommuPages>({
    state: (ctx) => new IommuPages(ctx),
    release: ioptdescRelease,
    actions: [iommuAction],
    behaviours,
  });
}
