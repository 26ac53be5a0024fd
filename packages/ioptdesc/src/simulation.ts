import {
  DIRECT_MAP_BASE,
  type IommuParams,
  type Memmap,
  MemmapError,
  PAGE_SIZE,
  type SimulationHooks,
  type WorkloadContext,
} from "@memdesc/core";
import { getOrder, IommuPagesError, isPowerOfTwo } from "./alloc.js";
import type { IommuPagesList } from "./list.js";
import { IOPTDESC_MIN_SIZE } from "./schema.js";

/*
 * IOMMU page tables in the memmap simulator, as the iommu-pages series prepares them for memdescs: each
 * allocation is `memdesc_alloc_node(gfp, order, nid, sizeof(struct ioptdesc))`; sub-page tables (1/16 and 1/4
 * of a page) are carved from one page that one ioptdesc describes, its `__page_refcount` counting the tables
 * in it; tables that are unmapped go on an `iommu_pages_list` threaded through the ioptdescs'
 * `iopt_freelist_elm` (real bytes), and the whole list is freed one RCU grace period after the IOTLB flush.
 */

interface PageState {
  /** Bytes of each table in the page (PAGE_SIZE << order for whole allocations). */
  readonly size: number;
  readonly slots: number;
  /** Bit i: table i is handed out; or on a list waiting for the flush and grace period. */
  used: number;
  pending: number;
  linked: boolean;
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
  /** After `putPagesListRcu()` the head must be re-initialised (IOMMU_PAGES_LIST_INIT). */
  stale = false;
}

const allocators = new WeakMap<Memmap, IommuPages>();

/** The iommu-pages allocator of a memmap (one per memmap). */
export function iommuPagesOf(m: Memmap): IommuPages {
  let a = allocators.get(m);
  if (!a) {
    a = new IommuPages(m);
    allocators.set(m, a);
  }
  return a;
}

/** iommu-pages on a simulated memmap: sub-page carving, lists and RCU freeing. */
export class IommuPages {
  readonly memmap: Memmap;
  /** IOTLB flushes done. */
  flushes = 0;
  private readonly pages = new Map<number, PageState>();
  /** Pages with a free table slot, per sub-page size. */
  private readonly partial = new Map<number, Set<number>>();
  private readonly refOffset: number;
  private readonly linkOffset: number;
  private readonly descSize: number;

  constructor(m: Memmap) {
    this.memmap = m;
    this.refOffset = m.fieldOffset("ioptdesc", "__page_refcount");
    this.linkOffset = m.fieldOffset("ioptdesc", "iopt_freelist_elm");
    this.descSize = m.registry.descriptorSize("ioptdesc")?.size ?? 0;
  }

  /**
   * `iommu_alloc_pages_node_sz(nid, gfp, size)`: a zeroed table of `size` bytes (a power of two, at least 1/16
   * of a page), physically aligned to its size. Below a page it is carved from a page of tables of that size;
   * from a page up it is an order-`get_order(size)` allocation. Returns its direct-map address, 0 when out of
   * memory.
   */
  allocPagesNodeSz(nid: number, size: number): number {
    if (!isPowerOfTwo(size) || size < IOPTDESC_MIN_SIZE)
      throw new IommuPagesError(
        "BAD_SIZE",
        `iommu_alloc_pages_node_sz: ${size} is not a power of two ≥ ${IOPTDESC_MIN_SIZE}`,
      );
    const m = this.memmap;
    if (size < PAGE_SIZE) {
      const partial = this.partial.get(size);
      const desc = partial?.values().next().value;
      if (desc !== undefined) return this.take(desc, this.pages.get(desc)!);
    }
    const order = size < PAGE_SIZE ? 0 : getOrder(size);
    const desc = m.memdescAllocNode("ioptdesc", { order, nid, size: this.descSize, use: "iommu" });
    if (desc === 0) return 0;
    const st: PageState = {
      size,
      slots: size < PAGE_SIZE ? PAGE_SIZE / size : 1,
      used: 0,
      pending: 0,
      linked: false,
    };
    this.pages.set(desc, st);
    if (st.slots > 1) {
      let set = this.partial.get(size);
      if (!set) {
        set = new Set();
        this.partial.set(size, set);
      }
      set.add(desc);
    }
    return this.take(desc, st);
  }

