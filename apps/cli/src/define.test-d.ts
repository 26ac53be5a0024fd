import { defineDescriptor } from "@memdesc/core";
import { expectTypeOf, test } from "vitest";
import { z } from "zod";
import { defineConfig } from "./define.js";

test("defineConfig types a config as it is written, and refuses what no config may hold", () => {
  const plugin = defineDescriptor({
    name: "p",
    kind: "p",
    title: "p",
    storage: "inline",
    schema: z.object({}),
  });
  const config = defineConfig({
    design: "memdesc-8",
    abi: "lp64",
    plugins: ["@memdesc/folio", { package: "@memdesc/folio", options: { extraFields: [] } }, plugin],
  });
  expectTypeOf(config.design).toEqualTypeOf<"memdesc-8">();
  // @ts-expect-error: not a built-in design name
  defineConfig({ design: "memdesc-9" });
  // @ts-expect-error: an unknown key
  defineConfig({ plugin: [] });
  // @ts-expect-error: no such ABI
  defineConfig({ abi: "lp32" });
});
