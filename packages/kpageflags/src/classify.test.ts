import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { bits, chunksOf, classifyWords, folio, KPF, pageMap, times } from "../test/pagemap.js";
import { simpleClassify } from "../test/simple-classifier.js";
import { type Classification, Classifier, useNumbers, useOfFlags } from "./classify.js";
import { ramMap } from "./read/iomem.js";
import { surveyUses } from "./uses.js";

const w = (...b: number[]) => bits(...b);
const use = (word: bigint) => surveyUses[useOfFlags(Number(word & 0xffff_ffffn), Number(word >> 32n))];

const file = w(KPF.UPTODATE, KPF.LRU);
const anon = w(KPF.UPTODATE, KPF.LRU, KPF.MMAP, KPF.ANON, KPF.SWAPBACKED);
const slab = w(KPF.SLAB);
const buddy = w(KPF.BUDDY);

describe("useOfFlags: one use per flag word", () => {
  it("numbers uses in surveyUses order", () => {
    expect(surveyUses.map((u) => useNumbers[u])).toEqual(surveyUses.map((_, i) => i));
  });

  it.each([
    ["BUDDY", w(KPF.BUDDY), "free"],
    ["BUDDY with UPTODATE (PG_reported)", w(KPF.BUDDY, KPF.UPTODATE), "free"],
    ["page cache", 0x402000028n, "file"],
    ["mapped file", 0x40000086cn, "file"],
    ["shmem (swapbacked, not anon)", w(KPF.UPTODATE, KPF.DIRTY, KPF.LRU, KPF.SWAPBACKED), "file"],
    ["large page-cache folio tail", 0x802410068n, "file"],
    ["page cache off the LRU, only mappedtodisk", w(KPF.OWNER_2), "file"],
    ["anon", 0x400005828n, "anon"],
    ["anon THP", w(KPF.ANON, KPF.THP, KPF.LRU, KPF.MMAP), "anon"],
    ["KSM", w(KPF.ANON, KPF.KSM, KPF.MMAP), "ksm"],
    ["slab", w(KPF.SLAB), "slab"],
    ["slab reading ANON (struct slab at offset 24)", 0x1080n, "slab"],
    ["slab reading ANON|KSM", 0x201080n, "slab"],
    ["slab tail reading ANON", 0x11080n, "slab"],
    ["page table", w(KPF.PGTABLE), "pagetable"],
    ["page table, referenced", 0x4000004n, "pagetable"],
    ["hugetlb", w(KPF.HUGE, KPF.HEAD), "hugetlb"],
    ["zero page (reserved)", 0x101000000n, "zero"],
    ["huge zero folio (THP)", w(KPF.ZERO_PAGE, KPF.THP, KPF.HEAD), "zero"],
    ["reserved", 0x100000000n, "reserved"],
    ["reserved mapped into user space (vDSO)", 0x100000804n, "reserved"],
    ["offline", w(KPF.OFFLINE), "offline"],
    ["hwpoison", w(KPF.HWPOISON, KPF.LRU), "hwpoison"],
    ["untyped compound head", w(KPF.HEAD), "compound"],
    ["untyped compound tail", w(KPF.TAIL), "compound"],
    ["PRIVATE only (zsmalloc first page)", w(KPF.PRIVATE), "kernel"],
    ["LOCKED only", w(KPF.LOCKED), "kernel"],
    ["IDLE only", w(KPF.IDLE), "kernel"],
    ["NOPAGE (kernels before 6.15)", w(KPF.NOPAGE), "hole"],
  ])("%s → %s", (_, word, expected) => {
    expect(use(word)).toBe(expected);
  });
});

