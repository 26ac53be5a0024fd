import { c, checkOverlay, layoutOf, linux618, linux618Measured, type MemberSpec, page } from "@memdesc/core";
import { describe, expect, it } from "vitest";
import { zpdescMembers, zpdescToday } from "./layout.js";
import { zpdescMatch } from "./rules.js";

const check = (desc = zpdescToday, config = linux618, abi: "lp64" | "ilp32" = "lp64") =>
  checkOverlay(zpdescMatch, layoutOf(page, { abi, config }), layoutOf(desc, { abi, config }), config);

describe("ZPDESC_MATCH(page, zpdesc)", () => {
  it("passes every rule against core's struct page", () => {
    expect(check().map((r) => [r.label, r.status, r.actual])).toEqual([
      ["ZPDESC_MATCH(flags, flags)", "pass", 0],
      ["ZPDESC_MATCH(lru, lru)", "pass", 8],
      ["ZPDESC_MATCH(mapping, movable_ops)", "pass", 24],
      ["ZPDESC_MATCH(__folio_index, next)", "pass", 32],
      ["ZPDESC_MATCH(__folio_index, handle)", "pass", 32],
      ["ZPDESC_MATCH(private, zspage)", "pass", 40],
      ["ZPDESC_MATCH(page_type, first_obj_offset)", "pass", 48],
      ["ZPDESC_MATCH(_refcount, _refcount)", "pass", 52],
      ["sizeof(struct zpdesc) <= sizeof(struct page)", "pass", 56],
    ]);
  });

  it("passes on the measured kernel and on i386", () => {
    expect(check(zpdescToday, linux618Measured).every((r) => r.status === "pass")).toBe(true);
    expect(check(zpdescToday, linux618, "ilp32").every((r) => r.status === "pass")).toBe(true);
  });

  it("breaks the rules of both fields when zspage moves above the next/handle union", () => {
    const members: MemberSpec[] = [...zpdescMembers];
    [members[3], members[4]] = [members[4]!, members[3]!];
    const failed = check(c.struct("zpdesc", members)).filter((r) => r.status !== "pass");
    expect(failed.map((r) => r.message)).toEqual([
      "ZPDESC_MATCH(__folio_index, next): struct zpdesc.next is at 40, but struct page.__folio_index puts it at 32",
      "ZPDESC_MATCH(__folio_index, handle): struct zpdesc.handle is at 40, but struct page.__folio_index puts it at 32",
      "ZPDESC_MATCH(private, zspage): struct zpdesc.zspage is at 32, but struct page.private puts it at 40",
    ]);
  });

  it("breaks exactly the _refcount rule when first_obj_offset widens to a long and pushes it out", () => {
    const members = zpdescMembers.map((m) =>
      Array.isArray(m) && m[0] === "first_obj_offset" ? (["first_obj_offset", c.ulong] as const) : m,
    );
    const failed = check(c.struct("zpdesc", members)).filter((r) => r.status !== "pass");
    expect(failed.map((r) => r.label)).toEqual(["ZPDESC_MATCH(_refcount, _refcount)"]);
    expect(failed[0]!.message).toBe(
      "ZPDESC_MATCH(_refcount, _refcount): struct zpdesc._refcount is at 56, but struct page._refcount puts it at 52",
    );
  });
});
