import { c, createRegistry, defineDescriptor, type MemberSpec, proposal } from "@memdesc/core";
import { refFolio, refPtdesc, refSlab } from "@memdesc/core/testing";
import { describe, expect, it } from "vitest";
import { z } from "zod";
import { testMemmap, testRegistry } from "../../test/helpers.js";
import { MemmapError } from "../errors.js";
import { check } from "./check.js";
import { createMemmap, DIRECT_MAP_BASE } from "./memmap.js";

const codeOf = (f: () => unknown): string => {
  try {
    f();
  } catch (e) {
    expect(e).toBeInstanceOf(MemmapError);
    return (e as MemmapError).code;
  }
  throw new Error("expected a MemmapError");
};

describe("memdescAllocNode, free and lookup", () => {
  it("allocates the descriptor, then the pages, and points every page's word at it", () => {
    const m = testMemmap();
    const folio = m.memdescAllocNode("folio", { order: 2, nid: 1, use: "anon" });
    expect(folio).toBeGreaterThan(DIRECT_MAP_BASE);
    expect(folio % 16).toBe(0);
    const pfn = m.descriptorPfn(folio);
    expect(pfn).toBeGreaterThanOrEqual(4096);
    for (let p = pfn; p < pfn + 4; p++) {
      expect(m.lookup(p)).toMatchObject({
        kind: "folio",
        descriptor: folio,
        headPfn: pfn,
        order: 2,
        use: "anon",
        node: 1,
      });
      expect(m.registry.codec.decode((BigInt(m.words[2 * p + 1]!) << 32n) | BigInt(m.words[2 * p]!))).toEqual(
        {
          tag: 2,
          kind: "folio",
          storage: "pointer",
          address: BigInt(folio),
        },
      );
    }
    // The order-2 folio takes the large variant (128 bytes); its descriptor lives inside a slab page of that cache.
    const slabPage = m.lookup(Math.floor((folio - DIRECT_MAP_BASE) / 4096));
    expect(slabPage).toMatchObject({ kind: "slab", cache: "folio_large", use: "memdesc" });
    expect(m.picture().uses.anon).toEqual({ pages: 4, descriptors: 1, orders: { "2": 1 } });
    m.free(folio, "folio", 2);
    expect(m.lookup(pfn)).toMatchObject({ state: "free", kind: "buddy" });
    expect(m.picture().uses.anon).toBeUndefined();
    check(m);
  });

  it("reads and writes descriptor fields by name as real bytes at the layout's offsets", () => {
    const m = testMemmap();
    const f = m.memdescAllocNode("folio", { init: { _refcount: 1, order: 0, pfn: 123 } });
    expect(m.readField(f, "_refcount")).toBe(1);
    expect(m.readField(f, "pfn")).toBe(123n);
    m.writeField(f, "flags", 3n << 54n);
    expect(m.readField(f, "flags")).toBe(3n << 54n);
    const bytes = m.descriptorBytes(f);
    expect(bytes.length).toBe(80);
    expect(new DataView(bytes.buffer).getUint32(48, true)).toBe(1); // _refcount at offset 48
    expect(new DataView(bytes.buffer).getBigUint64(64, true)).toBe(123n); // pfn at 64
    expect(codeOf(() => m.readField(f, "colour"))).toBe("UNKNOWN_FIELD");
    expect(codeOf(() => m.writeField(f, "order", 256))).toBe("FIELD_VALUE");
    expect(codeOf(() => m.readField(f, "lru"))).toBe("UNKNOWN_FIELD");
  });

  it("picks the smallest variant that holds `size`, and refuses a size no variant holds", () => {
    const m = testMemmap();
    const d = m.memdescAllocNode("folio", { size: 100 });
    expect(m.lookup(m.descriptorPfn(d)).kind).toBe("folio");
    expect(m.descriptorBytes(d).length).toBe(128);
    expect(codeOf(() => m.memdescAllocNode("folio", { size: 129 }))).toBe("DESCRIPTOR_SIZE");
    expect(codeOf(() => m.memdescAllocNode("misc"))).toBe("INLINE_KIND");
    expect(codeOf(() => m.memdescAllocNode("nothing"))).toBe("UNKNOWN_KIND");
    expect(codeOf(() => m.memdescAllocNode("folio", { order: 11 }))).toBe("BAD_ORDER");
    expect(codeOf(() => m.memdescAllocNode("folio", { nid: 2 }))).toBe("BAD_NODE");
    expect(codeOf(() => m.lookup(8192))).toBe("BAD_PFN");
  });

  it("leaves nothing allocated when the pages cannot be had after the descriptor was", () => {
    const m = testMemmap({ pages: 1024, nodes: 1 });
    const ok = m.memdescAllocNode("folio", { order: 9 });
    expect(ok).not.toBe(0);
    const free = m.freePageCount;
    const live = m.caches.map((c) => c.liveObjects);
    expect(m.memdescAllocNode("folio", { order: 9 })).toBe(0);
    expect(m.freePageCount).toBe(free);
    expect(m.caches.map((c) => c.liveObjects)).toEqual(live);
    check(m);
  });

  it("leaves nothing allocated when even the descriptor cannot be had", () => {
    const m = testMemmap({ pages: 1024, nodes: 1 });
    while (m.allocPagesMisc("unknown", 0) >= 0) {}
    expect(m.memdescAllocNode("folio")).toBe(0);
    check(m);
  });

  it("keeps Misc pages inline: subtype, order and node in the word", () => {
    const m = testMemmap();
    const pfn = m.allocPagesMisc("vmalloc", 1, 1);
    expect(m.lookup(pfn + 1)).toMatchObject({
      kind: "misc",
      subtype: "vmalloc",
      order: 1,
      headPfn: pfn,
      use: "kernel",
      node: 1,
    });
    expect(codeOf(() => m.freePagesMisc(pfn, 0))).toBe("WRONG_ORDER");
    m.freePagesMisc(pfn, 1);
    expect(codeOf(() => m.freePagesMisc(pfn, 1))).toBe("DOUBLE_FREE");
  });
});

