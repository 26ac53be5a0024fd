import { createRegistry, SimulationError } from "@memdesc/core";
import { actionContext, check, createMemmap, DIRECT_MAP_BASE } from "@memdesc/memmap";
import { slab } from "@memdesc/slab";
import { describe, expect, it } from "vitest";
import { ioptdesc } from "./plugin.js";
import { type IommuPages, iommuPagesListLive, iommuPagesOf, ioptdescIommu } from "./simulation.js";

const memmap = (model: "today" | "projection" = "projection") =>
  createMemmap(createRegistry({ plugins: [ioptdesc({ model }), slab()] }), { pages: 8192, nodes: 1 });
/** The ioptdesc hooks' context on a memmap, whose state is its iommu-pages allocator. */
const allocatorOf = (m: ReturnType<typeof memmap>) => iommuPagesOf(m.context<IommuPages>("ioptdesc"));
const pfnOf = (v: number) => Math.floor((v - DIRECT_MAP_BASE) / 4096);

describe("IOMMU page tables on the memmap, today (Linux 6.18's iommu-pages)", () => {
  it("gives a sub-page table a whole page, and frees a put list at once with folio_put()", () => {
    const m = memmap("today");
    const a = allocatorOf(m);
    expect(a.model).toBe("today");
    const t = [a.allocPagesNodeSz(-1, 256), a.allocPagesNodeSz(-1, 256), a.allocPagesNodeSz(-1, 16384)];
    // "Currently sub page allocations result in a full page being returned."
    expect(new Set(t.map(pfnOf)).size).toBe(3);
    expect(t.every((v) => v % 4096 === 0)).toBe(true);
    expect(m.descriptorOrder(m.pageDescriptor(pfnOf(t[2]!)))).toBe(2);
    expect(a.stats()).toEqual({ pages: 3, tables: 3, pending: 0 });
    expect(() => a.freePages(t[0]! + 256)).toThrow(/not the start of an IOMMU page table/);
    const list = iommuPagesListLive();
    for (const v of t) a.pagesListAdd(list, v);
    expect(a.stats()).toMatchObject({ pending: 3 });
    a.iotlbFlush(list);
    a.putPagesList(list);
    // No grace period: iommu_put_pages_list() frees every descriptor now.
    expect(m.rcu.pending).toBe(0);
    expect(a.stats()).toEqual({ pages: 0, tables: 0, pending: 0 });
    expect(t.every((v) => !m.isLive(m.pageDescriptor(pfnOf(v))))).toBe(true);
    check(m);
  });

  it("runs the iommu action with a page per table", () => {
    const m = memmap("today");
    ioptdescIommu(
      actionContext<IommuPages>(m, "ioptdesc", { use: "iommu", bytes: 2 ** 24, random: () => 0.5 }),
      { domains: 1, tableSizes: { "256": 1 }, unmap: 0.5 },
    );
    // 16 MiB with 256-byte tables: 128 tables and a root, each a page; half put and freed at once.
    const s = allocatorOf(m).stats();
    expect(s).toEqual({ pages: 129 - 64, tables: 129 - 64, pending: 0 });
    check(m);
  });
});

