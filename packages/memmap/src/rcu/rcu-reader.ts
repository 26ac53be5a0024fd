import { hex, MemmapError } from "../errors.js";
import { checkPfn } from "../memmap/args.js";
import type { MemmapState } from "../memmap/state.js";
import { OBJ_LIVE } from "../slub/slab-cache.js";

/*
 * Page walkers that go from a page to its descriptor holding only the RCU read lock (the plan's reason for
 * SLAB_TYPESAFE_BY_RCU descriptor caches, docs/kernel.md). Under SLAB_TYPESAFE_BY_RCU a descriptor can be freed and
 * reused at once, as another descriptor of the same kind describing other memory, while a reader still holds its
 * address: the reader must take a reference and then check the descriptor still describes its page
 * (include/linux/slab.h, SLAB_TYPESAFE_BY_RCU: "relying on an independent object validation pass"). These are the
 * reader's steps, and a debug check, as lockdep or KCSAN would make it: a reader that took a reference on a
 * descriptor it found under RCU and leaves the critical section without revalidating, when the descriptor was
 * in fact reused, is reported.
 */

/**
 * `rcu_dereference(page->memdesc)`: the descriptor page `pfn`'s word points at (0 for free and inline pages), read
 * inside an RCU read-side critical section (RCU_UNLOCKED otherwise, as lockdep's "suspicious RCU usage").
 */
export function rcuDereference(m: MemmapState, pfn: number): number {
  checkPfn(m, pfn);
  if (!m.rcu.reading)
    throw new MemmapError(
      "RCU_UNLOCKED",
      `rcu_dereference() of page ${hex(pfn)}'s memdesc outside rcu_read_lock(): the descriptor may be freed and reused under the reader`,
    );
  const desc = m.pageDescriptor(pfn);
  if (desc !== 0) m.readers.record(desc, pfn);
  return desc;
}

/**
 * `atomic_inc_not_zero()` on a descriptor's reference count at byte `offset` (what `folio_try_get()` does): takes
 * a reference unless the count is 0, which it is for a descriptor being freed or already free. A reader inside an
 * RCU critical section may do this on a freed descriptor (its memory stays of its kind); anyone else only on a
 * live one. Returns whether it got the reference.
 */
export function tryGetSpeculative(m: MemmapState, desc: number, offset: number): boolean {
  const l = m.locator;
  l.locate(desc);
  const live = l.cache.stateOf(l.object) === OBJ_LIVE;
  if (!live && !m.rcu.reading)
    throw new MemmapError(
      "USE_AFTER_FREE",
      `a speculative reference on freed descriptor ${hex(desc)} (${l.cache.kind}) outside an RCU read-side critical section`,
    );
  const x = (l.byte + offset) >>> 2;
  const count = l.u32[x]! | 0;
  if (count <= 0) return false;
  l.u32[x] = (count + 1) >>> 0;
  l.checked = 0;
  const lookup = m.readers.find(desc);
  if (lookup) {
    lookup.pinned = true;
    lookup.validated = false;
  }
  return true;
}

/** Whether `desc` is live and describes page `pfn`: the page's word points at it, and its way back covers `pfn`. */
export function describes(m: MemmapState, desc: number, pfn: number): boolean {
  const l = m.locator;
  try {
    l.locate(desc);
  } catch {
    return false;
  }
  const c = l.cache;
  if (c.stateOf(l.object) !== OBJ_LIVE) return false;
  const head = c.pfnOf(l.object);
  return pfn >= head && pfn < head + 2 ** c.orderOf(l.object) && m.pageDescriptor(pfn) === desc;
}

/**
 * The reader's check after taking a reference (`if (folio != page_folio(page))` in the kernel): whether `desc`
 * still describes page `pfn`, by the page's word and the descriptor's own PFN. A reader that gets false drops its
 * reference and looks again.
 */
export function rcuRevalidate(m: MemmapState, desc: number, pfn: number): boolean {
  const ok = describes(m, desc, pfn);
  const lookup = m.readers.find(desc);
  if (lookup && lookup.pfn === pfn) lookup.validated = true;
  return ok;
}

/**
 * The debug check when the outermost RCU read-side critical section ends: every descriptor a reader looked up,
 * took a reference on, and did not revalidate must still describe its page; if it was freed and reused meanwhile,
 * the reader now holds a reference to a descriptor of other memory and believes it is its page's (STALE_DESCRIPTOR).
 */
export function checkReaders(m: MemmapState): void {
  for (const l of m.readers.take()) {
    if (!l.pinned || l.validated || describes(m, l.desc, l.pfn)) continue;
    const now = m.locator;
    let what = "it was freed";
    try {
      now.locate(l.desc);
      if (now.cache.stateOf(now.object) === OBJ_LIVE) {
        const head = now.cache.pfnOf(now.object);
        what = `it was freed and reused for pages ${hex(head)}..+${2 ** now.cache.orderOf(now.object)}`;
      }
    } catch {
      // its slab is gone: "freed" says it
    }
    throw new MemmapError(
      "STALE_DESCRIPTOR",
      `an RCU reader looked up page ${hex(l.pfn)}, took a reference on its descriptor ${hex(l.desc)} and never revalidated it, but ${what}: check the page's word or the descriptor's pfn after taking the reference`,
    );
  }
}
