import { describe, expect, it } from "vitest";
import { c, type MemberSpec } from "../ctype/dsl.js";
import { linux618 } from "../kernel/config.js";
import { page } from "../kernel/page.js";
import { layoutOf } from "../layout/engine.js";
import { checkOverlay } from "./check.js";
import { overlay } from "./rules.js";

const pageLayout = layoutOf(page, { config: linux618 });
const desc = (fields: readonly MemberSpec[]) => layoutOf(c.struct("mydesc", fields), { config: linux618 });
const good = desc([
  ["__page_flags", c.ulong],
  ["my_list", c.listHead],
  ["__page_mapping", c.ulong],
  ["__index", c.ulong],
  ["_private", c.ptr()],
  ["__page_type", c.uint],
  ["__page_refcount", c.atomic],
  ["memcg_data", c.ulong],
]);
const rules = overlay.set("MYDESC_MATCH", "page", [
  overlay.match("flags", "__page_flags"),
  overlay.match("lru", "my_list"),
  overlay.match("private", "_private"),
  overlay.match("_refcount", "__page_refcount"),
  overlay.match("memcg_data", "memcg_data", { ifdef: "CONFIG_MEMCG" }),
  overlay.sizeAtMost(),
  overlay.aligned("my_list", 8),
]);

describe("checkOverlay", () => {
  it("passes every rule of a descriptor that overlays struct page", () => {
    const results = checkOverlay(rules, pageLayout, good, linux618);
    expect(results.map((r) => r.status)).toEqual(["pass", "pass", "pass", "pass", "pass", "pass", "pass"]);
    expect(results[1]).toMatchObject({ label: "MYDESC_MATCH(lru, my_list)", actual: 8, expected: 8 });
  });

  it("breaks exactly the rule of a moved field, with both offsets in the message", () => {
    const moved = desc([
      ["__page_flags", c.ulong],
      ["my_list", c.listHead],
      ["__page_mapping", c.ulong],
      ["_private", c.ptr()],
      ["__index", c.ulong],
      ["__page_type", c.uint],
      ["__page_refcount", c.atomic],
      ["memcg_data", c.ulong],
    ]);
    const failed = checkOverlay(rules, pageLayout, moved, linux618).filter((r) => r.status !== "pass");
    expect(failed.map((r) => r.message)).toEqual([
      "MYDESC_MATCH(private, _private): struct mydesc._private is at 32, but struct page.private puts it at 40",
    ]);
  });

  it("checks FOLIO_MATCH-style rules at +k × sizeof(struct page)", () => {
    const two = layoutOf(
      c.struct("two", [
        ["first", page],
        ["_flags_1", c.ulong],
        ["_head_1", c.ulong],
      ]),
      { config: linux618 },
    );
    const set = overlay.set("FOLIO_MATCH", "page", [
      overlay.match("flags", "_flags_1", { index: 1 }),
      overlay.match("compound_head", "_head_1", { index: 1 }),
    ]);
    const [flags, head] = checkOverlay(set, pageLayout, two, linux618);
    expect(flags).toMatchObject({ status: "pass", actual: 64, expected: 64 });
    expect(head!.message).toBe(
      "FOLIO_MATCH(compound_head, _head_1) at +1×sizeof(struct page): struct two._head_1 at 72",
    );
    const shifted = layoutOf(
      c.struct("two", [
        ["first", page],
        ["_head_1", c.ulong],
        ["_flags_1", c.ulong],
      ]),
      {
        config: linux618,
      },
    );
    expect(checkOverlay(set, pageLayout, shifted, linux618).map((r) => r.message)).toEqual([
      "FOLIO_MATCH(flags, _flags_1) at +1×sizeof(struct page): struct two._flags_1 is at 72, but struct page.flags puts it at 0 + 1×64 = 64",
      "FOLIO_MATCH(compound_head, _head_1) at +1×sizeof(struct page): struct two._head_1 is at 64, but struct page.compound_head puts it at 8 + 1×64 = 72",
    ]);
  });

  it("reports a size bound and a missing field without throwing, and skips rules whose #ifdef is off", () => {
    const big = desc([["x", c.array(c.ulong, 9)]]);
    const set = overlay.set("BIG", "page", [
      overlay.sizeAtMost(),
      overlay.sizeAtMost({ offsetOf: "_refcount" }),
      overlay.match("nope", "x"),
      overlay.match("flags", "x", { ifdef: "CONFIG_NOT_SET" }),
    ]);
    expect(checkOverlay(set, pageLayout, big, linux618).map((r) => [r.status, r.message])).toEqual([
      [
        "fail",
        "sizeof(struct mydesc) <= sizeof(struct page): sizeof(struct mydesc) is 72, larger than sizeof(struct page) = 64",
      ],
      [
        "fail",
        "sizeof(struct mydesc) <= offsetof(struct page, _refcount): sizeof(struct mydesc) is 72, larger than offsetof(struct page, _refcount) = 52",
      ],
      ["missing", "BIG(nope, x): struct page has no field nope"],
      ["skipped", "BIG(flags, x): skipped, CONFIG_NOT_SET is off"],
    ]);
  });
});