describe("descriptors: one per folio or slab, never per tail", () => {
  it("counts a head and its tails as one descriptor of order log2(run)", () => {
    const c = classifyWords([...folio(file, 2), ...folio(slab, 1), slab, slab, ...folio(anon, 3), file]);
    expect(c.uses.file).toEqual({ pages: 5, descriptors: 2, orders: [1, 0, 1] });
    expect(c.uses.slab).toEqual({ pages: 4, descriptors: 3, orders: [2, 1] });
    expect(c.uses.anon).toEqual({ pages: 8, descriptors: 1, orders: [0, 0, 0, 1] });
    expect(c.quirks.tails).toBe(3 + 1 + 7);
    expect(Object.values(c.anomalies.counts).every((n) => n === 0)).toBe(true);
  });

  it("tail pages carry their head's flags: pages go to the folio's use, the descriptor to its head", () => {
    // A 2 MiB page-cache folio: every tail reads THP|LRU|UPTODATE like the head.
    const thp = w(KPF.UPTODATE, KPF.LRU, KPF.THP);
    const c = classifyWords([...folio(thp, 9)]);
    expect(c.uses.file).toEqual({ pages: 512, descriptors: 1, orders: [0, 0, 0, 0, 0, 0, 0, 0, 0, 1] });
    expect(c.quirks.tailsDiffering).toBe(0);
  });

  it("counts a folio split across chunks once", () => {
    const map = [...times(buddy, 8), ...folio(file, 3), ...folio(slab, 2), slab];
    for (const chunkPfns of [1, 2, 3, 5, 7, 64]) {
      const c = classifyWords(map, { chunkPfns });
      expect(c.uses.file, `chunk ${chunkPfns}`).toEqual({ pages: 8, descriptors: 1, orders: [0, 0, 0, 1] });
      expect(c.uses.slab).toEqual({ pages: 5, descriptors: 2, orders: [1, 0, 1] });
      expect(c.anomalies.counts.misaligned).toBe(0);
    }
  });

  it("treats adjacent identical heads as separate compound pages", () => {
    const c = classifyWords([...folio(file, 1), ...folio(file, 1), ...folio(file, 1)]);
    expect(c.uses.file).toEqual({ pages: 6, descriptors: 3, orders: [0, 3] });
  });

  it("gives no descriptors to free, reserved, offline, kernel, uninit or hole pages", () => {
    const c = classifyWords([
      ...times(buddy, 4),
      w(KPF.RESERVED),
      w(KPF.OFFLINE),
      w(KPF.PRIVATE),
      0n,
      w(KPF.HWPOISON),
    ]);
    for (const u of ["free", "reserved", "offline", "kernel", "hwpoison"] as const)
      expect(c.uses[u].descriptors).toBe(0);
    expect(c.uses.free.pages).toBe(4);
    expect(c.uses.kernel.pages).toBe(2);
  });

  it("counts the zero page and untyped compound pages (large kmalloc) as one descriptor each", () => {
    const c = classifyWords([0x101000000n, ...folio(0n, 2)]);
    expect(c.uses.zero).toEqual({ pages: 1, descriptors: 1, orders: [1] });
    expect(c.uses.compound).toEqual({ pages: 4, descriptors: 1, orders: [0, 0, 1] });
  });
});

