import type { FolioValue } from "@memdesc/folio";
import type { IoptdescValue } from "@memdesc/ioptdesc";
import type { NetmemValue } from "@memdesc/netmem";
import type { PtdescValue } from "@memdesc/ptdesc";
import type { SlabValue } from "@memdesc/slab";
import type { ZpdescValue } from "@memdesc/zpdesc";
import { describe, expectTypeOf, it } from "vitest";
import { composeAll } from "./plugins.js";

describe("the composed registry's types come from the plugins", () => {
  const r = composeAll("memdesc-8");

  it("kinds is exactly the union of every plugin's kind and the built-ins", () => {
    expectTypeOf(r.kinds).toEqualTypeOf<
      readonly ("buddy" | "misc" | "folio" | "anon" | "slab" | "ptdesc" | "ioptdesc" | "zpdesc" | "netmem")[]
    >();
  });

  it("parse returns each kind's own value type", () => {
    expectTypeOf(r.parse("ioptdesc", {})).toEqualTypeOf<IoptdescValue>();
    expectTypeOf(r.parse("ioptdesc", {})).toEqualTypeOf<{
      size: number;
      order?: number | undefined;
      incoherent: boolean;
    }>();
    expectTypeOf(r.parse("ptdesc", {})).toEqualTypeOf<PtdescValue>();
    expectTypeOf(r.parse("zpdesc", {})).toEqualTypeOf<ZpdescValue>();
    expectTypeOf(r.parse("netmem", {})).toEqualTypeOf<NetmemValue>();
    expectTypeOf(r.parse("netmem", {}).ppMagic).toEqualTypeOf<bigint>();
    expectTypeOf(r.parse("folio", {})).toEqualTypeOf<FolioValue>();
    expectTypeOf(r.parse("anon", {})).toEqualTypeOf<FolioValue>();
    expectTypeOf(r.parse("slab", {})).toEqualTypeOf<SlabValue>();
    expectTypeOf(r.parse("buddy", {})).toEqualTypeOf<{ order: number }>();
  });

  it("rejects kinds no plugin defines", () => {
    // @ts-expect-error "hugetlb" is not a kind in this registry
    r.parse("hugetlb", {});
    // @ts-expect-error nor is "ksm", which no first-party plugin describes
    r.tagOf("ksm");
    // @ts-expect-error nor a misspelt one
    r.descriptorSize("iopt");
  });
});
