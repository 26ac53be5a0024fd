import { MemdescError, PAGE_SHIFT } from "@memdesc/core";

/*
 * page_pool's marks in a netmem (include/linux/mm.h, include/linux/poison.h, include/net/netmem.h), for
 * x86-64, where CONFIG_ILLEGAL_POINTER_VALUE gives a POISON_POINTER_DELTA.
 */

const U64 = (1n << 64n) - 1n;

/** POISON_POINTER_DELTA on x86-64 (CONFIG_ILLEGAL_POINTER_VALUE = 0xdead000000000000). */
export const POISON_POINTER_DELTA = 0xdead000000000000n;
/** PP_SIGNATURE: 0x40 + POISON_POINTER_DELTA, the mark of a page_pool page in `pp_magic`. */
export const PP_SIGNATURE = 0x40n + POISON_POINTER_DELTA;

const fls = (v: bigint) => v.toString(2).length - 1;
const ffs = (v: bigint) => {
  let i = 0;
  while (((v >> BigInt(i)) & 1n) === 0n) i++;
  return i;
};

/** PP_DMA_INDEX_SHIFT: 1 + __fls(PP_SIGNATURE - POISON_POINTER_DELTA) = 7. */
export const PP_DMA_INDEX_SHIFT = 1 + fls(PP_SIGNATURE - POISON_POINTER_DELTA);
/** PP_DMA_INDEX_BITS: MIN(32, __ffs(POISON_POINTER_DELTA) - PP_DMA_INDEX_SHIFT) = 32. */
export const PP_DMA_INDEX_BITS = Math.min(32, ffs(POISON_POINTER_DELTA) - PP_DMA_INDEX_SHIFT);
/** PP_DMA_INDEX_MASK: GENMASK(PP_DMA_INDEX_BITS + PP_DMA_INDEX_SHIFT - 1, PP_DMA_INDEX_SHIFT), bits 7..38. */
export const PP_DMA_INDEX_MASK = ((1n << BigInt(PP_DMA_INDEX_BITS)) - 1n) << BigInt(PP_DMA_INDEX_SHIFT);
/**
 * PP_MAGIC_MASK: `~(PP_DMA_INDEX_MASK | 0x3UL)`. Bit 0 (a tail page's compound_head) and bit 1 (pfmemalloc)
 * are kept, and the DMA index is ignored, when checking for PP_SIGNATURE.
 */
export const PP_MAGIC_MASK = ~(PP_DMA_INDEX_MASK | 3n) & U64;
/** NET_IOV: the low bit of a `netmem_ref` that says it points at a net_iov rather than a struct page. */
export const NET_IOV = 1n;

export class NetmemError extends MemdescError {
  constructor(message: string) {
    super("BAD_NETMEM", message);
  }
}

const u64 = (v: bigint | number, what: string): bigint => {
  if (typeof v === "number" && !Number.isSafeInteger(v))
    throw new NetmemError(`${what} must be a whole number, got ${v}`);
  const b = BigInt(v);
  if (b < 0n || b > U64) throw new NetmemError(`${what} must fit an unsigned long (0..2^64-1), got ${b}`);
  return b;
};

/** `page_pool_page_is_pp()` / `netmem_is_pp()`: whether `pp_magic` carries PP_SIGNATURE. */
export function isPagePoolMagic(ppMagic: bigint | number): boolean {
  return (u64(ppMagic, "pp_magic") & PP_MAGIC_MASK) === PP_SIGNATURE;
}

/**
 * The `pp_magic` of a page_pool page: PP_SIGNATURE with the page's DMA index (its slot in the pool's
 * `dma_mapped` xarray, 1..2^32-1, or 0 for none) in bits 7..38 (`netmem_set_dma_index()`).
 */
export function ppMagic(dmaIndex = 0): bigint {
  if (!Number.isSafeInteger(dmaIndex) || dmaIndex < 0 || dmaIndex >= 2 ** PP_DMA_INDEX_BITS)
    throw new NetmemError(
      `the DMA index must be a whole number from 0 to 2^${PP_DMA_INDEX_BITS} - 1, got ${dmaIndex}`,
    );
  return PP_SIGNATURE | (BigInt(dmaIndex) << BigInt(PP_DMA_INDEX_SHIFT));
}

/** `netmem_get_dma_index()`: the DMA index stored in `pp_magic`. */
export function ppDmaIndex(ppMagicValue: bigint | number): number {
  return Number((u64(ppMagicValue, "pp_magic") & PP_DMA_INDEX_MASK) >> BigInt(PP_DMA_INDEX_SHIFT));
}

/** A `netmem_ref`: the address of a struct page, or of a net_iov with NET_IOV set. */
export function netmemRef(address: bigint | number, kind: "page" | "net_iov"): bigint {
  const a = u64(address, "address");
  if ((a & NET_IOV) !== 0n)
    throw new NetmemError(`a struct page or net_iov address is at least 2-aligned, got 0x${a.toString(16)}`);
  return kind === "net_iov" ? a | NET_IOV : a;
}

/** `netmem_is_net_iov()` and `__netmem_clear_lsb()`: which kind a netmem_ref is, and its address. */
export function decodeNetmemRef(ref: bigint | number): { kind: "page" | "net_iov"; address: bigint } {
  const r = u64(ref, "netmem_ref");
  return { kind: (r & NET_IOV) !== 0n ? "net_iov" : "page", address: r & ~NET_IOV & U64 };
}

/** `net_iov_virtual_addr()`: `owner->base_virtual + (net_iov_idx(niov) << PAGE_SHIFT)`. */
export function netIovVirtualAddr(
  area: { readonly baseVirtual: bigint | number; readonly numNiovs: number },
  index: number,
): bigint {
  if (!Number.isSafeInteger(index) || index < 0 || index >= area.numNiovs)
    throw new NetmemError(`net_iov index ${index} is outside the area's ${area.numNiovs} net_iovs`);
  return u64(
    u64(area.baseVirtual, "base_virtual") + (BigInt(index) << BigInt(PAGE_SHIFT)),
    "virtual address",
  );
}
