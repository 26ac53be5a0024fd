import { readReference } from "@memdesc/testkit";
import { describe, expect, it } from "vitest";
import { c } from "../ctype/dsl.js";
import { moveMember, swapMembers } from "../ctype/edit.js";
import { linux618, linux618Measured } from "../kernel/config.js";
import { page } from "../kernel/page.js";
import { layoutOf } from "./engine.js";
import { diffPahole } from "./pahole-diff.js";

const reference = readReference("pahole/pahole_page.txt");

describe("diffPahole", () => {
  it("finds nothing between struct page and pahole's output for the kernel it was measured on", () => {
    expect(diffPahole(layoutOf(page, { config: linux618Measured }), reference)).toEqual([]);
  });

  it("names the vendor field upstream 6.18 lacks", () => {
    expect(diffPahole(layoutOf(page, { config: linux618 }), reference)).toEqual([
      "buddy_since: missing here",
    ]);
  });

  it("names moved fields with both offsets, and size and member-count changes", () => {
    const moved = moveMember(page, "_refcount", "end");
    // memcg_data stays 8-aligned at 56; _refcount after it pads struct page to 80 (16-aligned).
    expect(diffPahole(layoutOf(moved, { config: linux618Measured }), reference)).toEqual([
      "size: 80 here, 64 in pahole",
      "_refcount: offset 64 here, 52 in pahole",
    ]);
  });
});

describe("swapMembers and moveMember", () => {
  const s = c.struct("s", [
    ["a", c.u8],
    c.union([
      ["b", c.u32],
      c.struct([
        ["c", c.u16],
        ["d", c.u16],
      ]),
    ]),
    ["e", c.u64],
  ]);
  const order = (t: typeof s) =>
    layoutOf(t)
      .fields.filter((f) => !f.anonymous)
      .map((f) => `${f.path}@${f.offset}`);

  it("swap two members inside nested anonymous aggregates, leaving the original alone", () => {
    expect(order(swapMembers(s, "c", "d"))).toEqual(["a@0", "b@4", "d@4", "c@6", "e@8"]);
    expect(order(s)).toEqual(["a@0", "b@4", "c@4", "d@6", "e@8"]);
  });

  it("move a member to a position, to the end, or one place on", () => {
    expect(order(moveMember(s, "e", 0))).toEqual(["e@0", "a@8", "b@12", "c@12", "d@14"]);
    expect(order(moveMember(s, "a", "end"))).toEqual(["b@0", "c@0", "d@2", "e@8", "a@16"]);
    expect(order(moveMember(s, "a", "next"))).toEqual(["b@0", "c@0", "d@2", "a@4", "e@8"]);
  });

  it("say which member is missing", () => {
    expect(() => swapMembers(s, "a", "z")).toThrow("no struct or union here has both a and z");
    expect(() => moveMember(s, "z", "end")).toThrow("no struct or union here has z");
    expect(() => moveMember(s, "a", 9)).toThrow("cannot move a to position 9 of 2");
  });
});
