import { createRegistry } from "@memdesc/core";
import { expectTypeOf, test } from "vitest";
import type { SlubParams } from "./geometry.js";
import { slab } from "./plugin.js";
import type { SlabValue } from "./schema.js";

test("a registry infers the slab kind and its value type", () => {
  const r = createRegistry({ plugins: [slab()] });
  expectTypeOf(r.kinds).toEqualTypeOf<readonly ("buddy" | "misc" | "slab")[]>();
  expectTypeOf(r.parse("slab", {})).toEqualTypeOf<SlabValue>();
  expectTypeOf(r.parse("slab", {}).frozen).toEqualTypeOf<boolean>();
  expectTypeOf<SlubParams["nrCpuIds"]>().toEqualTypeOf<number>();
});
