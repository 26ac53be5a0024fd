import { type MemoryUse, miscSubtypes, type WordCodec } from "@memdesc/core";
import { hex, MemmapError } from "../errors.js";
import { checkNid, checkOrder, checkPfn } from "../memmap/args.js";
import type { MemmapState } from "../memmap/state.js";
import { TWO32 } from "../util/u64.js";
import { fillWords } from "./words.js";

/*
 * Misc pages (reserved, vmalloc, kmalloc_large …): no descriptor, the subtype, order and node inline in every
 * page's word.
 */

/** The name of a Misc subtype number, if it has one. */
export function miscSubtypeName(subtype: number): string | undefined {
  return Object.entries(miscSubtypes).find(([, v]) => v === subtype)?.[0];
}

/** The memory use of Misc pages of a subtype: reserved, zero and offline are uses of their own, the rest kernel. */
export function miscUseName(subtype: number): "reserved" | "zero" | "offline" | "kernel" {
  const name = miscSubtypeName(subtype);
  return name === "reserved" || name === "zero" || name === "offline" ? name : "kernel";
}

/** The use index of Misc pages of a subtype on a memmap. */
export function miscUse(m: MemmapState, subtype: number): number {
  return m.counters.useOf(miscUseName(subtype));
}

/** The order and subtype an inline word holds (0 for a field it has not). */
export function inlineFields(codec: WordCodec, lo: number, hi: number): { order: number; subtype: number } {
  const d = codec.decode(BigInt(lo) + (BigInt(hi) << 32n));
  const f = d.storage === "inline" ? d.fields : {};
  return { order: Number(f.order ?? 0n), subtype: Number(f.subtype ?? 0n) };
}

/** `alloc_pages()` of untyped memory: the pages get a Misc word; -1 when none are free. */
export function allocPagesMisc(
  m: MemmapState,
  subtype: keyof typeof miscSubtypes | number,
  order: number,
  nid: number,
  use: MemoryUse | undefined,
): number {
  checkOrder(m, order);
  checkNid(m, nid);
  const st = typeof subtype === "number" ? subtype : miscSubtypes[subtype];
  if (st === undefined || !Number.isInteger(st) || st < 0 || st > 127)
    throw new MemmapError("BAD_OPTIONS", `unknown Misc subtype ${String(subtype)}`);
  const pfn = m.pcp.allocPages(order, nid);
  if (pfn < 0) {
    m.allocFailures++;
    return -1;
  }
  const node = m.buddy.nodeOf(pfn);
  // The codec packs a word from its fields through bigints: once per node, subtype and order.
  const key = (node * 128 + st) * 16 + order;
  let packed = m.miscWords.get(key);
  if (packed === undefined) {
    const [lo, hi] = m.registry.codec.packInline({ kind: "misc", fields: { subtype: st, order, node } });
    packed = lo + hi * TWO32;
    m.miscWords.set(key, packed);
  }
  fillWords(m.words, m.stride, pfn, 2 ** order, packed % TWO32, Math.floor(packed / TWO32));
  const u = use === undefined ? miscUse(m, st) : m.counters.useOf(use);
  m.counters.count(u, 2 ** order, order, 0);
  return pfn;
}

/** `free_pages(addr, order)` of Misc pages, checked against their word. */
export function freePagesMisc(m: MemmapState, pfn: number, order: number, use: MemoryUse | undefined): void {
  checkPfn(m, pfn);
  const x = pfn * m.stride;
  const lo = m.words[x]!;
  const tag = m.registry.codec.readTag(lo);
  if (tag !== m.miscTag)
    throw new MemmapError(
      tag === m.buddyTag ? "DOUBLE_FREE" : "WRONG_KIND",
      tag === m.buddyTag
        ? `page ${hex(pfn)} is already free: double free`
        : `page ${hex(pfn)} is ${m.registry.kindOf(tag) ?? `tag ${tag}`}, not Misc`,
    );
  const f = inlineFields(m.registry.codec, lo, m.words[x + 1]!);
  if (f.order !== order || pfn % 2 ** f.order !== 0)
    throw new MemmapError(
      "WRONG_ORDER",
      `freeing Misc page ${hex(pfn)} with order ${order}, but it was allocated with order ${f.order}`,
    );
  const u = use === undefined ? miscUse(m, f.subtype) : m.counters.useOf(use);
  m.counters.count(u, -(2 ** order), order, 0);
  m.pcp.freePages(pfn, order);
}