describe("quirks of 6.17/6.18 kernels", () => {
  it("ANON (and KSM) on slab pages: still slab, counted as an artifact", () => {
    const c = classifyWords([...folio(w(KPF.SLAB, KPF.ANON), 1), w(KPF.SLAB, KPF.ANON, KPF.KSM), slab]);
    expect(c.uses.slab).toEqual({ pages: 4, descriptors: 3, orders: [2, 1] });
    expect(c.uses.anon.pages + c.uses.ksm.pages).toBe(0);
    expect(c.quirks.slabAnon).toBe(3);
  });

  it("UPTODATE on free pages (page reporting): still free", () => {
    const c = classifyWords([w(KPF.BUDDY, KPF.UPTODATE), ...times(buddy, 511)]);
    expect(c.uses.free).toEqual({ pages: 512, descriptors: 0, orders: [] });
    expect(c.uses.file.pages).toBe(0);
    expect(c.quirks.reportedFree).toBe(1);
  });

  it("BUDDY on every page of a free block: adjacent blocks merge, no descriptors, no anomalies", () => {
    const c = classifyWords([...times(buddy, 3), file, ...times(buddy, 12)]);
    expect(c.uses.free.pages).toBe(15);
    expect(c.anomalies.examples).toEqual([]);
  });

  it("holes read 0: outside System RAM a zero page is a hole", () => {
    // RAM at PFNs [0, 8) and [16, 24); the 8 PFNs between read 0, as the 3–4 GiB PCI hole does.
    const ram = ramMap([
      { start: 0, end: 8 },
      { start: 16, end: 24 },
    ]);
    const c = classifyWords([...times(file, 8), ...times(0n, 8), ...times(file, 4), ...times(0n, 4)], {
      ram,
      sectionPfns: 64,
    });
    expect(c.uses.hole.pages).toBe(8);
    expect(c.uses.kernel.pages).toBe(4);
    expect(c.quirks.holesReadingZero).toBe(8);
    expect(c.ram).toEqual({ known: true, pagesInSpan: 16, flaggedOutsideRam: 0 });
  });

  it("zero runs covering whole memory sections in RAM are uninitialised memmap; shorter ones untyped kernel", () => {
    const ram = ramMap([{ start: 0, end: 64 }]);
    // Sections of 16 PFNs: a zero run over PFNs 10..50 covers sections 1 and 2 (16..48) whole.
    const map = [...times(file, 10), ...times(0n, 40), ...times(slab, 14)];
    for (const chunkPfns of [3, 16, 64]) {
      const c = classifyWords(map, { ram, sectionPfns: 16, chunkPfns });
      expect(c.uses.uninit.pages).toBe(32);
      expect(c.uses.kernel.pages).toBe(8);
      expect(c.quirks.zeroInRam).toBe(40);
    }
  });

  it("a zero run of exactly one aligned section is uninitialised", () => {
    const c = classifyWords([file, ...times(0n, 15), ...times(0n, 16), file], {
      ram: ramMap([{ start: 0, end: 64 }]),
      sectionPfns: 16,
    });
    expect(c.uses.uninit.pages).toBe(16);
    expect(c.uses.kernel.pages).toBe(15);
  });

  it("a zero run in RAM shorter than a section is kernel memory even when aligned", () => {
    const c = classifyWords([...times(0n, 15), file], {
      ram: ramMap([{ start: 0, end: 16 }]),
      sectionPfns: 16,
    });
    expect(c.uses.kernel.pages).toBe(15);
    expect(c.uses.uninit.pages).toBe(0);
  });

  it("non-zero pages outside RAM keep their use and are counted apart", () => {
    const c = classifyWords([w(KPF.RESERVED), ...times(file, 3)], { ram: ramMap([{ start: 1, end: 4 }]) });
    expect(c.uses.reserved.pages).toBe(1);
    expect(c.ram.flaggedOutsideRam).toBe(1);
  });
});

