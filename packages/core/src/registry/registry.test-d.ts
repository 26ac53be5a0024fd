import { describe, expectTypeOf, it } from "vitest";
import { refFolio, refPtdesc, refSlab } from "../testing/reference.js";
import { createRegistry } from "./registry.js";

describe("registry types come from the plugin tuple", () => {
  const r = createRegistry({ plugins: [refFolio, refSlab, refPtdesc] });

  it("kinds is the union of the plugins' literal kinds and the built-ins", () => {
    expectTypeOf(r.kinds).toEqualTypeOf<readonly ("folio" | "slab" | "ptdesc" | "buddy" | "misc")[]>();
  });

  it("parse returns that plugin's value type", () => {
    expectTypeOf(r.parse("slab", {})).toEqualTypeOf<{ inuse: number; objects: number }>();
    expectTypeOf(r.parse("ptdesc", {})).toEqualTypeOf<{ level: "pte" | "pmd" | "pud" | "p4d" | "pgd" }>();
    expectTypeOf(r.parse("buddy", {})).toEqualTypeOf<{ order: number }>();
  });

  it("rejects unknown kinds", () => {
    // @ts-expect-error "zpdesc" is not in this registry
    r.parse("zpdesc", {});
    // @ts-expect-error nor here
    r.tagOf("netmem");
  });
});
