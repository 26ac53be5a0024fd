import { describe, expect, it } from "vitest";
import { c } from "../ctype/dsl.js";
import { linux618Measured } from "../kernel/config.js";
import { page } from "../kernel/page.js";
import { layoutOf } from "./engine.js";
import { expandTabs, formatCompare } from "./pahole-compare.js";
import { formatPahole } from "./pahole-format.js";

/** Linux 6.18's struct ioptdesc, which overlays struct page. */
const ioptdesc = c.struct("ioptdesc", [
  ["__page_flags", c.ulong],
  ["iopt_freelist_elm", c.listHead],
  ["__page_mapping", c.ulong],
  ["__index", c.ulong],
  ["_private", c.ptr()],
  ["__page_type", c.uint],
  ["__page_refcount", c.atomic],
  ["memcg_data", c.ulong],
]);

/*
 * Built in each test, not when the file is collected: StrykerJS attributes the layout engine's code to the tests
 * that run it only when it runs inside one (see docs/mutation.md).
 */
function compared() {
  const today = layoutOf(page, { config: linux618Measured });
  const memdesc = layoutOf(ioptdesc, { config: linux618Measured });
  const left = formatPahole(today).trimEnd().split("\n").map(expandTabs);
  const right = formatPahole(memdesc).trimEnd().split("\n").map(expandTabs);
  return { text: formatCompare(today, memdesc), left, right, width: Math.max(...left.map((l) => l.length)) };
}

describe("formatCompare", () => {
  it("puts the two pahole outputs side by side, line for line", () => {
    const { text, left, right, width } = compared();
    const rows = text.trimEnd().split("\n");
    expect(rows).toHaveLength(Math.max(left.length, right.length));
    rows.forEach((row, i) => {
      expect(row.slice(0, width).trimEnd()).toBe(left[i] ?? "");
      expect(row.slice(width + 3)).toBe(right[i] ?? "");
    });
  });

  it("starts with both headers in their columns", () => {
    const { text, width } = compared();
    expect(text.split("\n")[0]).toBe(`${"struct page {".padEnd(width)} | struct ioptdesc {`);
    expect(text).toContain(
      `${"        atomic_t                   _refcount;            /*    52     4 */".padEnd(width)} |`,
    );
  });

  it("expands tabs to 8-column stops", () => {
    expect(expandTabs("\tab\tc")).toBe("        ab      c");
  });
});
