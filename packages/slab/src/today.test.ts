import {
  diffPahole,
  findField,
  formatPahole,
  layoutOf,
  linux618,
  linux618Measured,
  parsePahole,
} from "@memdesc/core";
import { paholeReference } from "@memdesc/testkit";
import { describe, expect, it } from "vitest";
import { freelistAbaT, slabToday } from "./today.js";

const text = paholeReference("pahole_slab.txt");
const [ref] = parsePahole(text);
const lp64 = layoutOf(slabToday, { abi: "lp64", config: linux618Measured });

describe("struct slab today (Linux 6.18, x86-64)", () => {
  it("has the measured size, cachelines and top-level members", () => {
    expect(lp64.size).toBe(ref!.size);
    expect(lp64.size / lp64.cacheline).toBe(ref!.cachelines);
    expect(lp64.members.length).toBe(ref!.members);
  });

  // Field by field and byte for byte against pahole -C slab: the conformance checks (conformance.test.ts).
  it("puts frozen in the top bit of the counters word", () => {
    expect(findField(lp64, "frozen")).toMatchObject({ offset: 40, bitOffset: 31, bitSize: 1 });
  });

  it("is 16-byte aligned: freelist_aba_t has a u128 arm for cmpxchg16b", () => {
    const aba = layoutOf(freelistAbaT, { config: linux618 });
    expect([aba.size, aba.align]).toEqual([16, 16]);
    expect(lp64.align).toBe(16);
    expect(findField(lp64, "freelist_counter")).toMatchObject({
      offset: 32,
      size: 16,
      typeName: "freelist_aba_t",
    });
  });

  it("has no freelist_counter without a double-word cmpxchg, and no next/slabs without per-CPU partial slabs", () => {
    const plain = layoutOf(slabToday, {
      config: { ...linux618, CONFIG_HAVE_CMPXCHG_DOUBLE: false, CONFIG_SLUB_CPU_PARTIAL: false },
    });
    expect(findField(plain, "freelist_counter")).toBeUndefined();
    expect(findField(plain, "next")).toBeUndefined();
    expect(plain.align).toBe(8);
    expect(plain.size).toBe(64);
  });
});

describe("struct slab on i386 (ilp32)", () => {
  const ilp32 = layoutOf(slabToday, { abi: "ilp32", config: linux618 });
  const at = (p: string) => findField(ilp32, p)?.offset;

  it("is 36 bytes: 4-byte words, and a u64 freelist_full_t that i386 aligns to 4", () => {
    const aba = layoutOf(freelistAbaT, { abi: "ilp32", config: linux618 });
    expect([aba.size, aba.align]).toEqual([8, 4]);
    expect([ilp32.size, ilp32.align]).toEqual([36, 4]);
  });

  it("keeps the struct page overlay: slab_cache at 4, freelist at 16, counters at 20, refcount at 28, obj_exts at 32", () => {
    expect([at("slab_cache"), at("slab_list"), at("freelist"), at("counters"), at("inuse")]).toEqual([
      4, 8, 16, 20, 20,
    ]);
    expect([at("__page_type"), at("__page_refcount"), at("obj_exts")]).toEqual([24, 28, 32]);
  });
});
