import type { MemoryUse, miscSubtypes } from "@memdesc/core";
import type { PageFacts } from "./page-word.js";

/**
 * A `dump_page()` report as the kernel prints it (mm/debug.c, `__dump_folio`, Linux 6.12 to 6.18):
 *
 * ```
 * page: refcount:1 mapcount:0 mapping:0000000000000000 index:0x0 pfn:0x10c3e2
 * head: order:9 mapcount:0 entire_mapcount:0 nr_pages_mapped:0 pincount:0
 * memcg:ffff888101e4a000
 * anon flags: 0x17ffffc0080068(uptodate|lru|head|swapbacked|node=0|zone=2|lastcpupid=0x1fffff)
 * page_type: f5(slab)
 * raw: 0017ffffc0080068 ffffea000430f888 ffffea000430f908 ffff888100d5f441
 * raw: 0000000000000000 0000000000000000 00000001ffffffff ffff888101e4a000
 * page dumped because: …
 * ```
 *
 * Lines may carry the log's prefixes (`[   12.345678] `, `kernel: `); any subset of them is read.
 */
export interface DumpPage {
  readonly pfn: number;
  readonly refcount?: number;
  readonly mapcount?: number;
  /** `mapping:` as printed (a hashed or raw pointer; all zeros for none). */
  readonly mapping?: string;
  readonly index?: bigint;
  /** `head: order:N`: the folio's order. */
  readonly order?: number;
  /** The `flags:` line: the value, its names (`uptodate`, `lru`, …) and its fields (`node`, `zone`, …). */
  readonly flags?: {
    readonly value: bigint;
    readonly names: readonly string[];
    readonly fields: Readonly<Record<string, bigint>>;
    /** `anon flags:` or `ksm flags:` */
    readonly type?: "anon" | "ksm";
  };
  /** `page_type: f5(slab)`: the type's name. */
  readonly pageType?: string;
  /** The `raw:` words: the struct page as 8 (on 64-bit) unsigned longs. */
  readonly raw: readonly bigint[];
}

export class DumpPageError extends Error {
  readonly code = "DUMP_PAGE";
}

/** The start of each line kind, after any log prefix. */
const lineRe =
  /(page: refcount:|head: order:|head: [0-9a-f]{8}|memcg:|(?:anon |ksm )?flags: 0x|page_type: |raw: \S)/;

const num = (text: string | undefined): bigint | undefined => {
  if (text === undefined) return undefined;
  if (/^0x[0-9a-f]+$/i.test(text)) return BigInt(text);
  if (/^-?\d+$/.test(text)) return BigInt(text);
  return undefined;
};

/**
 * Reads a `dump_page()` report (or any of its lines) pasted from a kernel log. The `page:` line, which holds the
 * PFN, is required; an error names what is missing or which line could not be read.
 */
export function parseDumpPage(text: string): DumpPage {
  let pfn: number | undefined;
  let refcount: number | undefined;
  let mapcount: number | undefined;
  let mapping: string | undefined;
  let index: bigint | undefined;
  let order: number | undefined;
  let flags: DumpPage["flags"];
  let pageType: string | undefined;
  const raw: bigint[] = [];
  const lines = text.split(/\r?\n/);
  lines.forEach((whole, i) => {
    const m = lineRe.exec(whole);
    if (!m) return;
    const line = whole.slice(m.index).trim();
    const where = `line ${i + 1}`;
    if (line.startsWith("page: refcount:")) {
      const p =
        /^page: refcount:(-?\d+) mapcount:(-?\d+) mapping:(\S+) index:(0x[0-9a-f]+|0) pfn:(0x[0-9a-f]+|0)\b/i.exec(
          line,
        );
      if (!p) throw new DumpPageError(`${where}: a "page:" line, but not as dump_page() prints it: ${line}`);
      refcount = Number(p[1]);
      mapcount = Number(p[2]);
      mapping = p[3];
      index = BigInt(p[4]!);
      const v = BigInt(p[5]!);
      if (v > BigInt(Number.MAX_SAFE_INTEGER))
        throw new DumpPageError(`${where}: pfn ${p[5]} is out of range`);
      pfn = Number(v);
    } else if (line.startsWith("head: order:")) {
      const h = /^head: order:(\d+)\b/.exec(line);
      if (!h || Number(h[1]) > 63)
        throw new DumpPageError(`${where}: cannot read the folio's order: ${line}`);
      order = Number(h[1]);
    } else if (/^(?:anon |ksm )?flags: 0x/.test(line)) {
      const f = /^(anon |ksm )?flags: (0x[0-9a-f]+)\(([^)]*)\)/i.exec(line);
      if (!f) throw new DumpPageError(`${where}: cannot read the flags: ${line}`);
      const names: string[] = [];
      const fields: Record<string, bigint> = {};
      for (const part of f[3]!.split("|").filter(Boolean)) {
        const kv = /^(\w+)=(\S+)$/.exec(part);
        const v = kv ? num(kv[2]) : undefined;
        if (kv && v !== undefined) fields[kv[1]!] = v;
        else names.push(part);
      }
      const type = f[1]?.trim() as "anon" | "ksm" | undefined;
      flags = { value: BigInt(f[2]!), names, fields, ...(type ? { type } : {}) };
    } else if (line.startsWith("page_type: ")) {
      const t = /^page_type: (?:0x)?[0-9a-f]+\((\w+)\)/i.exec(line);
      if (!t) throw new DumpPageError(`${where}: cannot read the page type: ${line}`);
      pageType = t[1]!;
    } else if (line.startsWith("raw: ")) {
      for (const w of line.slice(5).trim().split(/\s+/)) {
        if (!/^[0-9a-f]{8,16}$/i.test(w)) throw new DumpPageError(`${where}: "${w}" is not a raw word`);
        raw.push(BigInt(`0x${w}`));
      }
    }
  });
  if (pfn === undefined)
    throw new DumpPageError(
      'no "page: refcount:… pfn:0x…" line: paste dump_page()\'s report from the kernel log, its first line at least',
    );
  return {
    pfn,
    ...(refcount !== undefined ? { refcount } : {}),
    ...(mapcount !== undefined ? { mapcount } : {}),
    ...(mapping !== undefined ? { mapping } : {}),
    ...(index !== undefined ? { index } : {}),
    ...(order !== undefined ? { order } : {}),
    ...(flags ? { flags } : {}),
    ...(pageType ? { pageType } : {}),
    raw,
  };
}