describe("IOMMU page tables on the memmap, the projection (sub-page tables, RCU-freed lists)", () => {
  it("carves 1/16- and 1/4-page tables from one page whose ioptdesc keeps the slots", () => {
    const m = memmap();
    const a = allocatorOf(m);
    const small = Array.from({ length: 17 }, () => a.allocPagesNodeSz(-1, 256));
    // Sixteen 256-byte tables share a page, aligned to their size; the seventeenth starts a new page.
    expect(new Set(small.slice(0, 16).map(pfnOf)).size).toBe(1);
    expect(small.slice(0, 16).every((v) => v % 256 === 0)).toBe(true);
    expect(pfnOf(small[16]!)).not.toBe(pfnOf(small[0]!));
    const desc = m.pageDescriptor(pfnOf(small[0]!));
    expect(m.kindOfDescriptor(desc)).toBe("ioptdesc");
    expect(m.readField(desc, "__page_refcount.counter")).toBe(16);
    // The slot bookkeeping is in the descriptor's own bytes.
    expect([m.readField(desc, "iopt_slot_shift"), m.readField(desc, "iopt_slots_used")]).toEqual([8, 0xffff]);
    const quarter = [0, 1, 2, 3].map(() => a.allocPagesNodeSz(0, 1024));
    expect(new Set(quarter.map(pfnOf)).size).toBe(1);
    const big = a.allocPagesNodeSz(0, 16384);
    expect(m.descriptorOrder(m.pageDescriptor(pfnOf(big)))).toBe(2);
    // Freeing tables gives their slots back; the page goes with its last table.
    a.freePages(quarter[1]!);
    expect(a.allocPagesNodeSz(0, 1024)).toBe(quarter[1]);
    for (const v of quarter) a.freePages(v);
    expect(m.isLive(m.pageDescriptor(pfnOf(quarter[0]!)))).toBe(false);
    expect(() => a.freePages(quarter[0]!)).toThrow(SimulationError);
    expect(() => a.allocPagesNodeSz(0, 300)).toThrow(/power of two/);
    check(m);
  });

  it("chains unmapped tables on an iommu_pages_list in the descriptors' bytes and frees it a grace period after the flush", () => {
    const m = memmap();
    const a = allocatorOf(m);
    const t = [
      a.allocPagesNodeSz(-1, 1024),
      a.allocPagesNodeSz(-1, 1024),
      a.allocPagesNodeSz(-1, 4096),
      a.allocPagesNodeSz(-1, 8192),
    ];
    const pageOf = (v: number) => m.pageDescriptor(pfnOf(v));
    const list = iommuPagesListLive();
    for (const v of t) a.pagesListAdd(list, v);
    // Two tables of one page: the page is linked once.
    expect(a.listDescriptors(list)).toEqual([pageOf(t[0]!), pageOf(t[2]!), pageOf(t[3]!)]);
    // iopt_freelist_elm.next of the first points at the second's link.
    const link = m.fieldOffset("ioptdesc", "iopt_freelist_elm");
    expect(m.readField(pageOf(t[0]!), "iopt_freelist_elm.next")).toBe(BigInt(pageOf(t[2]!) + link));
    expect(a.toPagesList(list).pages.map((p) => p.order)).toEqual([0, 0, 1]);
    expect(() => a.pagesListAdd(list, t[0]!)).toThrow(/already on a free list/);
    expect(m.readField(pageOf(t[0]!), "iopt_slots_pending")).toBe(0b11);
    expect(() => a.putPagesList(list)).toThrow(/before the IOTLB flush/);
    a.iotlbFlush(list);
    a.putPagesList(list);
    expect(a.stats()).toMatchObject({ pending: 4 });
    expect(t.every((v) => m.isLive(pageOf(v)))).toBe(true);
    m.rcu.synchronize();
    expect(a.stats()).toEqual({ pages: 0, tables: 0, pending: 0 });
    expect(() => a.putPagesList(list)).toThrow(/already put/);
    check(m);
  });

  it("runs the iommu workload action: tables per domain, a share unmapped and freed through lists", () => {
    const m = memmap();
    const tracked: number[] = [];
    ioptdescIommu(
      actionContext<IommuPages>(m, "ioptdesc", {
        use: "iommu",
        bytes: 2 ** 26,
        random: () => 0.5,
        track: (d) => tracked.push(d),
      }),
      { domains: 2, tableSizes: { "256": 1 }, unmap: 0.5 },
    );
    // 64 MiB with 256-byte tables (32 IOPTEs of 4 KiB each = 128 KiB per table): 512 tables and a root per domain.
    const s = allocatorOf(m).stats();
    expect(s.tables + s.pending).toBe(2 * 513);
    expect(s.pending).toBe(2 * 256);
    m.rcu.synchronize();
    expect(allocatorOf(m).stats().pending).toBe(0);
    check(m);
  });
});
