import { MemmapError } from "../errors.js";
import { writePointerWords } from "../page-alloc/words.js";
import { DIRECT_MAP_BASE, META_ORDER_SHIFT, META_USE_SHIFT, OBJ_LIVE } from "../slub/slab-cache.js";
import { freeDescriptor, freeObjectNow, slabAllocNode } from "../slub/slub.js";
import { viewOf } from "./fields.js";
import { cacheOf } from "./kinds.js";
import type { MemmapState } from "./state.js";

/**
 * Splits an allocation (see `Memmap.split`). Every new descriptor is taken before anything is written, so a
 * failure only has to give those back; the old descriptor goes to RCU last, once the words point at the pieces.
 */
export function split(
  m: MemmapState,
  desc: number,
  newOrder: number,
  copy: ((from: number, to: number, index: number) => void) | undefined,
): number[] | null {
  const l = m.locator;
  l.access(desc, true);
  const c = l.cache;
  const o = l.object;
  const order = c.orderOf(o);
  if (!Number.isInteger(newOrder) || newOrder < 0 || newOrder >= order)
    throw new MemmapError("BAD_ORDER", `cannot split an order-${order} ${c.kind} to order ${newOrder}`);
  const k = m.kindTable.get(c.kind!);
  const target = cacheOf(k, newOrder, m.maxOrder, c.useOf(o));
  const keep = target === c;
  const pieces = 2 ** (order - newOrder);
  const pfn = c.pfnOf(o);
  const use = c.useOf(o);
  const meta = OBJ_LIVE | (newOrder << META_ORDER_SHIFT) | (use << META_USE_SHIFT);
  const nid = m.buddy.nodeOf(pfn);
  const taken: number[] = [];
  for (let p = keep ? 1 : 0; p < pieces; p++) {
    const t = slabAllocNode(m, target, nid, OBJ_LIVE);
    if (t < 0) {
      for (const u of taken) freeObjectNow(m, target, u);
      m.allocFailures++;
      return null;
    }
    taken.push(t);
  }
  const out: number[] = [];
  if (keep) {
    c.objMeta[o] = meta;
    out.push(desc);
  }
  for (const t of taken) {
    const j = Math.floor(t / target.objects);
    const i = t - j * target.objects;
    const b = target.byteOffset(j, i);
    target.u8[j >>> target.chunkShift]!.fill(0, b, b + target.objectSize);
    target.setPfn(t, pfn + out.length * 2 ** newOrder);
    target.objMeta[t] = meta;
    out.push(target.objectAddress(DIRECT_MAP_BASE, j, i));
  }
  const init = k.init;
  for (let p = 0; p < out.length; p++) {
    const d = out[p]!;
    if (init && (!keep || p > 0)) {
      const ctx = k.context!;
      const byte = viewOf(m, d);
      ctx.view32 = m.view32;
      ctx.view8 = m.view8;
      init(ctx, d, newOrder, pfn + p * 2 ** newOrder, byte);
    }
    copy?.(desc, d, p);
    writePointerWords(m.words, m.stride, pfn + p * 2 ** newOrder, 2 ** newOrder, k.tag, d);
  }
  m.counters.count(use, 0, order, -1);
  m.counters.count(use, 0, newOrder, pieces);
  if (!keep) {
    l.locate(desc);
    freeDescriptor(m, l.cache, l.object);
  }
  return out;
}
