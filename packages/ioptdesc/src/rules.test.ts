import { c, checkOverlay, layoutOf, linux618, linux618Measured, type MemberSpec, page } from "@memdesc/core";
import { describe, expect, it } from "vitest";
import { ioptdesc618, ioptdescIncoherent, ioptdescMembers618 } from "./layout.js";
import { ioptdescMatch } from "./rules.js";

const check = (desc = ioptdesc618, config = linux618, abi: "lp64" | "ilp32" = "lp64") =>
  checkOverlay(ioptdescMatch, layoutOf(page, { abi, config }), layoutOf(desc, { abi, config }), config);

describe("IOPTDESC_MATCH(page, ioptdesc)", () => {
  it("passes exactly the kernel's rules against core's struct page", () => {
    expect(check().map((r) => [r.label, r.status, r.actual])).toEqual([
      ["IOPTDESC_MATCH(flags, __page_flags)", "pass", 0],
      ["IOPTDESC_MATCH(lru, iopt_freelist_elm)", "pass", 8],
      ["IOPTDESC_MATCH(mapping, __page_mapping)", "pass", 24],
      ["IOPTDESC_MATCH(private, _private)", "pass", 40],
      ["IOPTDESC_MATCH(page_type, __page_type)", "pass", 48],
      ["IOPTDESC_MATCH(_refcount, __page_refcount)", "pass", 52],
      ["IOPTDESC_MATCH(memcg_data, memcg_data)", "pass", 56],
      ["sizeof(struct ioptdesc) <= sizeof(struct page)", "pass", 64],
    ]);
  });

  it("asserts nothing about __index or incoherent", () => {
    const named = ioptdescMatch.rules.flatMap((r) => (r.kind === "match" ? [r.base, r.field] : []));
    expect(named).not.toContain("__index");
    expect(named).not.toContain("incoherent");
  });

  it("passes for the post-6.18 layout, the measured kernel and i386", () => {
    expect(check(ioptdescIncoherent).every((r) => r.status === "pass")).toBe(true);
    expect(check(ioptdesc618, linux618Measured).every((r) => r.status === "pass")).toBe(true);
    expect(check(ioptdesc618, linux618, "ilp32").every((r) => r.status === "pass")).toBe(true);
  });

  it("breaks exactly IOPTDESC_MATCH(private, _private) when __index moves below _private", () => {
    const members: MemberSpec[] = [...ioptdescMembers618];
    [members[3], members[4]] = [members[4]!, members[3]!];
    const failed = check(c.struct("ioptdesc", members)).filter((r) => r.status !== "pass");
    expect(failed.map((r) => r.message)).toEqual([
      "IOPTDESC_MATCH(private, _private): struct ioptdesc._private is at 32, but struct page.private puts it at 40",
    ]);
  });

  it("breaks the lru rule (bit 0 of compound_head) when the list link moves", () => {
    const members: MemberSpec[] = [...ioptdescMembers618];
    [members[1], members[2]] = [members[2]!, members[1]!];
    const failed = check(c.struct("ioptdesc", members)).filter((r) => r.status !== "pass");
    expect(failed.map((r) => r.label)).toEqual([
      "IOPTDESC_MATCH(lru, iopt_freelist_elm)",
      "IOPTDESC_MATCH(mapping, __page_mapping)",
    ]);
    expect(failed[0]!.message).toBe(
      "IOPTDESC_MATCH(lru, iopt_freelist_elm): struct ioptdesc.iopt_freelist_elm is at 16, but struct page.lru puts it at 8",
    );
  });
});
