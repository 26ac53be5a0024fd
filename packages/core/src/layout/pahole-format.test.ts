import { readFileSync } from "node:fs";
import { readReference } from "@memdesc/testkit";
import { describe, expect, it } from "vitest";
import { memdesc_flags_t } from "../ctype/builtins.js";
import { c } from "../ctype/dsl.js";
import { linux618Measured } from "../kernel/config.js";
import { page } from "../kernel/page.js";
import { layoutOf } from "./engine.js";
import { formatPaholeEnum } from "./pahole-enum.js";
import { formatPahole } from "./pahole-format.js";

describe("formatPahole", () => {
  it("prints struct page exactly as pahole 1.24 does from the measured kernel's BTF", () => {
    const layout = layoutOf(page, { config: linux618Measured });
    expect(formatPahole(layout)).toBe(readReference("pahole/pahole_page.txt"));
  });

  // The descriptors (folio, slab, ptdesc, …) are checked byte for byte in their plugin packages.
  it("prints a typedef of an anonymous struct, memdesc_flags_t, as pahole does", () => {
    const layout = layoutOf(memdesc_flags_t, { config: linux618Measured });
    expect(formatPahole(layout)).toBe(readReference("pahole/pahole_memdesc_flags_t.txt"));
  });
});

describe("formatPaholeEnum", () => {
  it("prints net_iov_type, 8 bytes wide, as packed", () => {
    // NET_IOV_MAX = ULONG_MAX makes the packed enum as wide as a long.
    const netIovType = c.enum(
      "net_iov_type",
      { NET_IOV_DMABUF: 0, NET_IOV_IOURING: 1, NET_IOV_MAX: 18446744073709551615n },
      "long",
    );
    expect(formatPaholeEnum(netIovType)).toBe(readReference("pahole/pahole_enum_net_iov_type.txt"));
  });

  it("prints pagetype with its values aligned", () => {
    const pagetype = c.enum("pagetype", {
      PGTY_buddy: 0xf0,
      PGTY_offline: 0xf1,
      PGTY_table: 0xf2,
      PGTY_guard: 0xf3,
      PGTY_hugetlb: 0xf4,
      PGTY_slab: 0xf5,
      PGTY_zsmalloc: 0xf6,
      PGTY_unaccepted: 0xf7,
      PGTY_large_kmalloc: 0xf8,
      PGTY_mapcount_underflow: 0xff,
    });
    expect(formatPaholeEnum(pagetype)).toBe(readReference("pahole/pahole_enum_pagetype.txt"));
  });
});

/*
 * Structs compiled by gcc 12 and printed by pahole 1.24 from BTF (see test/fixtures/pahole/*.c), so these
 * pahole features are checked on machines without the toolchain too.
 */
const fixture = (name: string) =>
  readFileSync(new URL(`../../test/fixtures/pahole/${name}.txt`, import.meta.url), "utf8");

describe("formatPahole against gcc + pahole fixtures", () => {
  it("prints holes, bit holes, forced bitfield alignment, qualifiers, function pointers and flattened arrays", () => {
    const written = c.struct("kitchen_sink", [
      ["c", c.char],
      ["l", c.long],
      ["s", "const char *"],
      ["vp", "volatile int *"],
      ["cp", "int * const"],
      ["fn", c.fnPtr("void", ["int", "const char *"])],
      [
        "anon",
        c.struct([
          ["x", c.short],
          ["y", c.char],
        ]),
      ],
      c.union([
        ["u1", c.int],
        ["u2", c.chars(5)],
      ]),
      ["bf1", c.uint, { bits: 3 }],
      ["bf2", c.uint, { bits: 9 }],
      ["bf3", c.uchar, { bits: 2 }],
      ["ll", c.llong, { aligned: 16 }],
      ["tail", c.char],
      ["lh", c.listHead],
      ["arr", c.array(c.chars(2), 3)],
      ["flag", c._Bool, { bits: 1 }],
      ["flex", c.flex(c.ulong)],
    ]);
    // `unsigned char :0;` after bf2: the DSL names every member, so it goes in as a C type model member.
    const members = written.members!;
    const kitchenSink = {
      ...written,
      members: [...members.slice(0, 10), { type: c.uchar, bits: 0 }, ...members.slice(10)],
    };
    expect(formatPahole(layoutOf(kitchenSink))).toBe(fixture("kitchen_sink"));
  });
});

describe("formatPahole against more gcc + pahole fixtures", () => {
  it("infers aligned attributes and rounds them up to the cacheline, through a typedef", () => {
    const alignedT = c.typedef(
      "aligned_t",
      c.struct([
        ["a", c.char],
        ["b", c.long, { aligned: 32 }],
        ["big", c.struct([["x", c.int]], { aligned: 64 })],
      ]),
    );
    expect(formatPahole(layoutOf(alignedT))).toBe(fixture("aligned_t"));
  });

  it("prints a union, with a packed struct inside, in pahole's narrower union columns", () => {
    const mixed = c.union("mixed", [
      ["l", c.long],
      [
        "p",
        c.struct(
          [
            ["c", c.char],
            ["i", c.int],
          ],
          { packed: true },
        ),
      ],
      ["bytes", c.chars(12)],
    ]);
    expect(formatPahole(layoutOf(mixed))).toBe(fixture("mixed"));
  });

  it("announces a cacheline crossed inside a member as 'was N bytes ago'", () => {
    const straddle = c.struct("straddle", [
      ["a", c.chars(60)],
      ["b", c.chars(8)],
      ["c", c.int],
      ["d", c.chars(120)],
      ["e", c.short],
    ]);
    expect(formatPahole(layoutOf(straddle))).toBe(fixture("straddle"));
  });

  it("prints i386 layouts: 4-aligned long long, a bitfield sharing an earlier unit, a zero-width field", () => {
    const written = c.struct("i386_mix", [
      ["a", c.char],
      ["b", c.llong],
      ["c", c.int, { bits: 3 }],
      ["d", c.llong, { bits: 40 }],
      ["e", "double"],
      ["l", c.long],
      ["p", c.ptr()],
      ["z", c.char],
      ["y", c.char],
      [
        "pk",
        c.struct(
          [
            ["q", c.char],
            ["r", c.int],
          ],
          { packed: true },
        ),
      ],
      ["s", c.short],
    ]);
    const members = written.members!;
    const i386Mix = {
      ...written,
      members: [...members.slice(0, 8), { type: c.llong, bits: 0 }, ...members.slice(8)],
    };
    expect(formatPahole(layoutOf(i386Mix, { abi: "ilp32" }))).toBe(fixture("i386_mix"));
  });
});