describe("debug checks", () => {
  it("a double free", () => {
    const m = testMemmap();
    const f = m.memdescAllocNode("folio");
    m.free(f);
    expect(codeOf(() => m.free(f))).toBe("DOUBLE_FREE");
    m.rcu.synchronize();
    expect(codeOf(() => m.free(f))).toBe("DOUBLE_FREE");
  });

  it("freeing with the wrong order or kind", () => {
    const m = testMemmap();
    const f = m.memdescAllocNode("folio", { order: 1 });
    expect(codeOf(() => m.free(f, "folio", 0))).toBe("WRONG_ORDER");
    expect(codeOf(() => m.free(f, "ptdesc"))).toBe("WRONG_KIND");
    const slabDesc = m.pageDescriptor(Math.floor((f - DIRECT_MAP_BASE) / 4096));
    expect(codeOf(() => m.free(slabDesc))).toBe("WRONG_KIND");
    expect(codeOf(() => m.free(f + 8))).toBe("BAD_DESCRIPTOR");
    expect(codeOf(() => m.free(DIRECT_MAP_BASE + 16))).toBe("BAD_DESCRIPTOR");
    m.free(f, "folio", 1);
    check(m);
  });

  it("use of a freed descriptor", () => {
    const m = testMemmap();
    const f = m.memdescAllocNode("folio");
    m.free(f);
    expect(codeOf(() => m.readField(f, "_refcount"))).toBe("USE_AFTER_FREE");
    expect(codeOf(() => m.writeField(f, "_refcount", 1))).toBe("USE_AFTER_FREE");
    m.rcu.synchronize();
    expect(codeOf(() => m.readI32(f, 48))).toBe("USE_AFTER_FREE");
  });

  it("a word that points at a descriptor of another kind, or at a freed one", () => {
    const m = testMemmap();
    const f = m.memdescAllocNode("folio");
    const p = m.memdescAllocNode("ptdesc");
    const pfn = m.descriptorPfn(f);
    // Corrupt the folio's word: folio tag, ptdesc address.
    m.words[2 * pfn] = ((p >>> 0) | m.registry.tagOf("folio")!) >>> 0;
    expect(codeOf(() => m.lookup(pfn))).toBe("KIND_MISMATCH");
    expect(codeOf(() => check(m))).toBe("INVARIANT");
    m.words[2 * pfn] = ((f >>> 0) | m.registry.tagOf("folio")!) >>> 0;
    check(m);
    const q = m.descriptorPfn(p);
    m.free(p);
    // A stale word left pointing at the freed ptdesc.
    m.words[2 * q] = ((p >>> 0) | m.registry.tagOf("ptdesc")!) >>> 0;
    m.words[2 * q + 1] = Math.floor(p / 2 ** 32);
    expect(codeOf(() => m.lookup(q))).toBe("USE_AFTER_FREE");
  });

  it("needs a memdesc word and a slab kind", () => {
    expect(codeOf(() => createMemmap(testRegistry().withDesign("today"), { pages: 4096 }))).toBe("NO_WORD");
    expect(codeOf(() => createMemmap(createRegistry({ plugins: [refFolio] }), { pages: 4096 }))).toBe(
      "NO_SLAB_KIND",
    );
    expect(codeOf(() => createMemmap(testRegistry(), { pages: 2 ** 28 + 1 }))).toBe("BAD_OPTIONS");
    expect(codeOf(() => createMemmap(testRegistry(), { pages: 1024, nodes: 2 }))).toBe("BAD_OPTIONS");
  });

  it("simulates the other word designs too, paying their entry size", () => {
    for (const design of ["buddy-16", "path-32"]) {
      const m = createMemmap(createRegistry({ design, plugins: [refFolio, refSlab] }), { pages: 4096 });
      expect(m.words.byteLength).toBe(4096 * m.registry.design.entryBytes);
      const f = m.memdescAllocNode("folio", { order: 3 });
      expect(m.lookup(m.descriptorPfn(f) + 7)).toMatchObject({ kind: "folio", descriptor: f });
      check(m);
      m.free(f);
      m.rcu.drain();
      check(m);
    }
  });
});

