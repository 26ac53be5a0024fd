// biome-ignore-all assist/source/organizeImports: the #if blocks of the template must stay where they are
import { createRegistry } from "@memdesc/core";
import { conformance } from "@memdesc/core/testing";
// #if simulation
import { simulationConformance } from "@memdesc/memmap/testing";
// #endif
import { describe, expect, it } from "vitest";
import { tmplDesc } from "./index.js";

describe("the tmpl-desc plugin", () => {
  // memdesc's conformance checks: composition under every design, overlay rules that hold and break when members
  // move, the memdesc-era layout under every ABI (or the word), and the value schema. Give `pahole` the output
  // of `pahole -C tmpl_desc vmlinux` to check today's layout against the kernel's, field by field.
  for (const check of conformance(tmplDesc(), {
    values: {
      valid: [{ order: 9, owner: 7 }],
      invalid: [
        { value: { order: 11, owner: 7 }, path: ["order"], message: "MAX_PAGE_ORDER" },
        { value: { order: 0, owner: 1, refcount: 0 }, path: ["refcount"] },
      ],
    },
  }))
    it(check.name, check.run);
  // #if simulation
  // The simulator's invariants: descriptors round-trip with the memmap consistent; the action's example runs
  // and `reclaim` gives its memory back.
  for (const check of simulationConformance(tmplDesc())) it(check.name, check.run);
  // #endif

  // #if pointer
  it("is a 56-byte descriptor in the memdesc era, 64 in its cache, with the pfn of its memory", () => {
    const registry = createRegistry({ design: "memdesc-8", plugins: [tmplDesc()] });
    expect(registry.descriptorSize("tmpl-desc")).toEqual({ variant: "default", size: 56, rounded: 64 });
    expect(registry.wayBackOf("tmpl-desc")).toEqual({ field: "pfn" });
  });

  // #endif
  it("honours a preferred tag within the design's type bits, and refuses unknown options", () => {
    expect(createRegistry({ plugins: [tmplDesc({ tag: 15 })] }).tagOf("tmpl-desc")).toBe(15);
    expect(() => createRegistry({ plugins: [tmplDesc({ tag: 16 })] })).toThrow(/tags 0\.\.15/);
    expect(() => tmplDesc({ tags: 1 } as never)).toThrow(/tmplDesc\(\) options: Unrecognized key: "tags"/);
  });
});
