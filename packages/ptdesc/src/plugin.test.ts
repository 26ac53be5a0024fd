import { bill, createRegistry, designs, linux618 } from "@memdesc/core";
import { describe, expect, it } from "vitest";
import { ptdesc } from "./plugin.js";

const GiB = 262_144; // pages per GiB
const MiB = 1024 * 1024;

describe("the ptdesc plugin", () => {
  it("is a valid pointer descriptor for CPU page-table pages", () => {
    const p = ptdesc();
    expect(p).toMatchObject({
      name: "@memdesc/ptdesc",
      kind: "ptdesc",
      storage: "pointer",
      uses: ["pagetable"],
    });
    expect(Object.isFrozen(p)).toBe(true);
    const r = createRegistry({ plugins: [p] });
    expect(r.ownerOf("pagetable")).toBe("ptdesc");
    expect(r.checkOverlays()[0]!.results.every((x) => x.status === "pass")).toBe(true);
  });

  it("takes the ptdesc tag of each design's type table (8 now, 7 in 2025, 9 before), and none today", () => {
    const tags = Object.keys(designs).map((d) => [
      d,
      createRegistry({ design: d, plugins: [ptdesc()] }).tagOf("ptdesc"),
    ]);
    expect(tags).toEqual([
      ["today", undefined],
      ["path-32", 5],
      ["buddy-16", 8],
      ["memdesc-8", 8],
      ["memdesc-8-2025", 7],
      ["memdesc-8-v1", 9],
    ]);
  });

  it("is 48 bytes of fields and its page's pfn: 56, 64 in a 16-aligned cache; 72 with every field kept", () => {
    for (const design of Object.keys(designs)) {
      const r = createRegistry({ design, plugins: [ptdesc()] });
      expect(r.descriptorSize("ptdesc")).toEqual({ variant: "default", size: 56, rounded: 64 });
      expect(r.wayBackOf("ptdesc")).toEqual({ field: "pfn" });
      expect(
        createRegistry({ design, plugins: [ptdesc({ keepAllFields: true })] }).descriptorSize("ptdesc"),
      ).toEqual({ variant: "default", size: 72, rounded: 80 });
    }
    // On i386 the 24-byte descriptor and a 4-byte pfn: 28, rounded up to 32.
    expect(
      createRegistry({ abi: "ilp32", config: linux618, plugins: [ptdesc()] }).descriptorSize("ptdesc"),
    ).toEqual({ variant: "default", size: 28, rounded: 32 });
  });

  it("reproduces worked example 4, corrected for the pfn: a GiB of page tables costs 16, 24, 20 and 18 MiB (+1 MiB of arrays)", () => {
    const picture = { uses: { pagetable: { pages: GiB, descriptors: GiB, orders: { 0: GiB } } } };
    const totals = (p: ReturnType<typeof ptdesc>) =>
      Object.fromEntries(
        bill(createRegistry({ plugins: [p] }), picture).designs.map((d) => [d.design, d.total]),
      );
    expect(totals(ptdesc())).toEqual({
      today: 16 * MiB,
      "path-32": 24 * MiB,
      "buddy-16": 20 * MiB,
      "memdesc-8": 18 * MiB + 4 * GiB,
    });
    expect(totals(ptdesc({ keepAllFields: true }))).toEqual({
      today: 16 * MiB,
      "path-32": 28 * MiB,
      "buddy-16": 24 * MiB,
      "memdesc-8": 22 * MiB + 4 * GiB,
    });
  });

  it("rejects a bad option where the plugin is made", () => {
    expect(() => ptdesc({ maxFragments: -1 })).toThrow(
      expect.objectContaining({
        code: "BAD_PLUGIN_OPTIONS",
        subject: "ptdesc() options",
        issues: [expect.objectContaining({ path: ["maxFragments"], message: "maxFragments is at least 1" })],
      }),
    );
    expect(() => ptdesc({ maxFragment: 4 } as never)).toThrow(
      /ptdesc\(\) options: Unrecognized key: "maxFragment"/,
    );
  });
});
