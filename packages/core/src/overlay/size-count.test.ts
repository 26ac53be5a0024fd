import { describe, expect, it } from "vitest";
import { z } from "zod";
import { c } from "../ctype/dsl.js";
import { linux618 } from "../kernel/config.js";
import { page } from "../kernel/page.js";
import { layoutOf } from "../layout/engine.js";
import { defineDescriptor } from "../plugin/define.js";
import { checkOverlay } from "./check.js";
import { overlay } from "./rules.js";

/*
 * Core support the folio and slab plugins need: a size bound for a descriptor that spans several struct pages
 * (struct folio overlays four), and the SLUB options of the measured 6.18 configuration.
 */

const pageLayout = layoutOf(page, { config: linux618 });
const spanning = (pages: number) =>
  layoutOf(
    c.struct("wide", [
      ["head", page],
      ["tail", c.array(page, pages - 1)],
    ]),
    { config: linux618 },
  );

describe("sizeAtMost({ count })", () => {
  it("bounds a descriptor by count × sizeof(base), and says so", () => {
    const set = overlay.set("WIDE", "page", [overlay.sizeAtMost({ count: 4 })]);
    const [fits] = checkOverlay(set, pageLayout, spanning(4), linux618);
    expect(fits).toMatchObject({
      status: "pass",
      label: "sizeof(struct wide) <= 4 * sizeof(struct page)",
      actual: 256,
      expected: 256,
    });
    const [tooBig] = checkOverlay(set, pageLayout, spanning(5), linux618);
    expect(tooBig).toMatchObject({ status: "fail", actual: 320, expected: 256 });
    expect(tooBig!.message).toBe(
      "sizeof(struct wide) <= 4 * sizeof(struct page): sizeof(struct wide) is 320, larger than 4 × sizeof(struct page) = 256",
    );
  });

  it("keeps the one-page label and bound without a count", () => {
    const [r] = checkOverlay(
      overlay.set("W", "page", [overlay.sizeAtMost()]),
      pageLayout,
      spanning(2),
      linux618,
    );
    expect(r).toMatchObject({
      status: "fail",
      label: "sizeof(struct wide) <= sizeof(struct page)",
      expected: 64,
    });
  });

  it("is part of the plugin manifest: a count must be a positive whole number", () => {
    const base = {
      name: "memdesc-plugin-wide",
      kind: "wide",
      title: "struct wide",
      today: c.struct("wide", [["a", c.ulong]]),
      memdesc: c.struct("wide", [["a", c.ulong]]),
      schema: z.object({}),
    };
    expect(() =>
      defineDescriptor({ ...base, overlay: [overlay.set("W", "page", [overlay.sizeAtMost({ count: 4 })])] }),
    ).not.toThrow();
    expect(() =>
      defineDescriptor({ ...base, overlay: [overlay.set("W", "page", [overlay.sizeAtMost({ count: 0 })])] }),
    ).toThrow(/overlay\[0\]\.rules\[0\]\.count/);
  });
});

describe("linux618", () => {
  it("has SLUB's per-CPU partial slabs and double-word cmpxchg, as the measured kernel does", () => {
    expect(linux618.CONFIG_SLUB_CPU_PARTIAL).toBe(true);
    expect(linux618.CONFIG_HAVE_CMPXCHG_DOUBLE).toBe(true);
  });
});
