import { describe, expect, it } from "vitest";
import {
  decodeFlags,
  describeFlags,
  flagWord,
  flagWordHex,
  flagWordValue,
  kpf,
  kpfBit,
  kpfBits,
  parseFlags,
  symbolicFlags,
  unknownBits,
} from "./flags.js";

describe("KPF bit table", () => {
  it("numbers the kernel bits as kernel-page-flags.h does", () => {
    const byName = Object.fromEntries(kpfBits.map((b) => [b.kernelName, b.bit]));
    expect(byName).toMatchObject({
      LOCKED: 0,
      ERROR: 1,
      SLAB: 7,
      BUDDY: 10,
      ANON: 12,
      COMPOUND_HEAD: 15,
      COMPOUND_TAIL: 16,
      HUGE: 17,
      NOPAGE: 20,
      KSM: 21,
      THP: 22,
      OFFLINE: 23,
      ZERO_PAGE: 24,
      IDLE: 25,
      PGTABLE: 26,
      RESERVED: 32,
      MLOCKED: 33,
      OWNER_2: 34,
      ARCH_2: 41,
      ARCH_3: 42,
    });
    for (const b of kpfBits) {
      if (b.bit < 32) expect((kpf.lo as Record<string, number>)[b.name] ?? 1 << b.bit).toBe(1 << b.bit);
      else if (b.source === "hacker")
        expect((kpf.hi as Record<string, number>)[b.name]).toBe(1 << (b.bit - 32));
    }
    expect(new Set(kpfBits.map((b) => b.bit)).size).toBe(kpfBits.length);
  });

  it("prints page-types' symbolic columns (tools/mm/page-types.c)", () => {
    expect(symbolicFlags(flagWord(0x400n))).toBe("__________B__________________________________");
    expect(symbolicFlags(flagWord(0x10080n))).toBe("_______S________T____________________________");
    // tools/mm/page-types.c names UNCACHED "c:uncached" and ARCH_3 "H:arch_3".
    expect(symbolicFlags(flagWord(1n << 39n))).toBe(`${"_".repeat(34)}c${"_".repeat(10)}`);
    expect(symbolicFlags(flagWord(1n << 42n))).toBe(`${"_".repeat(37)}H${"_".repeat(7)}`);
    expect(describeFlags(flagWord(0x10080n))).toBe("slab,compound_tail");
    expect(describeFlags(flagWord(0x40000086cn))).toBe("referenced,uptodate,lru,active,mmap,owner_2");
    expect(symbolicFlags(flagWord(1n << 45n))).toBe(`${"_".repeat(45)}+bit45`);
  });

  it("parses names, kernel names and numbers", () => {
    expect(flagWordHex(parseFlags("slab,compound_head"))).toBe("0x0000000000008080");
    expect(flagWordValue(parseFlags("KPF_BUDDY | uptodate"))).toBe(0x408n);
    expect(flagWordValue(parseFlags("0x402000028"))).toBe(0x402000028n);
    expect(decodeFlags(parseFlags("reserved zero_page"))).toEqual(["zeroPage", "reserved"]);
    expect(() => parseFlags("slab,bogus")).toThrow(/unknown kpageflags bit name "bogus"/);
  });

  it("reports bits no one names", () => {
    expect(unknownBits(flagWord((1n << 27n) | (1n << 45n) | 0x80n))).toEqual([27, 45]);
    expect(decodeFlags(flagWord(1n << 30n))).toEqual(["bit30"]);
    expect(kpfBit(39)?.letter).toBe("c");
    expect(kpfBit(45)).toBeUndefined();
    expect(() => flagWord(-1n)).toThrow(RangeError);
  });
});
