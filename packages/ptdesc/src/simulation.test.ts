import { createRegistry, SimulationError } from "@memdesc/core";
import { check, createMemmap, DIRECT_MAP_BASE, runWorkload } from "@memdesc/memmap";
import { slab } from "@memdesc/slab";
import { describe, expect, it } from "vitest";
import { ptdesc } from "./plugin.js";
import { type PtdescState, PtFragments, processTables, ptdescAlloc, ptdescFreeRcu } from "./simulation.js";

const registry = () => createRegistry({ plugins: [ptdesc(), slab()] });
const memmap = () => createMemmap(registry(), { pages: 8192, nodes: 2 });
const ctxOf = (m: ReturnType<typeof memmap>) => m.context<PtdescState>("ptdesc");

describe("page tables on the memmap", () => {
  it("allocates a ptdesc per table page, the PGD order 1 with PTI, on the node asked", () => {
    const m = memmap();
    const c = ctxOf(m);
    const pte = ptdescAlloc(c, "pte", { nid: 1 });
    const pgd = ptdescAlloc(c, "pgd", { pti: true });
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
    const c = ctxOf(m);
    const t = ptdescAlloc(c, "pmd");
    ptdescFreeRcu(c, t);
    expect(m.isLive(t)).toBe(true); // a lockless walker may still be in it
    expect(() => ptdescFreeRcu(c, t)).toThrow(SimulationError);
    m.rcu.synchronize();
    expect(m.isLive(t)).toBe(false);
    check(m);
  });

  it("carves sub-page tables from one page and frees the page with its last fragment", () => {
    const m = memmap();
    const c = ctxOf(m);
    const frag = new PtFragments(c, 4);
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
    expect(() => new PtFragments(c, 3)).toThrow(/power of two/);
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
    const r = runWorkload(registry(), {
      name: "page tables",
      phases: [{ name: "processes", actions: [{ action: "pagetables", processes: 3, size: 2 ** 26 }] }],
    });
    // 64 MiB of 4 KiB pages: 32 PTE tables, a PMD, a PUD and a PGD per process.
    expect(r.actions[0]).toMatchObject({ action: "pagetables", kind: "ptdesc", pages: 3 * 35, failures: 0 });
    expect(r.picture.uses.pagetable).toEqual({ pages: 105, descriptors: 105, orders: { "0": 105 } });
  });
});
