import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { DumpPageError, dumpPageFacts, parseDumpPage } from "./dump-page.js";
import { exampleAddress, pageWord } from "./page-word.js";
import { firstPartyRegistry } from "./registry.js";

/** A report as mm/debug.c's __dump_folio prints it (Linux 6.12 to 6.18), with a log prefix per line. */
function report(r: {
  prefix: string;
  refcount: number;
  mapcount: number;
  mapping: bigint;
  index: bigint;
  pfn: number;
  order?: number | undefined;
  type?: "anon" | "ksm" | undefined;
  flags: bigint;
  names: string[];
  node: number;
  zone: number;
  pageType?: [number, string] | undefined;
  raw: bigint[];
}): string {
  const hex = (n: bigint | number) => `0x${n.toString(16)}`;
  const lines = [
    `page: refcount:${r.refcount} mapcount:${r.mapcount} mapping:${r.mapping.toString(16).padStart(16, "0")} index:${r.index === 0n ? "0" : hex(r.index)} pfn:${r.pfn === 0 ? "0" : hex(r.pfn)}`,
  ];
  if (r.order !== undefined)
    lines.push(`head: order:${r.order} mapcount:0 entire_mapcount:0 nr_pages_mapped:0 pincount:0`);
  const fields = [...r.names, `node=${r.node}`, `zone=${r.zone}`, "lastcpupid=0x1fffff"].join("|");
  lines.push(`${r.type ? `${r.type} ` : ""}flags: ${hex(r.flags)}(${fields})`);
  if (r.pageType) lines.push(`page_type: ${r.pageType[0].toString(16)}(${r.pageType[1]})`);
  for (let i = 0; i < r.raw.length; i += 4)
    lines.push(
      `raw: ${r.raw
        .slice(i, i + 4)
        .map((w) => w.toString(16).padStart(16, "0"))
        .join(" ")}`,
    );
  lines.push("page dumped because: test");
  return lines.map((l) => r.prefix + l).join("\n");
}

const word = fc.bigInt({ min: 0n, max: 2n ** 64n - 1n });

