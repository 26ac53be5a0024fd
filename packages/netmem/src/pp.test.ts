import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  decodeNetmemRef,
  isPagePoolMagic,
  netIovVirtualAddr,
  netmemRef,
  PP_DMA_INDEX_BITS,
  PP_DMA_INDEX_MASK,
  PP_DMA_INDEX_SHIFT,
  PP_MAGIC_MASK,
  PP_SIGNATURE,
  ppDmaIndex,
  ppMagic,
} from "./pp.js";

describe("pp_magic on x86-64", () => {
  it("derives the kernel's constants from POISON_POINTER_DELTA", () => {
    expect(PP_SIGNATURE).toBe(0xdead000000000040n);
    expect([PP_DMA_INDEX_SHIFT, PP_DMA_INDEX_BITS]).toEqual([7, 32]);
    expect(PP_DMA_INDEX_MASK).toBe(0x7fffffff80n);
    expect(PP_MAGIC_MASK).toBe(0xffffff800000007cn);
  });

  it("recognises PP_SIGNATURE with any DMA index and the two low bits", () => {
    expect(isPagePoolMagic(PP_SIGNATURE)).toBe(true);
    expect(isPagePoolMagic(ppMagic(5) | 3n)).toBe(true);
    expect(isPagePoolMagic(0)).toBe(false);
    expect(isPagePoolMagic(PP_SIGNATURE | (1n << 40n))).toBe(false);
    expect(isPagePoolMagic(0xffff888012345678n)).toBe(false);
  });

  it("stores and reads back the DMA index (property)", () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 2 ** 32 - 1 }), fc.integer({ min: 0, max: 3 }), (i, low) => {
        const m = ppMagic(i) | BigInt(low);
        return ppDmaIndex(m) === i && isPagePoolMagic(m);
      }),
    );
    expect(() => ppMagic(2 ** 32)).toThrow(
      "the DMA index must be a whole number from 0 to 2^32 - 1, got 4294967296",
    );
  });
});

describe("netmem_ref", () => {
  it("tags net_iovs with the low bit", () => {
    expect(netmemRef(0xffff888000001000n, "net_iov")).toBe(0xffff888000001001n);
    expect(decodeNetmemRef(0xffff888000001001n)).toEqual({ kind: "net_iov", address: 0xffff888000001000n });
    expect(decodeNetmemRef(0xffffea0000000040n)).toEqual({ kind: "page", address: 0xffffea0000000040n });
    expect(() => netmemRef(0x1001, "page")).toThrow(
      "a struct page or net_iov address is at least 2-aligned, got 0x1001",
    );
    fc.assert(
      fc.property(fc.bigInt({ min: 0n, max: (1n << 63n) - 1n }), fc.boolean(), (a, iov) => {
        const addr = a * 2n;
        const d = decodeNetmemRef(netmemRef(addr, iov ? "net_iov" : "page"));
        return d.address === addr && d.kind === (iov ? "net_iov" : "page");
      }),
    );
  });

  it("places a net_iov's page in its area (net_iov_virtual_addr)", () => {
    const area = { baseVirtual: 0x7f0000000000n, numNiovs: 16 };
    expect(netIovVirtualAddr(area, 3)).toBe(0x7f0000003000n);
    expect(() => netIovVirtualAddr(area, 16)).toThrow("net_iov index 16 is outside the area's 16 net_iovs");
  });
});
