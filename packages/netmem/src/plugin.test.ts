import { bill, c, createRegistry, defineDescriptor, designs, linux618, overlay } from "@memdesc/core";
import { describe, expect, it } from "vitest";
import { netIovType, netmemDesc, netmemDescMembers } from "./layout.js";
import { netmem } from "./plugin.js";
import { netIovAssertOffset } from "./rules.js";

const GiB = 262_144;

describe("the netmem plugin", () => {
  it("checks both assertion sets in a registry: netmem_desc against page, net_iov against netmem_desc", () => {
    const r = createRegistry({ plugins: [netmem()] });
    expect(r.ownerOf("netmem")).toBe("netmem");
    const [report] = r.checkOverlays();
    expect(report!.results.map((x) => x.macro)).toEqual([
      ...Array(7).fill("NETMEM_DESC_ASSERT_OFFSET"),
      ...Array(6).fill("NET_IOV_ASSERT_OFFSET"),
    ]);
    expect(report!.results.every((x) => x.status === "pass")).toBe(true);
  });

  it("reports a drifted net_iov through the registry, naming net_iov", () => {
    const drifted = c.struct("net_iov", [
      c.union([["desc", netmemDesc], c.struct([["_flags", c.ulong], ...netmemDescMembers.slice(2)])]),
      ["owner", "struct net_iov_area *"],
      ["type", netIovType],
    ]);
    const p = defineDescriptor({ ...netmem(), layouts: { ...netmem().layouts, net_iov: drifted } });
    expect(() => createRegistry({ plugins: [p] })).toThrow(
      'plugin "@memdesc/netmem" (kind netmem): overlay rule NET_IOV_ASSERT_OFFSET(pp_magic, pp_magic): struct net_iov has no field pp_magic',
    );
    const moved = defineDescriptor({
      ...netmem(),
      layouts: {
        ...netmem().layouts,
        net_iov: c.struct("net_iov", [["owner", "struct net_iov_area *"], ...netmemDescMembers]),
      },
      overlay: [netIovAssertOffset, overlay.set("X", "page", [])],
    });
    const results = createRegistry({ plugins: [moved] }).checkOverlays()[0]!.results;
    expect(results.filter((x) => x.status === "fail").map((x) => x.message)[0]).toBe(
      "NET_IOV_ASSERT_OFFSET(_flags, _flags): struct net_iov._flags is at 8, but struct netmem_desc._flags puts it at 0",
    );
  });

  it("sits on Bump (6) in the current table, NetPool (8) in 2025 and 10 in the older page", () => {
    expect(
      Object.keys(designs).map((d) => createRegistry({ design: d, plugins: [netmem()] }).tagOf("netmem")),
    ).toEqual([undefined, 5, 6, 6, 8, 10]);
    const row = createRegistry({ plugins: [netmem()] })
      .typeTable()
      .find((r) => r.kind === "netmem")!;
    expect(row.meaning).toMatch(/^Bump/);
    expect(row.provenance).toMatchObject({ basis: "plan", note: expect.stringMatching(/msg428674/) });
  });

  it("is 40 bytes of fields and its page's pfn, 48 in every design's descriptor cache (24 → 32 on i386)", () => {
    for (const design of Object.keys(designs)) {
      const r = createRegistry({ design, plugins: [netmem()] });
      expect(r.descriptorSize("netmem")).toEqual({ variant: "default", size: 48, rounded: 48 });
      expect(r.wayBackOf("netmem")).toEqual({ field: "pfn" });
    }
    expect(
      createRegistry({ abi: "ilp32", config: linux618, plugins: [netmem()] }).descriptorSize("netmem"),
    ).toEqual({
      variant: "default",
      size: 24,
      rounded: 32,
    });
  });

  it("prices a GiB of order-0 page_pool pages: 16, 20, 16 and 14 MiB", () => {
    const b = bill(createRegistry({ plugins: [netmem()] }), {
      uses: { netmem: { pages: GiB, descriptors: GiB, orders: { 0: GiB } } },
    });
    expect(Object.fromEntries(b.designs.map((d) => [d.design, d.total / 2 ** 20]))).toEqual({
      today: 16,
      "path-32": 20,
      "buddy-16": 16,
      "memdesc-8": 15,
    });
  });
});