describe("dump_page() reports", () => {
  it("read back every field the kernel prints, whatever the log prefix", () => {
    fc.assert(
      fc.property(
        fc.record({
          prefix: fc.constantFrom("", "[   12.345678] ", "Dec  7 12:00:00 host kernel: ", "<4>"),
          refcount: fc.integer({ min: -5, max: 1 << 20 }),
          mapcount: fc.integer({ min: -1, max: 1 << 20 }),
          mapping: word,
          index: word,
          pfn: fc.integer({ min: 0, max: 2 ** 40 }),
          order: fc.option(fc.integer({ min: 1, max: 18 }), { nil: undefined }),
          type: fc.option(fc.constantFrom("anon" as const, "ksm" as const), { nil: undefined }),
          flags: word,
          names: fc.subarray([
            "locked",
            "uptodate",
            "lru",
            "head",
            "swapbacked",
            "reserved",
            "dirty",
            "owner_2",
          ]),
          node: fc.integer({ min: 0, max: 1023 }),
          zone: fc.integer({ min: 0, max: 4 }),
          pageType: fc.option(
            fc.constantFrom<[number, string]>([0xf0, "buddy"], [0xf5, "slab"], [0xf2, "table"]),
            {
              nil: undefined,
            },
          ),
          raw: fc.array(word, { minLength: 8, maxLength: 8 }),
        }),
        (r) => {
          const d = parseDumpPage(report(r));
          expect(d).toEqual({
            pfn: r.pfn,
            refcount: r.refcount,
            mapcount: r.mapcount,
            mapping: r.mapping.toString(16).padStart(16, "0"),
            index: r.index,
            ...(r.order !== undefined ? { order: r.order } : {}),
            flags: {
              value: r.flags,
              names: r.names,
              fields: { node: BigInt(r.node), zone: BigInt(r.zone), lastcpupid: 0x1fffffn },
              ...(r.type ? { type: r.type } : {}),
            },
            ...(r.pageType ? { pageType: r.pageType[1] } : {}),
            raw: r.raw,
          });
        },
      ),
      { numRuns: 300 },
    );
  });

  it("says what is missing or which line it cannot read, and nothing else", () => {
    expect(() => parseDumpPage("flags: 0x0(zone=0)")).toThrow(/no "page: refcount:… pfn:0x…" line/);
    expect(() => parseDumpPage("page: refcount:1 mapcount:0 mapping:0 pfn:0x10")).toThrow(
      /^line 1: a "page:" line, but not as dump_page\(\) prints it/,
    );
    expect(() =>
      parseDumpPage("page: refcount:1 mapcount:0 mapping:0 index:0x0 pfn:0x10\nraw: 00zz00000000000"),
    ).toThrow(DumpPageError);
    // Random text around a report is ignored.
    fc.assert(
      fc.property(fc.string(), (noise) => {
        const text = `${noise.replace(/page: refcount:|head: |flags: 0x|page_type: |raw: |memcg:/g, "")}\npage: refcount:1 mapcount:0 mapping:0000000000000000 index:0x0 pfn:0x42`;
        expect(parseDumpPage(text).pfn).toBe(0x42);
      }),
    );
  });

  it("gives the facts of the page: its use, order, mapping, zone and node", () => {
    const base = "page: refcount:1 mapcount:1 mapping:0000000000000000 index:0x7 pfn:0x10c3e2";
    const facts = (extra: string) => dumpPageFacts(parseDumpPage(`${base}\n${extra}`)).facts;
    expect(facts("anon flags: 0x17ffffc0080068(uptodate|lru|head|swapbacked|node=1|zone=2)")).toMatchObject({
      use: "anon",
      mapped: true,
      node: 1,
      zone: 2,
    });
    expect(
      facts(
        "head: order:9 mapcount:0 entire_mapcount:1 nr_pages_mapped:0 pincount:0\nflags: 0x40(head|node=0|zone=2)",
      ),
    ).toMatchObject({
      use: "compound",
      extent: { pages: 512, order: 9, basis: "dump" },
    });
    expect(facts("flags: 0x2000(reserved|node=0|zone=1)").use).toBe("reserved");
    expect(facts("flags: 0x28(uptodate|lru|node=0|zone=2)").use).toBe("file");
    expect(facts("flags: 0x0(node=0|zone=2)\npage_type: f8(large_kmalloc)")).toMatchObject({
      use: "compound",
      subtype: "kmalloc_large",
    });
    // A free block's order is in page->private, the fifth raw word.
    const free = facts(
      "flags: 0x0(node=0|zone=2)\npage_type: f0(buddy)\nraw: 0017ffffc0000000 ffffea0004000008 ffffea0004000008 0000000000000000\nraw: 0000000000000000 0000000000000003 00000000f0ffffff 0000000000000000",
    );
    expect(free).toMatchObject({ use: "free", extent: { order: 3, pages: 8 } });
  });

  it("makes the word core's codec gives for that page under the design", () => {
    const registry = firstPartyRegistry("memdesc-8");
    const slab = dumpPageFacts(
      parseDumpPage(
        "page: refcount:1 mapcount:0 mapping:0000000000000000 index:0x0 pfn:0x1234\nhead: order:1 mapcount:0 entire_mapcount:0 nr_pages_mapped:0 pincount:0\nflags: 0x40(head|node=0|zone=2)\npage_type: f5(slab)",
      ),
    ).facts;
    const w = pageWord(registry, slab);
    expect(w.kind).toBe("slab");
    expect(w.word).toBe(registry.codec.encode({ kind: "slab", address: exampleAddress }));
    expect(w.descriptor?.size).toBe(registry.descriptorSize("slab", 1)!.size);
    const free = dumpPageFacts(
      parseDumpPage(
        "page: refcount:0 mapcount:0 mapping:0000000000000000 index:0x0 pfn:0x8000\nflags: 0x0(node=1|zone=2)\npage_type: f0(buddy)\nraw: 0 0 0 0\nraw: 0000000000000000 0000000000000005 0000000000000000 0000000000000000".replace(
          /raw: 0 0 0 0/,
          "raw: 0017ffffc0000000 ffffea0004000008 ffffea0004000008 0000000000000000",
        ),
      ),
    ).facts;
    const b = pageWord(registry, free);
    expect(b.word).toBe(
      registry.codec.encode({ kind: "buddy", fields: { order: 5n, tail: 0n, pcp: 0n, slot: 0n } }),
    );
    const guard = dumpPageFacts(
      parseDumpPage(
        "page: refcount:0 mapcount:0 mapping:0000000000000000 index:0x0 pfn:0x9000\nflags: 0x0(node=3|zone=1)\npage_type: f3(guard)",
      ),
    ).facts;
    const g = pageWord(registry, guard);
    expect(g.kind).toBe("misc");
    expect(g.word).toBe(
      registry.codec.encode({
        kind: "misc",
        fields: { subtype: 4n, mappable: 0n, order: 0n, zone: 1n, node: 3n },
      }),
    );
  });
});
