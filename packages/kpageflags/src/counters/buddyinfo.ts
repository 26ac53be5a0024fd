import { badCounters, linesOf, quote, whole } from "./parse.js";

/** Free blocks of one zone by order: `blocks[k]` blocks of 2^k pages. */
export interface ZoneFreeBlocks {
  readonly node: number;
  readonly zone: string;
  readonly blocks: readonly number[];
}

/**
 * /proc/buddyinfo (mm/vmstat.c, `frag_show_print`): one line per populated zone, `Node N, zone NAME` then
 * `free_area[order].nr_free` for every order (NR_PAGE_ORDERS columns: 11 on x86-64). These are the free
 * blocks the buddy allocator holds; kpageflags sets BUDDY on every page of them, so adjacent blocks run
 * together in the page map and only this file has their orders.
 */
export function parseBuddyinfo(text: string, path = "/proc/buddyinfo"): ZoneFreeBlocks[] {
  let orders: number | undefined;
  return linesOf(text).map((line, i) => {
    const m = /^Node (\d+), zone\s+(\S+)((?:\s+\d+)+)\s*$/.exec(line);
    if (!m) throw badCounters(path, i + 1, `expected "Node N, zone NAME count…", got ${quote(line)}`);
    const blocks = m[3]!
      .trim()
      .split(/\s+/)
      .map((v, k) => whole(v, path, i + 1, `order ${k}`));
    if (orders !== undefined && blocks.length !== orders)
      throw badCounters(path, i + 1, `${blocks.length} orders, the lines before have ${orders}`);
    if (blocks.length > 64)
      throw badCounters(path, i + 1, `${blocks.length} orders is more than any kernel has`);
    orders = blocks.length;
    return { node: whole(m[1]!, path, i + 1, "node"), zone: m[2]!, blocks };
  });
}

/** Free blocks of one zone and migrate type, from /proc/pagetypeinfo. */
export interface TypedFreeBlocks extends ZoneFreeBlocks {
  /** `Unmovable`, `Movable`, `Reclaimable`, `HighAtomic`, `CMA`, `Isolate`. */
  readonly type: string;
  /** Orders whose count the kernel stopped at 100,000 (printed `>100000`): at least that many. */
  readonly capped: readonly number[];
}

export interface Pagetypeinfo {
  /** `pageblock_order`. */
  readonly pageblockOrder: number;
  readonly free: readonly TypedFreeBlocks[];
  /** Pageblocks per migrate type, per zone. */
  readonly pageblocks: readonly { node: number; zone: string; byType: Readonly<Record<string, number>> }[];
}

/**
 * /proc/pagetypeinfo (mm/vmstat.c, `pagetypeinfo_show`, root only): per node, the pageblock order, the free
 * blocks of each zone split by migrate type (a count stops at 100,000 and is printed `>100000`, so the list
 * walk under the zone lock stays short), and the number of pageblocks of each type.
 */
export function parsePagetypeinfo(text: string, path = "/proc/pagetypeinfo"): Pagetypeinfo {
  let pageblockOrder: number | undefined;
  let types: string[] = [];
  const free: TypedFreeBlocks[] = [];
  const pageblocks: Pagetypeinfo["pageblocks"][number][] = [];
  let section: "free" | "blocks" | "mixed" | "none" = "none";
  linesOf(text).forEach((line, idx) => {
    const n = idx + 1;
    if (line.trim() === "") return;
    const order = /^Page block order: (\d+)$/.exec(line);
    if (order) {
      const o = whole(order[1]!, path, n, "page block order");
      if (pageblockOrder !== undefined && o !== pageblockOrder)
        throw badCounters(path, n, `page block order ${o}, earlier ${pageblockOrder}`);
      pageblockOrder = o;
      return;
    }
    if (/^Pages per block:\s+\d+$/.test(line)) return;
    if (/^Free pages count per migrate type at order(\s+\d+)+\s*$/.test(line)) {
      section = "free";
      return;
    }
    const blocksHead = /^Number of blocks type\s+(.*?)\s*$/.exec(line);
    if (blocksHead) {
      section = "blocks";
      types = blocksHead[1]!.split(/\s+/);
      return;
    }
    if (/^Number of mixed blocks\s/.test(line)) {
      section = "mixed";
      return;
    }
    const typed = /^Node\s+(\d+), zone\s+(\S+), type\s+(\S+)((?:\s+>?\d+)+)\s*$/.exec(line);
    if (section === "free" && typed) {
      const capped: number[] = [];
      const blocks = typed[4]!
        .trim()
        .split(/\s+/)
        .map((v, k) => {
          if (v.startsWith(">")) capped.push(k);
          return whole(v.replace(/^>/, ""), path, n, `order ${k}`);
        });
      if (blocks.length > 64)
        throw badCounters(path, n, `${blocks.length} orders is more than any kernel has`);
      free.push({
        node: whole(typed[1]!, path, n, "node"),
        zone: typed[2]!,
        type: typed[3]!,
        blocks,
        capped,
      });
      return;
    }
    const counted = /^Node (\d+), zone\s+(\S+)((?:\s+\d+)+)\s*$/.exec(line);
    if (section !== "none" && counted) {
      if (section === "mixed") return;
      const counts = counted[3]!.trim().split(/\s+/);
      if (counts.length !== types.length)
        throw badCounters(path, n, `${counts.length} pageblock counts for ${types.length} migrate types`);
      const byType: Record<string, number> = {};
      counts.forEach((v, k) => {
        byType[types[k]!] = whole(v, path, n, types[k]!);
      });
      pageblocks.push({ node: whole(counted[1]!, path, n, "node"), zone: counted[2]!, byType });
      return;
    }
    throw badCounters(path, n, `not a pagetypeinfo line: ${quote(line)}`);
  });
  if (pageblockOrder === undefined) throw badCounters(path, undefined, `no "Page block order" line`);
  return { pageblockOrder, free, pageblocks };
}