describe("the way back", () => {
  /** A pointer kind with today's layout and a memdesc-era one of its own members. */
  const thing = (extra: Record<string, unknown>, members: readonly MemberSpec[] = [["x", c.ulong]]) =>
    defineDescriptor({
      name: "memdesc-plugin-thing",
      kind: "thing",
      title: "struct thing",
      uses: ["kernel"],
      today: c.struct("thing", [["x", c.ulong]]),
      memdesc: c.struct("thing_md", members),
      schema: z.object({}),
      ...extra,
    });

  it("is where the simulator keeps the PFN: a kind without one cannot be simulated", () => {
    const none = createRegistry({ plugins: [refFolio, refSlab, thing({})] });
    expect(() => createMemmap(none, { pages: 4096 })).toThrow(
      expect.objectContaining({
        code: "NO_WAY_BACK",
        message: expect.stringMatching(/kind thing: .*no pfn field/),
      }),
    );
    const other = createRegistry({
      plugins: [
        refFolio,
        refSlab,
        thing({ wayBack: { how: "from its owner's table", provenance: proposal("a test") } }),
      ],
    });
    expect(() => createMemmap(other, { pages: 4096 })).toThrow(
      /finds its memory without a PFN field \(from its owner's table\)/,
    );
    // With a pfn, the descriptor keeps it: what descriptorPfn() and the free path read.
    const m = createMemmap(createRegistry({ plugins: [refFolio, refSlab, refPtdesc] }), { pages: 4096 });
    const p = m.memdescAllocNode("ptdesc");
    expect(m.readField(p, "pfn")).toBe(BigInt(m.descriptorPfn(p)));
    expect(m.lookup(m.descriptorPfn(p))).toMatchObject({ descriptor: p, kind: "ptdesc" });
  });
});
