import { check, createMemmap, createRegistry, DIRECT_MAP_BASE, MemmapError } from "@memdesc/core";
import { slab } from "@memdesc/slab";
import { describe, expect, it } from "vitest";
import { ptdesc } from "./plugin.js";
import { PtFragments, processTables, ptdescAlloc, ptdescFreeRcu, ptdescPageTables } from "./simulation.js";

const memmap = () => createMemmap(createRegistry({ plugins: [ptdesc(), slab()] }), { pages: 8192, nodes: 2 });

describe("page tables on the memmap", () => {
  it("allocates a ptdesc per table page, the PGD order 1 with PTI, on the node asked", () => {
    const m = memmap();
    const pte = ptdescAlloc(m, "pte", { nid: 1 });
    const pgd = ptdescAlloc(m, "pgd", { pti: true });
    expect(m.lookup(m.descriptorPfn(pte))).toMatchObject({
      kind: "ptdesc",
      order: 0,
      node: 1,
      use: "pagetable",
    });
    expect(m.descriptorOrder(pgd)).toBe(1);
    expect(m.readField(pte, "pt_flags")).toBe(1n << 54n);
    check(m);
  });

  it("frees page tables after a grace period; a second free is a double free", () => {
    const m = memmap();
    const t = ptdescAlloc(m, "pmd");
    ptdescFreeRcu(m, t);
    expect(m.isLive(t)).toBe(true); // a lockless walker may still be in it
    expect(() => ptdescFreeRcu(m, t)).toThrow(MemmapError);
    m.rcu.synchronize();
    expect(m.isLive(t)).toBe(false);
    check(m);
  });

  it("carves sub-page tables from one page and frees the page with its last fragment", () => {
    const m = memmap();
    const frag = new PtFragments(m, 4);
    const tables = [frag.alloc(), frag.alloc(), frag.alloc()];
    const page = m.pageDescriptor(Math.floor((tables[0]! - DIRECT_MAP_BASE) / 4096));
    expect(tables.map((t) => t - tables[0]!)).toEqual([0, 1024, 2048]);
    expect(frag.refcount(tables[0]!)).toBe(4); // PTE_FRAG_NR until the rest is given back
    frag.free(tables[0]!);
    frag.free(tables[1]!);
    expect(m.readField(page, "pt_frag_refcount.counter")).toBe(2);
    frag.destroy(); // the fourth fragment was never handed out
    expect(frag.refcount(tables[2]!)).toBe(1);
    frag.free(tables[2]!);
    m.rcu.synchronize();
    expect(m.isLive(page)).toBe(false);
    expect(() => new PtFragments(m, 3)).toThrow(/power of two/);
    check(m);
  });

  it("builds a process's tables per level, as pageTablePages counts them", () => {
    expect(processTables(2 ** 30, { leaves: { "4k": 1, "2m": 0, "1g": 0 }, levels: 4 })).toEqual({
      pte: 512,
      pmd: 1,
      pud: 1,
      p4d: 0,
      pgd: 1,
    });
    const m = memmap();
    const tracked: number[] = [];
    ptdescPageTables(
      {
        memmap: m,
        kind: "ptdesc",
        use: "pagetable",
        nid: -1,
        random: Math.random,
        track: (d) => tracked.push(d),
        target: 0,
        pages: () => 0,
        failed: () => {},
      },
      { processes: 3, bytes: 2 ** 26, leaves: { "4k": 1, "2m": 0, "1g": 0 }, levels: 4, fragments: 1 },
    );
    // 64 MiB of 4 KiB pages: 32 PTE tables, a PMD, a PUD and a PGD per process.
    expect(tracked).toHaveLength(3 * 35);
    expect(m.picture().uses.pagetable).toEqual({ pages: 105, descriptors: 105, orders: { "0": 105 } });
    check(m);
  });
});
