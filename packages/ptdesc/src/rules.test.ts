import { c, checkOverlay, layoutOf, linux618, linux618Measured, type MemberSpec, page } from "@memdesc/core";
import { describe, expect, it } from "vitest";
import { ptdescMembers, ptdescToday } from "./layout.js";
import { tableMatch } from "./rules.js";

const check = (desc = ptdescToday, config = linux618, abi: "lp64" | "ilp32" = "lp64") =>
  checkOverlay(tableMatch, layoutOf(page, { abi, config }), layoutOf(desc, { abi, config }), config);

describe("TABLE_MATCH(page, ptdesc)", () => {
  it("passes every rule against core's struct page on x86-64", () => {
    const results = check();
    expect(results.map((r) => [r.label, r.status, r.actual])).toEqual([
      ["TABLE_MATCH(flags, pt_flags)", "pass", 0],
      ["TABLE_MATCH(compound_head, pt_list)", "pass", 8],
      ["TABLE_MATCH(compound_head, _pt_pad_1)", "pass", 8],
      ["TABLE_MATCH(mapping, __page_mapping)", "pass", 24],
      ["TABLE_MATCH(__folio_index, pt_index)", "pass", 32],
      ["TABLE_MATCH(callback_head, pt_rcu_head)", "pass", 8],
      ["TABLE_MATCH(page_type, __page_type)", "pass", 48],
      ["TABLE_MATCH(_refcount, __page_refcount)", "pass", 52],
      ["TABLE_MATCH(memcg_data, pt_memcg_data)", "pass", 56],
      ["sizeof(struct ptdesc) <= sizeof(struct page)", "pass", 64],
    ]);
  });

  it("passes on the measured kernel and on i386 (ptdesc 36 <= page 40)", () => {
    expect(check(ptdescToday, linux618Measured).every((r) => r.status === "pass")).toBe(true);
    const i386 = check(ptdescToday, linux618, "ilp32");
    expect(i386.every((r) => r.status === "pass")).toBe(true);
    expect(i386.at(-1)).toMatchObject({ actual: 36, expected: 40 });
  });

  it("skips the memcg rule without CONFIG_MEMCG", () => {
    const config = { ...linux618, CONFIG_MEMCG: false };
    const memcg = check(ptdescToday, config).find(
      (r) => r.rule.kind === "match" && r.rule.field === "pt_memcg_data",
    );
    expect(memcg).toMatchObject({
      status: "skipped",
      message: "TABLE_MATCH(memcg_data, pt_memcg_data): skipped, CONFIG_MEMCG is off",
    });
  });

  it("breaks exactly TABLE_MATCH(__folio_index, pt_index) when the ptl union moves ahead of it", () => {
    // Swap the fourth and fifth members: the pt_index union and the _pt_pad_2/ptl union (which no rule names).
    const members: MemberSpec[] = [...ptdescMembers];
    [members[3], members[4]] = [members[4]!, members[3]!];
    const failed = check(c.struct("ptdesc", members)).filter((r) => r.status !== "pass");
    expect(failed.map((r) => r.message)).toEqual([
      "TABLE_MATCH(__folio_index, pt_index): struct ptdesc.pt_index is at 40, but struct page.__folio_index puts it at 32",
    ]);
  });

  it("breaks the size bound when ptdesc grows past struct page", () => {
    const grown = c.struct("ptdesc", [...ptdescMembers, ["pt_extra", c.ulong]]);
    const failed = check(grown).filter((r) => r.status !== "pass");
    expect(failed.map((r) => r.message)).toEqual([
      "sizeof(struct ptdesc) <= sizeof(struct page): sizeof(struct ptdesc) is 72, larger than sizeof(struct page) = 64",
    ]);
  });

  it("shows why ALLOC_SPLIT_PTLOCKS exists: an inline 16-byte lock pushes every later field out of place", () => {
    const config = { ...linux618, SPINLOCK_SIZE: 16 };
    const failed = check(ptdescToday, config).filter((r) => r.status === "fail");
    expect(failed.map((r) => r.label)).toEqual([
      "TABLE_MATCH(page_type, __page_type)",
      "TABLE_MATCH(_refcount, __page_refcount)",
      "TABLE_MATCH(memcg_data, pt_memcg_data)",
      "sizeof(struct ptdesc) <= sizeof(struct page)",
    ]);
    const split = check(ptdescToday, { ...config, ALLOC_SPLIT_PTLOCKS: true });
    expect(split.every((r) => r.status === "pass")).toBe(true);
  });
});
