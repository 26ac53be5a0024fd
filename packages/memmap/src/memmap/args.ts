import { hex, MemmapError } from "../errors.js";
import type { MemmapState } from "./state.js";

/* The PFNs, orders and nodes the memmap's entry points take, checked against its machine. */

export function checkPfn(m: MemmapState, pfn: number): void {
  if (!Number.isInteger(pfn) || pfn < 0 || pfn >= m.pages)
    throw new MemmapError("BAD_PFN", `PFN ${pfn} is outside 0..${hex(m.pages - 1)}`);
}

export function checkOrder(m: MemmapState, order: number): void {
  if (!Number.isInteger(order) || order < 0 || order > m.maxOrder)
    throw new MemmapError("BAD_ORDER", `order ${order} is outside 0..${m.maxOrder} (MAX_PAGE_ORDER)`);
}

/** A node, or -1 for any. */
export function checkNid(m: MemmapState, nid: number): void {
  if (!Number.isInteger(nid) || nid < -1 || nid >= m.nodes)
    throw new MemmapError("BAD_NODE", `node ${nid} is outside -1 (any) and 0..${m.nodes - 1}`);
}