  private take(desc: number, st: PageState): number {
    let i = 0;
    while ((st.used | st.pending) & (1 << i)) i++;
    st.used |= 1 << i;
    this.memmap.addI32(desc, this.refOffset, 1);
    if ((st.used | st.pending) >>> 0 === 2 ** st.slots - 1) this.partial.get(st.size)?.delete(desc);
    return DIRECT_MAP_BASE + this.memmap.descriptorPfn(desc) * PAGE_SIZE + i * (st.slots > 1 ? st.size : 0);
  }

  /** The ioptdesc of a table, and its slot. */
  private find(virt: number, fn: string): { desc: number; st: PageState; slot: number } {
    const m = this.memmap;
    const rel = virt - DIRECT_MAP_BASE;
    const pfn = Math.floor(rel / PAGE_SIZE);
    const desc = rel >= 0 && pfn < m.pages ? m.pageDescriptor(pfn) : 0;
    const st = desc ? this.pages.get(desc) : undefined;
    if (!st || !m.isLive(desc))
      throw new MemmapError("BAD_DESCRIPTOR", `${fn}: 0x${virt.toString(16)} is not an IOMMU page table`);
    const slot = st.slots > 1 ? (rel - pfn * PAGE_SIZE) / st.size : 0;
    if (!(st.used & (1 << slot)))
      throw new MemmapError(
        st.pending & (1 << slot) ? "DOUBLE_FREE" : "USE_AFTER_FREE",
        `${fn}: table 0x${virt.toString(16)} is ${st.pending & (1 << slot) ? "already on a free list" : "not allocated"}`,
      );
    return { desc, st, slot };
  }

  /** `iommu_free_pages(virt)`: frees one table now (the caller knows no IOTLB entry can still point at it). */
  freePages(virt: number): void {
    const { desc, st, slot } = this.find(virt, "iommu_free_pages");
    st.used &= ~(1 << slot);
    this.drop(desc, st, 1);
  }

  private drop(desc: number, st: PageState, n: number): void {
    const left = this.memmap.addI32(desc, this.refOffset, -n);
    if (left === 0 && !st.linked) {
      this.pages.delete(desc);
      this.partial.get(st.size)?.delete(desc);
      this.memmap.free(desc, "ioptdesc");
    } else if (st.slots > 1 && (st.used | st.pending) >>> 0 !== 2 ** st.slots - 1) {
      let set = this.partial.get(st.size);
      if (!set) {
        set = new Set();
        this.partial.set(st.size, set);
      }
      set.add(desc);
    }
  }