describe("anomalies are reported, not hidden", () => {
  it("a tail with no head", () => {
    const c = classifyWords([file, w(KPF.TAIL, KPF.LRU, KPF.UPTODATE)], { startPfn: 100 });
    expect(c.anomalies.counts["orphan-tail"]).toBe(1);
    expect(c.anomalies.examples[0]).toMatchObject({ kind: "orphan-tail", pfn: 101, pages: 1 });
    expect(c.uses.file).toEqual({ pages: 2, descriptors: 1, orders: [1] });
  });

  it("a run that is not a power of two, a misaligned head, a head with no tails", () => {
    const c = classifyWords([
      ...folio(file, 1),
      w(KPF.TAIL, KPF.UPTODATE, KPF.LRU),
      file,
      file,
      ...folio(slab, 1),
      w(KPF.HEAD),
    ]);
    expect(c.anomalies.counts).toEqual({
      "orphan-tail": 0,
      "not-power-of-two": 1,
      misaligned: 1,
      "lonely-head": 1,
    });
    expect(c.anomalies.examples.map((a) => [a.kind, a.pfn, a.pages])).toEqual([
      ["not-power-of-two", 0, 3],
      ["misaligned", 5, 2],
      ["lonely-head", 7, 1],
    ]);
    expect(c.uses.file).toEqual({ pages: 5, descriptors: 3, orders: [2, 1] });
    expect(c.uses.compound).toEqual({ pages: 1, descriptors: 1, orders: [1] });
  });

  it("a tail whose flags differ from its head's (the folio changed mid-read)", () => {
    const c = classifyWords([
      w(KPF.HEAD, KPF.LRU, KPF.UPTODATE),
      w(KPF.TAIL, KPF.LRU, KPF.UPTODATE, KPF.ACTIVE),
    ]);
    expect(c.quirks.tailsDiffering).toBe(1);
    expect(c.uses.file.descriptors).toBe(1);
  });

  // Every anomaly a read racing the kernel can show, by hand, the answers worked out from the rules (a descriptor
  // per head, order log2 of head and tails; a tail belongs only to an open head of its own use), for any chunking.
  const chunkings = [1, 2, 3, 65536];
  const headOf = (word: bigint) => word | w(KPF.HEAD);
  const tailOf = (word: bigint) => word | w(KPF.TAIL);
  const kinds = (c: ReturnType<typeof classifyWords>) =>
    c.anomalies.examples.map((a) => [a.kind, a.pfn, a.pages]);

  it("tails after a head of another use: the head stands alone, the tails are orphans", () => {
    for (const chunkPfns of chunkings) {
      const c = classifyWords([headOf(anon), tailOf(slab), tailOf(slab), buddy, ...folio(file, 1)], {
        chunkPfns,
      });
      expect(c.uses.anon, `chunk ${chunkPfns}`).toEqual({ pages: 1, descriptors: 1, orders: [1] });
      expect(c.uses.slab).toEqual({ pages: 2, descriptors: 0, orders: [] });
      expect(c.uses.file).toEqual({ pages: 2, descriptors: 1, orders: [0, 1] });
      expect(c.anomalies.counts).toEqual({
        "orphan-tail": 1,
        "not-power-of-two": 0,
        misaligned: 0,
        "lonely-head": 1,
      });
      expect(kinds(c)).toEqual([
        ["lonely-head", 0, 1],
        ["orphan-tail", 1, 2],
      ]);
    }
  });

  it("repeated heads: every head but the last stands alone, and none is lost", () => {
    for (const chunkPfns of chunkings) {
      // Three identical heads, then the last one's tail; then heads of two uses in a row.
      const c = classifyWords(
        [...times(headOf(file), 3), tailOf(file), headOf(anon), headOf(file), tailOf(file)],
        {
          chunkPfns,
        },
      );
      expect(c.uses.file, `chunk ${chunkPfns}`).toEqual({ pages: 6, descriptors: 4, orders: [2, 2] });
      expect(c.uses.anon).toEqual({ pages: 1, descriptors: 1, orders: [1] });
      // The heads at 0, 1 and 4 stand alone; 2+3 and 5+6 are order-1 folios, 5+6 misaligned.
      expect(c.anomalies.counts).toEqual({
        "orphan-tail": 0,
        "not-power-of-two": 0,
        misaligned: 1,
        "lonely-head": 3,
      });
      expect(c.quirks.tails).toBe(2);
    }
  });

  it("tails with no head: at the start of the span, after an order-0 page, after a free block", () => {
    for (const chunkPfns of chunkings) {
      const c = classifyWords(
        [tailOf(file), tailOf(file), file, tailOf(file), ...times(buddy, 2), tailOf(anon)],
        { chunkPfns, startPfn: 64 },
      );
      expect(c.uses.file, `chunk ${chunkPfns}`).toEqual({ pages: 4, descriptors: 1, orders: [1] });
      expect(c.uses.anon).toEqual({ pages: 1, descriptors: 0, orders: [] });
      expect(c.anomalies.counts["orphan-tail"]).toBe(3);
      expect(kinds(c)).toEqual([
        ["orphan-tail", 64, 2],
        ["orphan-tail", 67, 1],
        ["orphan-tail", 70, 1],
      ]);
    }
  });

  it("a head at the end of the span: one descriptor, a lonely head", () => {
    for (const chunkPfns of chunkings) {
      const c = classifyWords([...folio(slab, 1), headOf(slab)], { chunkPfns, startPfn: 8 });
      expect(c.uses.slab, `chunk ${chunkPfns}`).toEqual({ pages: 3, descriptors: 2, orders: [1, 1] });
      expect(kinds(c)).toEqual([["lonely-head", 10, 1]]);
    }
  });

  it("bits no kernel sets", () => {
    const c = classifyWords([bits(27) | file, bits(1), bits(50)]);
    expect(c.quirks.unknownBits).toBe(3);
    expect(c.quirks.unknownBitList).toEqual([1, 27, 50]);
  });
});

