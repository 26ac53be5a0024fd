import { describe, expect, it } from "vitest";
import { z } from "zod";
import { c } from "../ctype/dsl.js";
import { linux618 } from "../kernel/config.js";
import { layoutOf } from "../layout/engine.js";
import { overlay } from "../overlay/rules.js";
import { defineDescriptor } from "../plugin/define.js";
import { createRegistry } from "./registry.js";

/*
 * Core support the descriptor plugins need: rule sets about a struct other than the plugin's today layout
 * (NET_IOV_ASSERT_OFFSET checks net_iov against netmem_desc), enums as wide as `long`, and hugetlb PMD
 * sharing in the 6.18 x86-64 configuration.
 */

const head = c.struct("head_desc", [
  ["a", c.ulong],
  ["b", c.ulong],
]);
const view = (second: "b" | "c") =>
  c.struct("view", [
    ["a", c.ulong],
    ...(second === "b" ? ([["b", c.ulong]] as const) : ([["c", c.ulong]] as const)),
    ["extra", c.uint],
  ]);
const plugin = (second: "b" | "c", swap = false) =>
  defineDescriptor({
    name: "memdesc-plugin-views",
    kind: "views",
    title: "struct head_desc",
    today: head,
    memdesc: head,
    layouts: {
      view: swap
        ? c.struct("view", [
            ["b", c.ulong],
            ["a", c.ulong],
          ])
        : view(second),
    },
    overlay: [
      overlay.set("VIEW_ASSERT_OFFSET", "head_desc", [overlay.match("a", "a"), overlay.match("b", "b")], {
        desc: "view",
      }),
    ],
    schema: z.object({}),
  });

describe("overlay rule sets about another layout (desc)", () => {
  it("records the checked struct only when given", () => {
    expect(overlay.set("M", "page", [])).toEqual({ macro: "M", base: "page", rules: [] });
    expect(overlay.set("M", "page", [], { desc: "net_iov" })).toEqual({
      macro: "M",
      base: "page",
      desc: "net_iov",
      rules: [],
    });
  });

  it("checks the named layout, not today's, against the base", () => {
    const r = createRegistry({ plugins: [plugin("b", true)] });
    const [report] = r.checkOverlays();
    expect(report!.results.map((x) => [x.status, x.message])).toEqual([
      ["fail", "VIEW_ASSERT_OFFSET(a, a): struct view.a is at 8, but struct head_desc.a puts it at 0"],
      ["fail", "VIEW_ASSERT_OFFSET(b, b): struct view.b is at 0, but struct head_desc.b puts it at 8"],
    ]);
  });

  it("reports a field missing from the named layout when the registry is built", () => {
    expect(() => createRegistry({ plugins: [plugin("c")] })).toThrow(
      'plugin "memdesc-plugin-views" (kind views): overlay rule VIEW_ASSERT_OFFSET(b, b): struct view has no field b',
    );
  });

  it("rejects an empty desc name in the manifest", () => {
    expect(() =>
      defineDescriptor({
        name: "x",
        kind: "x",
        title: "x",
        today: head,
        memdesc: head,
        overlay: [{ macro: "M", base: "page", desc: "", rules: [] }],
        schema: z.object({}),
      }),
    ).toThrow(/overlay\[0\]\.desc/);
  });
});

describe("enums of size long", () => {
  const e = c.enum("net_iov_type", { A: 0, B: 1, MAX: (1n << 64n) - 1n }, "long");
  const s = c.struct("holder", [
    ["p", c.ptr()],
    ["type", e],
  ]);

  it("are 8 bytes on LP64 and 4 on ILP32", () => {
    expect(layoutOf(s, { abi: "lp64" }).size).toBe(16);
    const ilp32 = layoutOf(s, { abi: "ilp32" });
    expect(ilp32.fields.find((f) => f.path === "type")).toMatchObject({ offset: 4, size: 4 });
    expect(ilp32.size).toBe(8);
  });
});

describe("linux618", () => {
  it("has hugetlb PMD page-table sharing, as x86-64 selects ARCH_WANT_HUGE_PMD_SHARE", () => {
    expect(linux618.CONFIG_HUGETLB_PMD_PAGE_TABLE_SHARING).toBe(true);
    expect(linux618.CONFIG_HUGETLB_PAGE).toBe(true);
  });
});
