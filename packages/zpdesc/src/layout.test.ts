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
import { zpdescMemdesc, zpdescToday, zspage } from "./layout.js";

const table = (layout: ReturnType<typeof layoutOf>) =>
  layout.fields.filter((f) => !f.anonymous && !f.path.includes(".")).map((f) => [f.path, f.offset, f.size]);

describe("struct zpdesc today (Linux 6.18)", () => {
  // Field by field and byte for byte against pahole -C zpdesc: the conformance checks (conformance.test.ts).
  it("has the measured x86-64 members and no padding: 56 bytes", () => {
    const layout = layoutOf(zpdescToday, { abi: "lp64", config: linux618Measured });
    const ref = paholeReference("pahole_zpdesc.txt");
    expect(parsePahole(ref)[0]!.fields.map((f) => f.path)).toEqual([
      "flags",
      "lru",
      "movable_ops",
      "next",
      "handle",
      "zspage",
      "first_obj_offset",
      "_refcount",
    ]);
    expect(layout.padding).toBe(0);
  });

  it("prints zspage byte for byte as pahole printed it", () => {
    expect(formatPahole(layoutOf(zspage, { config: linux618Measured }))).toBe(
      paholeReference("pahole_zspage.txt"),
    );
  });

  it("is 32 bytes on i386", () => {
    const layout = layoutOf(zpdescToday, { abi: "ilp32", config: linux618 });
    expect(table(layout)).toEqual([
      ["flags", 0, 4],
      ["lru", 4, 8],
      ["movable_ops", 12, 4],
      ["next", 16, 4],
      ["handle", 16, 4],
      ["zspage", 20, 4],
      ["first_obj_offset", 24, 4],
      ["_refcount", 28, 4],
    ]);
    expect(layout.size).toBe(32);
  });
});

describe("struct zpdesc in the memdesc era", () => {
  it("drops lru and movable_ops (8 + 8 + 8 + 4 + 4 = 32 bytes, Wilcox's 'about 32 bytes per page') and adds the pfn: 40", () => {
    const layout = layoutOf(zpdescMemdesc, { config: linux618 });
    expect(table(layout)).toEqual([
      ["flags", 0, 8],
      ["next", 8, 8],
      ["handle", 8, 8],
      ["zspage", 16, 8],
      ["first_obj_offset", 24, 4],
      ["_refcount", 28, 4],
      ["pfn", 32, 8],
    ]);
    expect([layout.size, layout.holes.length, layout.padding]).toEqual([40, 0, 0]);
    expect(layoutOf(zpdescMemdesc, { abi: "ilp32" }).size).toBe(24);
  });
});

describe("struct zspage", () => {
  it("matches pahole, bitfields and the 4-byte hole included: 56 bytes", () => {
    const layout = layoutOf(zspage, { abi: "lp64", config: linux618Measured });
    expect(diffPahole(layout, paholeReference("pahole_zspage.txt"))).toEqual([]);
    expect(["huge", "fullness", "class", "magic"].map((b) => findField(layout, b))).toEqual([
      expect.objectContaining({ offset: 0, bitOffset: 0, bitSize: 1 }),
      expect.objectContaining({ offset: 0, bitOffset: 1, bitSize: 4 }),
      expect.objectContaining({ offset: 0, bitOffset: 5, bitSize: 9 }),
      expect.objectContaining({ offset: 0, bitOffset: 14, bitSize: 8 }),
    ]);
    expect(layout.holes).toContainEqual(expect.objectContaining({ after: "freeobj", offset: 12, size: 4 }));
    expect(findField(layout, "zsl.cnt")).toMatchObject({ offset: 52, size: 4 });
  });

  it("is 36 bytes on i386, with no hole", () => {
    const layout = layoutOf(zspage, { abi: "ilp32", config: linux618 });
    expect(["first_zpdesc", "list", "pool", "zsl"].map((f) => findField(layout, f)?.offset)).toEqual([
      12, 16, 24, 28,
    ]);
    expect(layout.size).toBe(36);
    expect(layout.holes.filter((h) => h.size > 0)).toEqual([]);
  });

  it("needs lockdep's map described to lay out with CONFIG_DEBUG_LOCK_ALLOC", () => {
    expect(() => layoutOf(zspage, { config: { ...linux618, CONFIG_DEBUG_LOCK_ALLOC: true } })).toThrow(
      /struct lockdep_map/,
    );
  });
});