describe("flag-word histogram", () => {
  it("counts pages per 64-bit word, like page-types", () => {
    const c = classifyWords([...times(buddy, 3), 0x402000028n, 0x402000028n, 1n << 63n, 0n]);
    expect(c.flagWords).toEqual([
      { flags: "0x0000000000000400", pages: 3 },
      { flags: "0x0000000402000028", pages: 2 },
      { flags: "0x0000000000000000", pages: 1 },
      { flags: "0x8000000000000000", pages: 1 },
    ]);
  });
});

/** A page map built from objects whose use, pages and descriptor orders are known. */
const objectArb = fc.oneof(
  fc.record({ kind: fc.constant("free" as const), n: fc.integer({ min: 1, max: 40 }) }),
  fc.record({ kind: fc.constant("zero" as const), n: fc.integer({ min: 1, max: 40 }) }),
  fc.record({
    kind: fc.constantFrom(
      "file" as const,
      "anon" as const,
      "slab" as const,
      "compound" as const,
      "hugetlb" as const,
    ),
    order: fc.integer({ min: 0, max: 5 }),
    anonOnSlab: fc.boolean(),
  }),
  fc.record({ kind: fc.constant("pagetable" as const), n: fc.integer({ min: 1, max: 5 }) }),
);

const baseWord = {
  file: w(KPF.UPTODATE, KPF.LRU),
  anon: w(KPF.UPTODATE, KPF.LRU, KPF.ANON, KPF.MMAP),
  slab: w(KPF.SLAB),
  compound: 0n,
  hugetlb: w(KPF.HUGE),
};

type PageObject = typeof objectArb extends fc.Arbitrary<infer T> ? T : never;

function build(objects: PageObject[]) {
  const words: bigint[] = [];
  const truth: Record<string, { pages: number; descriptors: number; orders: number[] }> = {};
  const t = (u: string) => (truth[u] ??= { pages: 0, descriptors: 0, orders: [] });
  for (const o of objects) {
    if (o.kind === "free" || o.kind === "zero") {
      words.push(...times(o.kind === "free" ? buddy : 0n, o.n).map(BigInt));
      t(o.kind === "free" ? "free" : "kernel").pages += o.n;
    } else if (o.kind === "pagetable") {
      words.push(...times(w(KPF.PGTABLE), o.n).map(BigInt));
      t("pagetable").pages += o.n;
      t("pagetable").descriptors += o.n;
      t("pagetable").orders[0] = (t("pagetable").orders[0] ?? 0) + o.n;
    } else {
      // Natural alignment, as the buddy allocator gives: pad with free pages.
      while (words.length % 2 ** o.order !== 0) {
        words.push(buddy);
        t("free").pages++;
      }
      const word = baseWord[o.kind] | (o.kind === "slab" && o.anonOnSlab ? w(KPF.ANON) : 0n);
      if (o.order === 0 && o.kind === "compound") {
        words.push(w(KPF.PRIVATE));
        t("kernel").pages++;
        continue;
      }
      words.push(...(o.order === 0 ? [word] : folio(word, o.order)));
      const e = t(o.kind);
      e.pages += 2 ** o.order;
      e.descriptors++;
      for (let k = e.orders.length; k <= o.order; k++) e.orders[k] = 0;
      e.orders[o.order]!++;
    }
  }
  return { words, truth };
}

describe("properties", () => {
  it("pages and descriptors per use match the objects a map was built from, for any chunking", () => {
    fc.assert(
      fc.property(
        fc.array(objectArb, { minLength: 1, maxLength: 40 }),
        fc.integer({ min: 1, max: 97 }),
        (objects, chunkPfns) => {
          const { words, truth } = build(objects);
          const c = classifyWords(words, { chunkPfns });
          for (const u of surveyUses) {
            const want = truth[u] ?? { pages: 0, descriptors: 0, orders: [] };
            expect(c.uses[u], u).toEqual(want);
          }
          expect(Object.values(c.anomalies.counts).every((n) => n === 0)).toBe(true);
        },
      ),
      { numRuns: 300 },
    );
  });

  it("every PFN gets exactly one use and every descriptor one order", () => {
    const wordArb = fc.constantFrom(
      0n,
      buddy,
      file,
      anon,
      slab,
      w(KPF.HEAD),
      w(KPF.TAIL),
      w(KPF.RESERVED),
      1n << 40n,
    );
    fc.assert(
      fc.property(
        fc.array(wordArb, { maxLength: 300 }),
        fc.integer({ min: 1, max: 50 }),
        (words, chunkPfns) => {
          const c = classifyWords(pageMap(words), {
            chunkPfns,
            ram: ramMap([{ start: 5, end: 200 }]),
            sectionPfns: 8,
          });
          const whole = classifyWords(pageMap(words), {
            ram: ramMap([{ start: 5, end: 200 }]),
            sectionPfns: 8,
          });
          expect(c).toEqual(whole);
          expect(surveyUses.reduce((s, u) => s + c.uses[u].pages, 0)).toBe(words.length);
          expect(c.flagWords.reduce((s, f) => s + f.pages, 0)).toBe(words.length);
          for (const u of surveyUses)
            expect(c.uses[u].orders.reduce((s, n) => s + n, 0)).toBe(c.uses[u].descriptors);
        },
      ),
      { numRuns: 300 },
    );
  });
});

