import { createRegistry } from "@memdesc/core";
import { expectTypeOf, test } from "vitest";
import { type TmplDescValue, tmplDesc } from "./index.js";

test("a registry infers the tmpl-desc kind and its value type from the plugin", () => {
  const registry = createRegistry({ plugins: [tmplDesc()] });
  expectTypeOf(registry.kinds).toEqualTypeOf<readonly ("buddy" | "misc" | "tmpl-desc")[]>();
  expectTypeOf(registry.parse("tmpl-desc", {})).toEqualTypeOf<TmplDescValue>();
  expectTypeOf(registry.parse("tmpl-desc", {}).order).toEqualTypeOf<number>();
  // @ts-expect-error: no folio plugin in this registry
  registry.parse("folio", {});
});
