// biome-ignore-all assist/source/organizeImports: the #if blocks of the template must stay where they are
import {
  // #if today
  c,
  checkOverlay,
  // #endif
  createRegistry,
  designs,
  // #if today
  layoutOf,
  linux618,
  page,
  // #endif
} from "@memdesc/core";
import { describe, expect, it } from "vitest";
import {
  // #if today
  TMPL_DESC_MATCH,
  // #endif
  tmplDesc,
  // #if pointer
  tmplDescMemdesc,
  // #endif
  // #if today
  tmplDescMembers,
  tmplDescToday,
  // #endif
  tmplDescValueSchema,
} from "./index.js";

describe("the tmpl-desc plugin", () => {
  // #if today
  it("overlays struct page: at most 64 bytes, and every TMPL_DESC_MATCH rule passes", () => {
    const options = { abi: "lp64", config: linux618 } as const;
    const today = layoutOf(tmplDescToday, options);
    expect(today.size).toBeLessThanOrEqual(64);
    const results = checkOverlay(TMPL_DESC_MATCH, layoutOf(page, options), today, linux618);
    expect(results.filter((r) => r.status !== "pass").map((r) => r.label)).toEqual([]);
    expect(results.length).toBeGreaterThan(1);
  });

  it("fails its rules when a member moves", () => {
    const moved = layoutOf(c.struct("tmpl_desc", [...tmplDescMembers].reverse()), {
      abi: "lp64",
      config: linux618,
    });
    const pageLayout = layoutOf(page, { abi: "lp64", config: linux618 });
    expect(checkOverlay(TMPL_DESC_MATCH, pageLayout, moved, linux618).some((r) => r.status === "fail")).toBe(
      true,
    );
  });

  // #endif
  // #if pointer
  it("is a 56-byte separately allocated descriptor in the memdesc era, with the pfn of its memory", () => {
    expect(layoutOf(tmplDescMemdesc, { abi: "lp64", config: linux618 }).size).toBe(56);
    const registry = createRegistry({ design: "memdesc-8", plugins: [tmplDesc()] });
    expect(registry.descriptorSize("tmpl-desc")).toEqual({ variant: "default", size: 56, rounded: 64 });
    expect(registry.wayBackOf("tmpl-desc")).toEqual({ field: "pfn" });
    expect(registry.provenanceOf("tmpl-desc").memdesc.default?.basis).toBe("proposal");
  });

  // #endif
  // #if inline
  it("packs its fields into the memdesc word", () => {
    const registry = createRegistry({ design: "memdesc-8", plugins: [tmplDesc()] });
    expect(registry.descriptorSize("tmpl-desc")).toBeUndefined();
    const word = registry.codec.encode({ kind: "tmpl-desc", fields: { order: 3, owner: 42 } });
    expect(registry.codec.decode(word)).toMatchObject({
      kind: "tmpl-desc",
      storage: "inline",
      fields: { order: 3n, owner: 42n },
    });
    expect(registry.payloadOf("tmpl-desc").map((f) => f.provenance?.basis)).toEqual(["proposal", "proposal"]);
  });

  // #endif
  it("composes into a registry under every design, with a type tag of its own", () => {
    for (const design of Object.keys(designs)) {
      const registry = createRegistry({ design, plugins: [tmplDesc()] });
      expect(registry.kinds).toContain("tmpl-desc");
      const tag = registry.tagOf("tmpl-desc");
      if (registry.design.typeBits === 0) expect(tag).toBeUndefined();
      else expect(tag).not.toBe(registry.tagOf("buddy"));
    }
  });

  it("honours a preferred tag, within the design's type bits", () => {
    expect(createRegistry({ design: "memdesc-8", plugins: [tmplDesc({ tag: 15 })] }).tagOf("tmpl-desc")).toBe(
      15,
    );
    expect(() => createRegistry({ design: "memdesc-8", plugins: [tmplDesc({ tag: 16 })] })).toThrow(
      /tags 0\.\.15/,
    );
  });

  it("is one plugin per kind in a registry", () => {
    expect(() => createRegistry({ plugins: [tmplDesc(), tmplDesc()] })).toThrow(
      /both define kind "tmpl-desc"/,
    );
  });

  it("validates descriptor values with its schema", () => {
    const registry = createRegistry({ plugins: [tmplDesc()] });
    expect(registry.parse("tmpl-desc", { order: 9, owner: 7 })).toEqual({ order: 9, owner: 7, refcount: 1 });
    expect(() => registry.parse("tmpl-desc", { order: 11, owner: 7 })).toThrow(/MAX_PAGE_ORDER/);
    expect(tmplDescValueSchema.safeParse({ order: 0, owner: 1, refcount: 0 }).success).toBe(false);
    expect(tmplDescValueSchema.safeParse({ order: 0, owner: 1, colour: "red" }).success).toBe(false);
  });
});