/**
 * Page maps a read racing the kernel can show: folios cut short or run long, misaligned, heads repeated, tails
 * after a head of another use or with no head at all, heads at the end of the span, tails whose word differs
 * from their head's; among free, zero, reserved, hole and unknown-bit pages, in and out of RAM.
 */
const racyWord = fc.constantFrom(
  file,
  file | w(KPF.ACTIVE),
  anon,
  w(KPF.ANON, KPF.KSM, KPF.MMAP),
  slab,
  slab | w(KPF.ANON),
  w(KPF.HUGE),
  0n,
  w(KPF.PGTABLE),
  buddy,
  buddy | w(KPF.UPTODATE),
  w(KPF.RESERVED),
  w(KPF.ZERO_PAGE, KPF.RESERVED),
  w(KPF.NOPAGE),
  w(KPF.PRIVATE),
  w(KPF.OFFLINE),
  w(KPF.HWPOISON),
  bits(27) | file,
  bits(1),
  bits(50) | anon,
  bits(28),
  bits(45),
);
const racyPiece = fc.oneof(
  // A compound page, its tail count off by one now and then, aligned or not.
  fc
    .tuple(racyWord, fc.integer({ min: 1, max: 4 }), fc.constantFrom(0, 0, 0, -1, 1), fc.boolean())
    .map(([word, order, off, align]) => ({
      align: align ? 2 ** order : 1,
      words: [...folio(word, order), ...times(word | w(KPF.TAIL), off)].slice(0, 2 ** order + off),
    })),
  fc
    .tuple(racyWord, fc.integer({ min: 1, max: 4 }))
    .map(([word, n]) => ({ align: 1, words: times(word | w(KPF.HEAD), n) })),
  fc
    .tuple(racyWord, fc.integer({ min: 1, max: 5 }))
    .map(([word, n]) => ({ align: 1, words: times(word | w(KPF.TAIL), n) })),
  fc
    .tuple(racyWord, fc.integer({ min: 1, max: 6 }))
    .map(([word, n]) => ({ align: 1, words: times(word, n) })),
  fc.integer({ min: 1, max: 40 }).map((n) => ({ align: 1, words: times(0n, n) })),
);