  /**
   * `iommu_pages_list_add(list, virt)`: the table is unmapped, but the IOTLB may still cache it, so it waits on
   * the list; its page's ioptdesc is linked through `iopt_freelist_elm` once, however many of its tables wait.
   */
  pagesListAdd(list: IommuPagesListLive, virt: number): void {
    if (list.stale)
      throw new MemmapError(
        "USE_AFTER_FREE",
        "iommu_pages_list_add: this list was put; re-initialise it first",
      );
    const { desc, st, slot } = this.find(virt, "iommu_pages_list_add");
    st.used &= ~(1 << slot);
    st.pending |= 1 << slot;
    list.flushed = false;
    if (st.linked) return;
    st.linked = true;
    const m = this.memmap;
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
      const next = this.memmap.readU64(d, this.linkOffset);
      d = next === 0 ? 0 : next - this.linkOffset;
    }
    return out;
  }

  /** The list as `@memdesc/ioptdesc`'s immutable `iommu_pages_list` value (virt and order of each page). */
  toPagesList(list: IommuPagesListLive): IommuPagesList {
    const m = this.memmap;
    return {
      pages: this.listDescriptors(list).map((d) => ({
        virt: DIRECT_MAP_BASE + m.descriptorPfn(d) * PAGE_SIZE,
        order: m.descriptorOrder(d),
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
   * `iommu_put_pages_list()` deferred by RCU: one grace period after the IOTLB flush, every waiting table on the
   * list is freed, and each page whose tables are all free goes back with its ioptdesc. Putting a list before the
   * flush would let the IOMMU walk freed memory, so it is an error.
   */
  putPagesListRcu(list: IommuPagesListLive): void {
    if (list.stale) throw new MemmapError("DOUBLE_FREE", "iommu_put_pages_list: this list was already put");
    if (!list.flushed && list.length > 0)
      throw new MemmapError(
        "USE_AFTER_FREE",
        "iommu_put_pages_list before the IOTLB flush: the IOMMU may still walk these tables",
      );
    const descs = this.listDescriptors(list);
    list.stale = true;
    this.memmap.rcu.callRcu(() => {
      for (const d of descs) {
        const st = this.pages.get(d)!;
        const n = popcount(st.pending);
        st.pending = 0;
        st.linked = false;
        this.drop(d, st, n);
      }
    });
  }

  /** Tables handed out and waiting, and pages held, for reports and tests. */
  stats(): { pages: number; tables: number; pending: number } {
    let tables = 0;
    let pending = 0;
    for (const st of this.pages.values()) {
      tables += popcount(st.used);
      pending += popcount(st.pending);
    }
    return { pages: this.pages.size, tables, pending };
  }

  /** Every live table of one page (the workload's teardown of a tracked page). */
  tablesOf(desc: number): number[] {
    const st = this.pages.get(desc);
    if (!st || !this.memmap.isLive(desc)) return [];
    const base = DIRECT_MAP_BASE + this.memmap.descriptorPfn(desc) * PAGE_SIZE;
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

/**
 * The `iommu` workload action: per domain, IO page tables of the given sizes enough to map the domain's IOVA
 * space with 4 KiB IOPTEs (a table of s bytes holds s/8 entries), plus a root; then `unmap` of them go on one
 * iommu_pages_list, the IOTLB is flushed, and the list is freed after a grace period.
 */
export function ioptdescIommu(ctx: WorkloadContext, params: IommuParams): void {
  const a = iommuPagesOf(ctx.memmap);
  const sizes = Object.entries(params.tableSizes)
    .map(([s, w]) => [Number(s), w] as const)
    .filter(([, w]) => w > 0);
  const total = sizes.reduce((s, [, w]) => s + w, 0);
  if (total === 0) return;
  const bytesPerTable = sizes.reduce((s, [size, w]) => s + (w / total) * (size / 8) * PAGE_SIZE, 0);
  const perDomain = Math.ceil(params.bytes / bytesPerTable);
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
      const desc = ctx.memmap.pageDescriptor(Math.floor((virt - DIRECT_MAP_BASE) / PAGE_SIZE));
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
    a.putPagesListRcu(list);
  }
}

/** A domain's teardown of one tracked page: its live tables go on a list, flushed, and freed after RCU. */
export function ioptdescRelease(m: Memmap, desc: number): void {
  const a = iommuPagesOf(m);
  const tables = a.tablesOf(desc);
  if (tables.length === 0) return;
  const list = iommuPagesListLive();
  for (const t of tables) a.pagesListAdd(list, t);
  a.iotlbFlush(list);
  a.putPagesListRcu(list);
}

/** What the ioptdesc plugin gives the simulator: the `iommu` action and teardown through lists. */
export const ioptdescSimulation: SimulationHooks = {
  release: ioptdescRelease,
  actions: { iommu: ioptdescIommu },
};
