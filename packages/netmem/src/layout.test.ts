import {
  diffPahole,
  findField,
  formatPahole,
  formatPaholeEnum,
  layoutOf,
  linux618,
  linux618Measured,
  parsePahole,
} from "@memdesc/core";
import { paholeReference } from "@memdesc/testkit";
import { describe, expect, it } from "vitest";
import { netIov, netIovArea, netIovType, netmemDesc, netmemMemdesc } from "./layout.js";

const fields = ["_flags", "pp_magic", "pp", "_pp_mapping_pad", "dma_addr", "pp_ref_count"];

describe("struct netmem_desc (Linux 6.18)", () => {
  // Field by field and byte for byte against pahole -C netmem_desc: the conformance checks (conformance.test.ts).
  it("is pahole's six 8-byte fields, 48 bytes", () => {
    expect(parsePahole(paholeReference("pahole_netmem_desc.txt"))[0]!.fields.map((f) => f.path)).toEqual(
      fields,
    );
    expect(layoutOf(netmemDesc, { abi: "lp64", config: linux618Measured }).size).toBe(48);
  });

  it("is 24 bytes on i386: six 4-byte fields", () => {
    const layout = layoutOf(netmemDesc, { abi: "ilp32" });
    expect(fields.map((f) => findField(layout, f)?.offset)).toEqual([0, 4, 8, 12, 16, 20]);
    expect(layout.size).toBe(24);
  });
});

describe("struct net_iov", () => {
  it("matches pahole: the desc/inline union, owner, and an 8-byte packed enum: 64 bytes", () => {
    const layout = layoutOf(netIov, { abi: "lp64", config: linux618Measured });
    const ref = paholeReference("pahole_net_iov.txt");
    expect(diffPahole(layout, ref)).toEqual([]);
    expect(parsePahole(ref)[0]!.fields.map((f) => f.path)).toEqual(["desc", ...fields, "owner", "type"]);
    for (const f of fields)
      expect(findField(layout, `desc.${f}`)?.offset, f).toBe(findField(layout, f)?.offset);
    expect(findField(layout, "type")).toMatchObject({ offset: 56, size: 8, typeName: "enum net_iov_type" });
  });

  it("is 32 bytes on i386, where NET_IOV_MAX = ULONG_MAX makes the enum 4 bytes", () => {
    const layout = layoutOf(netIov, { abi: "ilp32" });
    expect([findField(layout, "owner")?.offset, findField(layout, "type")?.offset]).toEqual([24, 28]);
    expect(findField(layout, "type")?.size).toBe(4);
    expect(layout.size).toBe(32);
  });
});

describe("byte for byte", () => {
  it("prints net_iov and net_iov_area as pahole did", () => {
    for (const [t, f] of [
      [netIov, "pahole_net_iov.txt"],
      [netIovArea, "pahole_net_iov_area.txt"],
    ] as const)
      expect(formatPahole(layoutOf(t, { config: linux618Measured })), f).toBe(paholeReference(f));
  });
});

describe("enum net_iov_type", () => {
  it("has pahole's values, NET_IOV_MAX = ULONG_MAX", () => {
    const text = paholeReference("pahole_enum_net_iov_type.txt");
    const values = [...text.matchAll(/^\t(\w+)\s*= (\d+),$/gm)].map((m) => [m[1], BigInt(m[2]!)]);
    expect(values).toEqual(netIovType.values!.map((v) => [v.name, v.value]));
    expect(text).toContain("__attribute__((__packed__))");
  });

  it("prints byte for byte as pahole did", () => {
    expect(formatPaholeEnum(netIovType)).toBe(paholeReference("pahole_enum_net_iov_type.txt"));
  });
});

describe("struct net_iov_area", () => {
  it("matches pahole: 24 bytes (12 on i386)", () => {
    expect(
      diffPahole(
        layoutOf(netIovArea, { config: linux618Measured }),
        paholeReference("pahole_net_iov_area.txt"),
      ),
    ).toEqual([]);
    expect(layoutOf(netIovArea, { abi: "ilp32" }).size).toBe(12);
  });
});

describe("netmem_desc in the memdesc era", () => {
  it("drops _pp_mapping_pad and adds its page's pfn: 48 bytes (24 on i386)", () => {
    const layout = layoutOf(netmemMemdesc, { config: linux618 });
    expect(layout.fields.filter((f) => f.depth === 0).map((f) => [f.path, f.offset])).toEqual([
      ["_flags", 0],
      ["pp_magic", 8],
      ["pp", 16],
      ["dma_addr", 24],
      ["pp_ref_count", 32],
      ["pfn", 40],
    ]);
    expect(layout.size).toBe(48);
    expect(layoutOf(netmemMemdesc, { abi: "ilp32" }).size).toBe(24);
  });
});
