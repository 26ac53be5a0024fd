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

  it("takes ZPDesc (12) in the current table; a free tag, as this project's proposal, where a table lacks it", () => {
    expect(Object.keys(designs)).toEqual([
      "today",
      "path-32",
      "buddy-16",
      "memdesc-8",
      "memdesc-8-2025",
      "memdesc-8-v1",
    ]);
    expect(
      Object.keys(designs).map((d) => createRegistry({ design: d, plugins: [zpdesc()] }).tagOf("zpdesc")),
    ).toEqual([undefined, 5, 12, 12, 11, 8]);
    const row = (d: string) =>
      createRegistry({ design: d, plugins: [zpdesc()] })
        .typeTable()
        .find((r) => r.kind === "zpdesc")!;
    expect(row("memdesc-8")).toMatchObject({
      meaning: "ZPDesc (pointer to struct zpdesc)",
      provenance: { basis: "plan" },
    });
    expect(row("memdesc-8-2025").provenance).toMatchObject({ basis: "proposal" });
  });

  it("is 32 bytes of fields and its page's pfn: 40, 48 in every design's 16-aligned cache (24 → 32 on i386)", () => {
    for (const design of Object.keys(designs)) {
      const r = createRegistry({ design, plugins: [zpdesc()] });
      expect(r.descriptorSize("zpdesc")).toEqual({ variant: "default", size: 40, rounded: 48 });
      expect(r.wayBackOf("zpdesc")).toEqual({ field: "pfn" });
    }
    expect(
      createRegistry({ abi: "ilp32", config: linux618, plugins: [zpdesc()] }).descriptorSize("zpdesc"),
    ).toEqual({ variant: "default", size: 24, rounded: 32 });
  });

  it("prices a GiB of zsmalloc pages (one zpdesc per page): 16, 20, 16 and 14 MiB (+1 MiB of arrays)", () => {
    const b = bill(createRegistry({ plugins: [zpdesc()] }), {
      uses: { zsmalloc: { pages: GiB, descriptors: GiB, orders: { 0: GiB } } },
    });
    expect(Object.fromEntries(b.designs.map((d) => [d.design, d.total / 2 ** 20]))).toEqual({
      today: 16,
      "path-32": 20,
      "buddy-16": 16,
      "memdesc-8": 15,
    });
  });

  it("validates CONFIG_ZSMALLOC_CHAIN_SIZE where the plugin is made", () => {
    expect(() => zpdesc({ chainSize: 2 })).toThrow(
      expect.objectContaining({
        code: "BAD_PLUGIN_OPTIONS",
        subject: "zpdesc() options",
        issues: [
          expect.objectContaining({ path: ["chainSize"], message: "CONFIG_ZSMALLOC_CHAIN_SIZE is 4 to 16" }),
        ],
      }),
    );
    expect(
      createRegistry({ plugins: [zpdesc({ chainSize: 16 })] }).parse("zpdesc", {
        firstObjOffset: 0,
        zspagePages: 16,
      }),
    ).toEqual({ firstObjOffset: 0, zspagePages: 16 });
  });
});
