import {
  type AbiName,
  c,
  checkOverlay,
  layoutOf,
  linux618,
  moveMember,
  page,
  swapMembers,
} from "@memdesc/core";
import { describe, expect, it } from "vitest";
import { folioMatch, folioOverlay, folioSize } from "./overlay.js";
import { folioToday } from "./today.js";

const check = (abi: AbiName, folio = folioToday, config = linux618) =>
  folioOverlay.flatMap((set) =>
    checkOverlay(set, layoutOf(page, { abi, config }), layoutOf(folio, { abi, config }), {
      CONFIG_64BIT: abi === "lp64",
      ...config,
    }),
  );

describe("FOLIO_MATCH against core's struct page", () => {
  it("lists the kernel's rules: head page, then +1, +2 and +3 × sizeof(struct page)", () => {
    expect(
      folioMatch.rules.map((r) => (r.kind === "match" ? [r.base, r.field, r.index, r.ifdef] : r.kind)),
    ).toEqual([
      ["flags", "flags", 0, undefined],
      ["lru", "lru", 0, undefined],
      ["mapping", "mapping", 0, undefined],
      ["compound_head", "lru", 0, undefined],
      ["__folio_index", "index", 0, undefined],
      ["private", "private", 0, undefined],
      ["_mapcount", "_mapcount", 0, undefined],
      ["_refcount", "_refcount", 0, undefined],
      ["memcg_data", "memcg_data", 0, "CONFIG_MEMCG"],
      ["virtual", "virtual", 0, "WANT_PAGE_VIRTUAL"],
      ["_last_cpupid", "_last_cpupid", 0, "LAST_CPUPID_NOT_IN_PAGE_FLAGS"],
      ["flags", "_flags_1", 1, undefined],
      ["compound_head", "_head_1", 1, undefined],
      ["_mapcount", "_mapcount_1", 1, undefined],
      ["_refcount", "_refcount_1", 1, undefined],
      ["flags", "_flags_2", 2, undefined],
      ["compound_head", "_head_2", 2, undefined],
      ["flags", "_flags_3", 3, undefined],
      ["compound_head", "_head_3", 3, undefined],
    ]);
    expect(folioSize.rules).toEqual([{ kind: "size", count: 4 }]);
  });

  it.each(["lp64", "ilp32"] as const)(
    "passes every rule on %s (the #ifdef'd ones are skipped when off)",
    (abi) => {
      const results = check(abi);
      expect(results.filter((r) => r.status !== "pass" && r.status !== "skipped")).toEqual([]);
      expect(results.filter((r) => r.status === "skipped").map((r) => r.label)).toEqual([
        "FOLIO_MATCH(virtual, virtual)",
        "FOLIO_MATCH(_last_cpupid, _last_cpupid)",
      ]);
      expect(results.at(-1)).toMatchObject({
        label: "sizeof(struct folio) <= 4 * sizeof(struct page)",
        actual: abi === "lp64" ? 256 : 160,
      });
    },
  );

  it("also passes where struct page has virtual and _last_cpupid (WANT_PAGE_VIRTUAL, LAST_CPUPID_NOT_IN_PAGE_FLAGS)", () => {
    const config = { ...linux618, WANT_PAGE_VIRTUAL: true, LAST_CPUPID_NOT_IN_PAGE_FLAGS: true };
    for (const abi of ["lp64", "ilp32"] as const) {
      const results = check(abi, folioToday, config);
      expect(results.every((r) => r.status === "pass")).toBe(true);
    }
  });

  it("breaks exactly FOLIO_MATCH(compound_head, _head_3) when _head_3 moves to the end of its struct", () => {
    const failed = check("lp64", moveMember(folioToday, "_head_3", "end")).filter((r) => r.status === "fail");
    expect(failed.map((r) => r.message)).toEqual([
      "FOLIO_MATCH(compound_head, _head_3) at +3×sizeof(struct page): struct folio._head_3 is at 232, but struct page.compound_head puts it at 8 + 3×64 = 200",
    ]);
  });

  it("breaks exactly FOLIO_MATCH(_refcount, _refcount_1) when _refcount_1 and _nr_pages swap", () => {
    const failed = check("lp64", swapMembers(folioToday, "_refcount_1", "_nr_pages")).filter(
      (r) => r.status === "fail",
    );
    expect(failed.map((r) => r.message)).toEqual([
      "FOLIO_MATCH(_refcount, _refcount_1) at +1×sizeof(struct page): struct folio._refcount_1 is at 120, but struct page._refcount puts it at 52 + 1×64 = 116",
    ]);
  });

  it("breaks the size bound, and the later cachelines' rules, when a tail page's fields outgrow struct page", () => {
    const big = {
      ...folioToday,
      members: (folioToday.members ?? []).map((m, i) =>
        i === 2 && m.type.kind === "union"
          ? {
              ...m,
              type: {
                ...m.type,
                members: [...(m.type.members ?? []), { name: "_grown", type: c.array(c.ulong, 9) }],
              },
            }
          : m,
      ),
    };
    // A 72-byte arm makes the second tail page's union 80 bytes (struct page keeps it 16-aligned), so the
    // third tail page starts at 208 instead of 192.
    const failed = check("lp64", big).filter((r) => r.status === "fail");
    expect(failed.map((r) => r.label)).toEqual([
      "FOLIO_MATCH(flags, _flags_3) at +3×sizeof(struct page)",
      "FOLIO_MATCH(compound_head, _head_3) at +3×sizeof(struct page)",
      "sizeof(struct folio) <= 4 * sizeof(struct page)",
    ]);
    expect(failed.at(-1)!.message).toBe(
      "sizeof(struct folio) <= 4 * sizeof(struct page): sizeof(struct folio) is 272, larger than 4 × sizeof(struct page) = 256",
    );
  });
});
