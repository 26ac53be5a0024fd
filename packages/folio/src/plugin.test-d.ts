import { createRegistry } from "@memdesc/core";
import { expectTypeOf, test } from "vitest";
import { anonFolio, folio } from "./plugin.js";
import type { FolioValue } from "./schema.js";

test("a registry infers the folio kinds and their value type from the plugins", () => {
  const r = createRegistry({ plugins: [folio(), anonFolio()] });
  expectTypeOf(r.kinds).toEqualTypeOf<readonly ("buddy" | "misc" | "folio" | "anon")[]>();
  expectTypeOf(r.parse("folio", {})).toEqualTypeOf<FolioValue>();
  expectTypeOf(r.parse("anon", {}).nrPages).toEqualTypeOf<number>();
  expectTypeOf(r.parse("folio", {}).entireMapcount).toEqualTypeOf<number | undefined>();
  // @ts-expect-error: no slab plugin in this registry
  r.parse("slab", {});
});