describe("against the independent classifier, on maps with every anomaly a racing read shows", () => {
  it("agrees on pages, descriptors, orders, anomalies, quirks, flag words, RAM, mapcounts and memcgs", () => {
    fc.assert(
      fc.property(
        fc.array(racyPiece, { minLength: 1, maxLength: 30 }),
        fc.constantFrom(0, 1, 8, 61),
        fc.option(fc.array(fc.tuple(fc.nat(300), fc.integer({ min: 1, max: 120 })), { maxLength: 4 }), {
          nil: null,
        }),
        fc.constantFrom(4, 8, 16),
        fc.integer({ min: 1, max: 70 }),
        fc.nat(20),
        fc.array(fc.constantFrom(0n, 0n, 1n, 3n, 2n ** 32n + 5n), { minLength: 1, maxLength: 7 }),
        fc.array(fc.constantFrom(0n, 7n, 4097n, 2n ** 40n), { minLength: 1, maxLength: 5 }),
        (pieces, startPfn, ramRuns, sectionPfns, chunkPfns, maxExamples, countCycle, cgCycle) => {
          const list: bigint[] = [];
          for (const p of pieces) {
            while ((startPfn + list.length) % p.align !== 0) list.push(buddy);
            list.push(...p.words.map(BigInt));
          }
          const words = BigUint64Array.from(list);
          const n = words.length;
          const counts = BigUint64Array.from(list, (_, i) => countCycle[i % countCycle.length]!);
          const cgroups = BigUint64Array.from(list, (_, i) => cgCycle[Math.floor(i / 3) % cgCycle.length]!);
          const ram = ramRuns && ramMap(ramRuns.map(([s, len]) => ({ start: s, end: s + len })));
          const c = new Classifier({ ram, sectionPfns, startPfn, maxExamples });
          const [flagMap, countMap, cgMap] = [pageMap(list), pageMap([...counts]), pageMap([...cgroups])];
          for (const ch of chunksOf(flagMap, chunkPfns, startPfn)) {
            const at = (m: Uint32Array) =>
              m.slice((ch.pfn - startPfn) * 2, (ch.pfn - startPfn + ch.length) * 2);
            c.push({ ...ch, counts: at(countMap), cgroups: at(cgMap) });
          }
          const got = c.finish();
          const want = simpleClassify(
            words,
            startPfn,
            ram ? ram.ranges.map((r) => [r.start, r.end] as [number, number]) : null,
            sectionPfns,
            undefined,
            { counts, cgroups },
          );
          expect([got.startPfn, got.pfnCount]).toEqual([startPfn, n]);
          expect(Object.keys(got.uses)).toEqual([...surveyUses]);
          for (const u of surveyUses) {
            const orders: number[] = [];
            for (const [k, v] of Object.entries(want.orders[u] ?? {})) orders[Number(k)] = v;
            expect(got.uses[u], u).toEqual({
              pages: want.pages[u] ?? 0,
              descriptors: want.descriptors[u] ?? 0,
              orders: Array.from(orders, (v) => v ?? 0),
            });
          }
          const counted = { "orphan-tail": 0, "not-power-of-two": 0, misaligned: 0, "lonely-head": 0 };
          for (const a of want.anomalies) counted[a.kind]++;
          expect(got.anomalies.counts).toEqual(counted);
          checkExamples(got, want.anomalies, words, startPfn, maxExamples);
          expect(got.quirks).toEqual(want.quirks);
          expect(got.flagWords).toEqual(want.flagWords);
          expect(got.ram).toEqual(want.ram);
          const perUse = (r: Record<string, number>) =>
            Object.fromEntries(surveyUses.map((u) => [u, r[u] ?? 0]));
          expect(got.mapcount).toEqual({
            mappedPages: perUse(want.mapcount!.mappedPages),
            mappings: perUse(want.mapcount!.mappings),
            freeButMapped: want.mapcount!.freeButMapped,
          });
          expect(got.cgroups).toEqual(want.cgroups);
        },
      ),
      { numRuns: 400 },
    );
  });
});

/**
 * The examples a classification keeps are the first anomalies in PFN order, up to `maxExamples`; a run of heads
 * reading the same word, each standing alone, shares one example.
 */
function checkExamples(
  got: Classification,
  want: readonly { kind: string; pfn: number; pages: number }[],
  words: BigUint64Array,
  startPfn: number,
  maxExamples: number,
) {
  const ex = got.anomalies.examples.map((a) => ({ kind: a.kind, pfn: a.pfn, pages: a.pages }));
  expect(ex.length).toBeLessThanOrEqual(maxExamples);
  if (want.length && maxExamples) expect(ex[0]).toEqual(want[0]);
  let k = 0;
  for (const e of ex) {
    while (k < want.length && (want[k]!.pfn !== e.pfn || want[k]!.kind !== e.kind)) k++;
    expect(want[k], `example ${JSON.stringify(e)} is an anomaly, in PFN order`).toEqual(e);
    expect(got.anomalies.examples[ex.indexOf(e)]!.flags).toBe(
      `0x${words[e.pfn - startPfn]!.toString(16).padStart(16, "0")}`,
    );
    k++;
  }
  if (ex.length < maxExamples)
    for (const a of want) {
      const shared =
        a.kind === "lonely-head" &&
        want.some((b) => b.kind === "lonely-head" && b.pfn === a.pfn - 1) &&
        words[a.pfn - startPfn - 1] === words[a.pfn - startPfn];
      if (!shared) expect(ex, `${a.kind} at ${a.pfn} kept`).toContainEqual(a);
    }
}

