import {
  type DescriptorAllocOptions,
  type DescriptorContext,
  type MemoryUse,
  PAGE_SIZE,
  type RcuContext,
} from "@memdesc/core";
import { hex, MemmapError } from "../errors.js";
import { rcuDereference, rcuRevalidate, tryGetSpeculative } from "../rcu/rcu-reader.js";
import type { DescriptorLocator } from "../slub/locate.js";
import { DIRECT_MAP_BASE, OBJ_LIVE } from "../slub/slab-cache.js";
import { get64, put64 } from "../util/u64.js";
import { findFieldOffset, readField, viewOf, writeField } from "./fields.js";
import type { KindInfo } from "./kinds.js";
import type { MemmapState } from "./state.js";

/**
 * What one kind's simulation hooks are handed on one memmap (core's `DescriptorContext`): its own descriptors to
 * allocate, free, split and write, any descriptor and page to read, RCU, and its state. Writes to another kind's
 * descriptor are refused (WRONG_KIND), so a plugin cannot corrupt what it does not own.
 */
export class KindContext implements DescriptorContext {
  readonly kind: string;
  state: unknown = undefined;
  readonly pages: number;
  readonly nodes: number;
  readonly maxOrder: number;
  readonly rcu: RcuContext;
  /** The chunk holding the descriptor last given to `viewOf()` or to the kind's `init`. */
  view32: Uint32Array = new Uint32Array(0);
  view8: Uint8Array = new Uint8Array(0);
  private readonly m: MemmapState;
  private readonly l: DescriptorLocator;

  constructor(m: MemmapState, k: KindInfo) {
    this.m = m;
    this.l = m.locator;
    this.kind = k.name;
    this.pages = m.pages;
    this.nodes = m.nodes;
    this.maxOrder = m.maxOrder;
    this.rcu = m.rcu;
  }

  nodeOf(pfn: number): number {
    return this.m.buddy.nodeOf(pfn);
  }

  pageAddress(pfn: number): number {
    return DIRECT_MAP_BASE + pfn * PAGE_SIZE;
  }

  virtToPfn(virt: number): number {
    const pfn = Math.floor((virt - DIRECT_MAP_BASE) / PAGE_SIZE);
    return pfn >= 0 && pfn < this.pages ? pfn : -1;
  }

  alloc(options?: DescriptorAllocOptions): number {
    return this.m.memdescAllocNode(this.kind, options);
  }

  free(desc: number, order?: number): void {
    this.m.free(desc, this.kind, order);
  }

  split(
    desc: number,
    newOrder: number,
    copy?: (from: number, to: number, index: number) => void,
  ): number[] | null {
    this.own(desc);
    return this.m.split(desc, newOrder, copy);
  }

  offsetOf(path: string, order = 0): number {
    return findFieldOffset(this.m, this.kind, path, order);
  }

  sizeOf(order = 0, use?: MemoryUse): number {
    const d = this.m.registry.descriptorSize(this.kind, order, use);
    if (!d)
      throw new MemmapError(
        "INLINE_KIND",
        `kind ${this.kind} is stored inline in the word; it has no descriptor`,
      );
    return d.size;
  }

  isLive(desc: number): boolean {
    const l = this.l;
    try {
      l.locate(desc);
    } catch {
      return false;
    }
    return l.cache.stateOf(l.object) === OBJ_LIVE;
  }

  kindOf(desc: number): string {
    this.l.access(desc, false);
    return this.l.cache.kind!;
  }

  pfnOf(desc: number): number {
    this.l.access(desc, false);
    return this.l.cache.pfnOf(this.l.object);
  }

  orderOf(desc: number): number {
    this.l.access(desc, false);
    return this.l.cache.orderOf(this.l.object);
  }

  pageDescriptor(pfn: number): number {
    return this.m.pageDescriptor(pfn);
  }

  readI32(desc: number, offset: number): number {
    const l = this.l;
    l.access(desc, false);
    return l.u32[(l.byte + offset) >>> 2]! | 0;
  }

  writeI32(desc: number, offset: number, v: number): void {
    const l = this.own(desc);
    l.u32[(l.byte + offset) >>> 2] = v >>> 0;
  }

  addI32(desc: number, offset: number, delta: number): number {
    const l = this.own(desc);
    const x = (l.byte + offset) >>> 2;
    const v = (l.u32[x]! + delta) | 0;
    l.u32[x] = v >>> 0;
    return v;
  }

  readU8(desc: number, offset: number): number {
    const l = this.l;
    l.access(desc, false);
    return l.u8[l.byte + offset]!;
  }

  writeU8(desc: number, offset: number, v: number): void {
    const l = this.own(desc);
    l.u8[l.byte + offset] = v;
  }

  readU64(desc: number, offset: number): number {
    const l = this.l;
    l.access(desc, false);
    return get64(l.u32, l.byte + offset);
  }

  writeU64(desc: number, offset: number, v: number): void {
    const l = this.own(desc);
    put64(l.u32, l.byte + offset, v);
  }

  readField(desc: number, path: string): number | bigint {
    return readField(this.l, desc, path);
  }

  writeField(desc: number, path: string, value: number | bigint): void {
    this.own(desc);
    writeField(this.l, desc, path, value);
  }

  viewOf(desc: number): number {
    this.own(desc);
    const byte = viewOf(this.m, desc);
    this.view32 = this.m.view32;
    this.view8 = this.m.view8;
    return byte;
  }

  rcuDereference(pfn: number): number {
    return rcuDereference(this.m, pfn);
  }

  tryGetSpeculative(desc: number, offset: number): boolean {
    return tryGetSpeculative(this.m, desc, offset);
  }

  rcuRevalidate(desc: number, pfn: number): boolean {
    return rcuRevalidate(this.m, desc, pfn);
  }

  /** Locates `desc` for writing, refusing a descriptor of another kind. */
  private own(desc: number): DescriptorLocator {
    const l = this.l;
    l.access(desc, true);
    if (l.cache.kind !== this.kind)
      throw new MemmapError(
        "WRONG_KIND",
        `${this.kind}'s hooks may write their own descriptors; ${hex(desc)} is a ${l.cache.kind ?? "workload"} descriptor`,
      );
    return l;
  }
}
