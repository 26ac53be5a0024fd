import { bill, createRegistry, designs, linux618 } from "@memdesc/core";
import { describe, expect, it } from "vitest";
import { zpdesc } from "./plugin.js";

const GiB = 262_144;

describe("the zpdesc plugin", () => {
  it("describes zsmalloc pages and passes its rules in a registry", () => {
    const r = createRegistry({ plugins: [zpdesc()] });
    expect(r.ownerOf("zsmalloc")).toBe("zpdesc");
    expect(r.checkOverlays()[0]!.results.every((x) => x.status === "pass")).toBe(true);
    expect(r.engine.layout(r.plugin("zpdesc").layouts!.zspage!).size).toBe(56);
  });

  it("takes a free tag: no published type table names it", () => {
    expect(
      Object.keys(designs).map((d) => createRegistry({ design: d, plugins: [zpdesc()] }).tagOf("zpdesc")),
    ).toEqual([undefined, 5, 11, 11, 8]);
  });

  it("is 32 bytes in every design with separate descriptors (20 → 32 on i386)", () => {
    for (const design of Object.keys(designs))
      expect(createRegistry({ design, plugins: [zpdesc()] }).descriptorSize("zpdesc")).toEqual({
        variant: "default",
        size: 32,
        rounded: 32,
      });
    expect(
      createRegistry({ abi: "ilp32", config: linux618, plugins: [zpdesc()] }).descriptorSize("zpdesc"),
    ).toEqual({ variant: "default", size: 20, rounded: 32 });
  });

  it("prices a GiB of zsmalloc pages (one zpdesc per page): 16, 16, 12 and 10 MiB", () => {
    const b = bill(createRegistry({ plugins: [zpdesc()] }), {
      uses: { zsmalloc: { pages: GiB, descriptors: GiB, orders: { 0: GiB } } },
    });
    expect(Object.fromEntries(b.designs.map((d) => [d.design, d.total / 2 ** 20]))).toEqual({
      today: 16,
      "path-32": 16,
      "buddy-16": 12,
      "memdesc-8": 10,
    });
  });

  it("validates CONFIG_ZSMALLOC_CHAIN_SIZE where the plugin is made", () => {
    expect(() => zpdesc({ chainSize: 2 })).toThrow(
      "CONFIG_ZSMALLOC_CHAIN_SIZE must be a whole number from 4 to 16, got 2",
    );
    expect(
      createRegistry({ plugins: [zpdesc({ chainSize: 16 })] }).parse("zpdesc", {
        firstObjOffset: 0,
        zspagePages: 16,
      }),
    ).toEqual({ firstObjOffset: 0, zspagePages: 16 });
  });
});