type Subtype = keyof typeof miscSubtypes;

/** The use and Misc subtype of each page type dump_page() names (`enum pagetype`, include/linux/page-flags.h). */
const pageTypes: Readonly<Record<string, { use: MemoryUse; subtype?: Subtype }>> = {
  buddy: { use: "free" },
  offline: { use: "offline" },
  table: { use: "pagetable" },
  guard: { use: "kernel", subtype: "guard" },
  hugetlb: { use: "hugetlb" },
  slab: { use: "slab" },
  zsmalloc: { use: "zsmalloc" },
  unaccepted: { use: "kernel" },
  large_kmalloc: { use: "compound", subtype: "kmalloc_large" },
};

/** Flags only a folio (page cache or anonymous) carries, by dump_page()'s names (pageflag_names). */
const folioFlags = new Set([
  "uptodate",
  "dirty",
  "lru",
  "active",
  "referenced",
  "writeback",
  "swapbacked",
  "unevictable",
  "mlocked",
  "workingset",
  "dropbehind",
]);

const isNull = (p: string | undefined) => p === undefined || /^(0+|\(null\)|0x0)$/i.test(p);

/**
 * What a dump_page() report says about its page, as facts the page's word is worked out from: its use (from
 * its page type, `anon`/`ksm` flags, or its flags), its folio's order, whether it is mapped, and its zone and
 * node (from the flags' fields). Free pages take their block's order from `page->private` (the fifth raw word).
 */
export function dumpPageFacts(d: DumpPage): { facts: PageFacts; notes: string[] } {
  const notes: string[] = [];
  const names = new Set(d.flags?.names ?? []);
  const type = d.pageType ? pageTypes[d.pageType] : undefined;
  if (d.pageType && !type)
    notes.push(`page type ${d.pageType} is not one this explorer knows; read as kernel memory`);
  let use: MemoryUse;
  if (type) use = type.use;
  else if (d.flags?.type) use = d.flags.type;
  else if (names.has("hwpoison")) use = "hwpoison";
  else if (names.has("reserved")) use = "reserved";
  else if ([...names].some((n) => folioFlags.has(n)) || !isNull(d.mapping)) use = "file";
  else if (d.order !== undefined || names.has("head")) use = "compound";
  else use = "kernel";
  if (!d.flags && !d.pageType)
    notes.push(
      "no flags: or page_type: line, so the use is a guess from the mapping; paste the whole report",
    );
  let order = d.order ?? 0;
  if (use === "free") {
    const priv = d.raw[5];
    if (priv !== undefined && priv <= 63n) order = Number(priv);
    else notes.push("the free block's order is in page->private, the fifth raw word: paste the raw: lines");
  }
  const node = d.flags?.fields.node;
  const zone = d.flags?.fields.zone;
  return {
    facts: {
      pfn: d.pfn,
      flags: undefined,
      use,
      mapped: (d.mapcount ?? 0) > 0,
      extent: { head: d.pfn, pages: 2 ** order, order, basis: "dump" },
      ...(node !== undefined ? { node: Number(node) } : {}),
      ...(zone !== undefined ? { zone: Number(zone) } : {}),
      ...(type?.subtype ? { subtype: type.subtype } : {}),
    },
    notes,
  };
}