describe("the stream of batches", () => {
  const runs = (pfn: number, ...r: [bigint, number][]) => ({
    pfn,
    length: r.reduce((s, [, n]) => s + n, 0),
    flags: {
      runs: Float64Array.from(
        r.flatMap(([word, n]) => [Number(word & 0xffff_ffffn), Number(word >> 32n), n]),
      ),
      count: r.length,
    },
  });

  it("refuses a batch out of order, and one whose runs do not cover it, naming the PFNs", () => {
    const c = new Classifier({ ram: null, sectionPfns: 8, startPfn: 100 });
    c.pushRuns(runs(100, [file, 3]));
    expect(() => c.pushRuns(runs(104, [file, 1]))).toThrow(
      "batch starts at PFN 104, expected 103: the page map must come in order",
    );
    expect(() => c.pushRuns({ ...runs(103, [file, 2]), length: 5 })).toThrow(
      "batch at PFN 103: runs cover 2 PFNs, not 5",
    );
  });

  it("takes empty chunks and batches anywhere, and an empty map", () => {
    const c = new Classifier({ ram: null, sectionPfns: 8, startPfn: 16 });
    c.push({ pfn: 99, length: 0, flags: new Uint32Array(0) });
    c.pushRuns({ pfn: 7, length: 0, flags: { runs: new Float64Array(0), count: 0 } });
    c.pushRuns(runs(16, [file, 2], [0n, 1]));
    c.pushRuns({ pfn: 3, length: 0, flags: { runs: new Float64Array(0), count: 0 } });
    const got = c.finish();
    expect([got.startPfn, got.pfnCount, got.uses.file.pages, got.uses.kernel.pages]).toEqual([16, 3, 2, 1]);
    const empty = new Classifier({ ram: null, sectionPfns: 8, startPfn: 5 }).finish();
    expect([empty.pfnCount, empty.flagWords, empty.ram.pagesInSpan]).toEqual([0, [], 0]);
    expect(surveyUses.every((u) => empty.uses[u].pages === 0)).toBe(true);
  });

  it("skips empty runs: they neither open a compound page nor end one", () => {
    const c = new Classifier({ ram: null, sectionPfns: 8 });
    c.pushRuns(runs(0, [w(KPF.HEAD, KPF.SLAB), 1], [w(KPF.HEAD, KPF.LRU), 0], [w(KPF.TAIL, KPF.SLAB), 1]));
    c.pushRuns(runs(2, [0n, 0], [w(KPF.TAIL, KPF.SLAB), 2], [w(KPF.HEAD), 0]));
    c.pushRuns(runs(4, [w(KPF.HEAD), 0]));
    const got = c.finish();
    expect(got.uses.slab).toEqual({ pages: 4, descriptors: 1, orders: [0, 0, 1] });
    expect(got.uses.file.pages + got.uses.compound.pages + got.uses.kernel.pages).toBe(0);
    expect(got.anomalies.examples).toEqual([]);
    expect(got.flagWords.map((f) => f.pages)).toEqual([3, 1]);
  });

  it("gives the same tallies if asked again after the end", () => {
    const c = new Classifier({ ram: null, sectionPfns: 8 });
    c.push({ pfn: 0, length: 3, flags: pageMap([...folio(file, 1), file | w(KPF.HEAD)]) });
    const first = c.finish();
    expect(first.uses.file).toEqual({ pages: 3, descriptors: 2, orders: [1, 1] });
    expect(c.finish()).toEqual(first);
  });

  it("keeps 16 anomalies as examples unless told otherwise, and counts them all", () => {
    const map = times(w(KPF.TAIL, KPF.SLAB), 1).concat(
      ...Array.from({ length: 20 }, () => [file, w(KPF.TAIL, KPF.SLAB)]),
    );
    const c = classifyWords(map);
    expect(c.anomalies.counts["orphan-tail"]).toBe(21);
    expect(c.anomalies.examples.map((a) => a.pfn)).toEqual(Array.from({ length: 16 }, (_, i) => i * 2));
    expect(classifyWords(map, { maxExamples: 0 }).anomalies.examples).toEqual([]);
  });
});
