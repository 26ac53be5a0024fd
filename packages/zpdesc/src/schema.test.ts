import { createRegistry, issuesOf, keyPath } from "@memdesc/core";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { zpdesc } from "./plugin.js";
import { zpdescValueSchema } from "./schema.js";
import { firstObjOffsets, zsSizeClasses } from "./zsmalloc.js";

const schema = zpdescValueSchema();
const issues = (v: unknown, s = schema) => {
  const r = s.safeParse(v);
  return r.success
    ? ""
    : issuesOf(r.error.issues)
        .map((i) => (i.path.length > 0 ? `${keyPath(i.path)}: ${i.message}` : i.message))
        .join("\n");
};

describe("zpdesc value schema", () => {
  it("accepts a page of a zspage, with or without its class", () => {
    expect(schema.parse({ firstObjOffset: 0, zspagePages: 1 })).toEqual({
      firstObjOffset: 0,
      zspagePages: 1,
    });
    expect(issues({ firstObjOffset: 2432, zspagePages: 4, pageIndex: 1, classSize: 3264 })).toBe("");
    expect(issues({ firstObjOffset: 0, zspagePages: 1, pageIndex: 0, classSize: 4096, huge: true })).toBe("");
    expect(issues({ firstObjOffset: 16, zspagePages: 3, pageIndex: 2, classSize: 48, huge: false })).toBe("");
  });

  it("limits first_obj_offset to the page, the 24-bit field and ZS_ALIGN", () => {
    expect(issues({ firstObjOffset: 4096, zspagePages: 1 })).toBe(
      "firstObjOffset: first_obj_offset is an offset inside the page: below PAGE_SIZE (4096), and it must fit the 24 bits below PGTY_zsmalloc",
    );
    expect(issues({ firstObjOffset: -8, zspagePages: 1 })).toBe(
      "firstObjOffset: first_obj_offset cannot be negative",
    );
    expect(issues({ firstObjOffset: 12, zspagePages: 1 })).toBe(
      "firstObjOffset: objects are ZS_ALIGN-aligned: first_obj_offset is a multiple of 8",
    );
  });

  it("limits the chain to 1..CONFIG_ZSMALLOC_CHAIN_SIZE pages", () => {
    expect(issues({ firstObjOffset: 0, zspagePages: 0 })).toBe("zspagePages: a zspage has at least one page");
    expect(issues({ firstObjOffset: 0, zspagePages: 9 })).toBe(
      "zspagePages: a zspage chains at most CONFIG_ZSMALLOC_CHAIN_SIZE (8) pages (ZS_MAX_PAGES_PER_ZSPAGE)",
    );
    expect(issues({ firstObjOffset: 0, zspagePages: 16 }, zpdescValueSchema({ chainSize: 16 }))).toBe("");
    expect(() => zpdescValueSchema({ chainSize: 32 })).toThrow(
      "CONFIG_ZSMALLOC_CHAIN_SIZE must be a whole number from 4 to 16, got 32",
    );
    expect(issues({ firstObjOffset: 0, zspagePages: 2, pageIndex: 2 })).toBe(
      "pageIndex: page 2 is past the end of a 2-page zspage",
    );
  });

  it("checks the class: its size, its chain length, hugeness and each page's offset", () => {
    expect(issues({ firstObjOffset: 0, zspagePages: 1, classSize: 40 })).toBe(
      "classSize: size classes are 32 + k × ZS_SIZE_CLASS_DELTA (16) bytes: 40 is not one",
    );
    expect(issues({ firstObjOffset: 0, zspagePages: 1, classSize: 16 })).toBe(
      "classSize: zsmalloc objects are at least ZS_MIN_ALLOC_SIZE (32) bytes",
    );
    expect(issues({ firstObjOffset: 0, zspagePages: 1, classSize: 3648 })).toBe(
      "classSize: the 3648-byte class is merged into the 4096-byte class (both 1 pages, 1 objects per zspage), so no zspage has 3648-byte objects",
    );
    expect(issues({ firstObjOffset: 0, zspagePages: 3, classSize: 3264 })).toBe(
      "zspagePages: a zspage of 3264-byte objects chains 4 pages (calculate_zspage_chain_size), not 3",
    );
    expect(issues({ firstObjOffset: 0, zspagePages: 4, classSize: 3264, huge: true })).toBe(
      "huge: the 3264-byte class is not huge: 5 objects in 4 page(s)",
    );
    expect(issues({ firstObjOffset: 0, zspagePages: 1, classSize: 4096, huge: false })).toBe(
      "huge: the 4096-byte class is huge: one object in a one-page zspage",
    );
    expect(issues({ firstObjOffset: 768, zspagePages: 4, pageIndex: 2, classSize: 3264 })).toBe(
      "firstObjOffset: page 2 of a zspage of 3264-byte objects has its first object at 1600 (init_zspage), not 768",
    );
  });

  it("accepts every page of every zspage-holding class, and only its own offset (property)", () => {
    const classes = zsSizeClasses().filter((k) => k.mergedInto === undefined);
    fc.assert(
      fc.property(fc.constantFrom(...classes), fc.nat(), fc.integer({ min: 0, max: 511 }), (k, i, o) => {
        const pageIndex = i % k.pagesPerZspage;
        const expected = firstObjOffsets(k.size, k.pagesPerZspage)[pageIndex]!;
        const base = { zspagePages: k.pagesPerZspage, pageIndex, classSize: k.size, huge: k.huge };
        const offset = o * 8;
        return (
          schema.safeParse({ ...base, firstObjOffset: expected }).success &&
          schema.safeParse({ ...base, firstObjOffset: offset }).success === (offset === expected)
        );
      }),
    );
  });

  it("reports through the registry with the kind and plugin named", () => {
    const r = createRegistry({ plugins: [zpdesc()] });
    expect(() => r.parse("zpdesc", { firstObjOffset: 0, zspagePages: 20 })).toThrow(
      'zpdesc value (plugin "@memdesc/zpdesc"): zspagePages: a zspage chains at most CONFIG_ZSMALLOC_CHAIN_SIZE (8) pages (ZS_MAX_PAGES_PER_ZSPAGE)',
    );
  });
});
