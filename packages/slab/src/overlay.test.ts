import {
  type AbiName,
  checkOverlay,
  type KernelConfig,
  layoutOf,
  linux618,
  moveMember,
  page,
  swapMembers,
} from "@memdesc/core";
import { describe, expect, it } from "vitest";
import { freelistAbaSize, slabMatch } from "./overlay.js";
import { slabToday } from "./today.js";

const check = (abi: AbiName, slab = slabToday, config: KernelConfig = linux618) =>
  checkOverlay(slabMatch, layoutOf(page, { abi, config }), layoutOf(slab, { abi, config }), {
    CONFIG_64BIT: abi === "lp64",
    ...config,
  });

describe("SLAB_MATCH against core's struct page", () => {
  it("lists the kernel's rules, the size bound and freelist's alignment to sizeof(freelist_aba_t)", () => {
    expect(freelistAbaSize).toEqual({ lp64: 16, ilp32: 8 });
    expect(check("lp64").map((r) => r.label)).toEqual([
      "SLAB_MATCH(flags, flags)",
      "SLAB_MATCH(compound_head, slab_cache)",
      "SLAB_MATCH(_refcount, __page_refcount)",
      "SLAB_MATCH(memcg_data, obj_exts)",
      "SLAB_MATCH(_unused_slab_obj_exts, obj_exts)",
      "sizeof(struct slab) <= sizeof(struct page)",
      "IS_ALIGNED(offsetof(struct slab, freelist), 16)",
      "IS_ALIGNED(offsetof(struct slab, freelist), 8)",
    ]);
  });

  it.each([
    [
      "lp64",
      ["SLAB_MATCH(_unused_slab_obj_exts, obj_exts)", "IS_ALIGNED(offsetof(struct slab, freelist), 8)"],
    ],
    [
      "ilp32",
      ["SLAB_MATCH(_unused_slab_obj_exts, obj_exts)", "IS_ALIGNED(offsetof(struct slab, freelist), 16)"],
    ],
  ] as const)("passes on %s; only the other configuration's rules are skipped", (abi, skipped) => {
    const results = check(abi);
    expect(results.filter((r) => r.status === "fail" || r.status === "missing")).toEqual([]);
    expect(results.filter((r) => r.status === "skipped").map((r) => r.label)).toEqual(skipped);
  });

  it("matches obj_exts to _unused_slab_obj_exts when memcg is off but slab object extensions are on", () => {
    const results = check("lp64", slabToday, { ...linux618, CONFIG_MEMCG: false });
    expect(results.find((r) => r.label === "SLAB_MATCH(_unused_slab_obj_exts, obj_exts)")).toMatchObject({
      status: "pass",
      actual: 56,
    });
    expect(results.find((r) => r.label === "SLAB_MATCH(memcg_data, obj_exts)")?.status).toBe("skipped");
  });

  it("breaks exactly SLAB_MATCH(_refcount, __page_refcount) when __page_type and __page_refcount swap", () => {
    const failed = check("lp64", swapMembers(slabToday, "__page_type", "__page_refcount")).filter(
      (r) => r.status === "fail",
    );
    expect(failed.map((r) => r.message)).toEqual([
      "SLAB_MATCH(_refcount, __page_refcount): struct slab.__page_refcount is at 48, but struct page._refcount puts it at 52",
    ]);
  });

  it("breaks exactly the freelist alignment when freelist and counters swap", () => {
    const failed = check("lp64", moveMember(slabToday, "freelist", "next")).filter(
      (r) => r.status === "fail",
    );
    expect(failed.map((r) => r.message)).toEqual([
      "IS_ALIGNED(offsetof(struct slab, freelist), 16): struct slab.freelist is at 40, not a multiple of 16",
    ]);
  });
});
