import { readReference } from "@memdesc/testkit";
import { describe, expect, it } from "vitest";
import { layoutOf } from "../layout/engine.js";
import { parsePahole } from "../layout/pahole-parse.js";
import { linux618, linux618Measured } from "./config.js";
import { page } from "./page.js";

describe("struct page", () => {
  it("matches the measured Linux 6.18 x86-64 pahole layout field by field", () => {
    const [ref] = parsePahole(readReference("pahole/pahole_page.txt"));
    const layout = layoutOf(page, { abi: "lp64", config: linux618Measured });
    expect(layout.size).toBe(ref!.size);
    const byPath = new Map(layout.fields.map((f) => [f.path, f]));
    for (const f of ref!.fields) {
      const ours = byPath.get(f.path);
      expect(ours, f.path).toBeDefined();
      expect([f.path, ours!.offset, ours!.size]).toEqual([f.path, f.offset, f.size]);
    }
    expect(layout.members.length).toBe(ref!.members);
  });

  it("has no buddy_since upstream", () => {
    const layout = layoutOf(page, { config: linux618 });
    expect(layout.fields.some((f) => f.path === "buddy_since")).toBe(false);
    expect(layout.size).toBe(64);
  });

  it("is 40 bytes on i386: 36 of members rounded up to __aligned(2 * sizeof(long))", () => {
    const layout = layoutOf(page, { abi: "ilp32", config: linux618 });
    expect(layout.fields.find((f) => f.path === "_refcount")!.offset).toBe(28);
    expect(layout.fields.find((f) => f.path === "memcg_data")!.offset).toBe(32);
    expect(layout.align).toBe(8);
    expect(layout.size).toBe(40);
  });
});
