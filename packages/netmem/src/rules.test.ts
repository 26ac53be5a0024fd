import { c, checkOverlay, layoutOf, linux618, linux618Measured, type MemberSpec, page } from "@memdesc/core";
import { describe, expect, it } from "vitest";
import { netIov, netIovType, netmemDesc, netmemDescMembers } from "./layout.js";
import { netIovAssertOffset, netmemDescAssertOffset } from "./rules.js";

const lay = (t = netmemDesc, abi: "lp64" | "ilp32" = "lp64") => layoutOf(t, { abi, config: linux618 });
const checkDesc = (desc = netmemDesc, abi: "lp64" | "ilp32" = "lp64") =>
  checkOverlay(netmemDescAssertOffset, layoutOf(page, { abi, config: linux618 }), lay(desc, abi), linux618);
const checkIov = (iov = netIov, abi: "lp64" | "ilp32" = "lp64") =>
  checkOverlay(netIovAssertOffset, lay(netmemDesc, abi), lay(iov, abi), linux618);

describe("NETMEM_DESC_ASSERT_OFFSET(page, netmem_desc)", () => {
  it("passes, with netmem_desc ending before page._refcount (48 <= 52)", () => {
    expect(checkDesc().map((r) => [r.label, r.status, r.actual])).toEqual([
      ["NETMEM_DESC_ASSERT_OFFSET(flags, _flags)", "pass", 0],
      ["NETMEM_DESC_ASSERT_OFFSET(pp_magic, pp_magic)", "pass", 8],
      ["NETMEM_DESC_ASSERT_OFFSET(pp, pp)", "pass", 16],
      ["NETMEM_DESC_ASSERT_OFFSET(_pp_mapping_pad, _pp_mapping_pad)", "pass", 24],
      ["NETMEM_DESC_ASSERT_OFFSET(dma_addr, dma_addr)", "pass", 32],
      ["NETMEM_DESC_ASSERT_OFFSET(pp_ref_count, pp_ref_count)", "pass", 40],
      ["sizeof(struct netmem_desc) <= offsetof(struct page, _refcount)", "pass", 48],
    ]);
    expect(checkDesc().at(-1)!.expected).toBe(52);
  });

  it("passes on the measured kernel and on i386 (24 <= 28)", () => {
    const measured = checkOverlay(
      netmemDescAssertOffset,
      layoutOf(page, { config: linux618Measured }),
      layoutOf(netmemDesc, { config: linux618Measured }),
      linux618Measured,
    );
    expect(measured.every((r) => r.status === "pass")).toBe(true);
    const i386 = checkDesc(netmemDesc, "ilp32");
    expect(i386.every((r) => r.status === "pass")).toBe(true);
    expect(i386.at(-1)).toMatchObject({ actual: 24, expected: 28 });
  });

  it("breaks the two rules of a swapped pair, naming both offsets", () => {
    const members: MemberSpec[] = [...netmemDescMembers];
    [members[3], members[4]] = [members[4]!, members[3]!];
    const failed = checkDesc(c.struct("netmem_desc", members)).filter((r) => r.status !== "pass");
    expect(failed.map((r) => r.message)).toEqual([
      "NETMEM_DESC_ASSERT_OFFSET(_pp_mapping_pad, _pp_mapping_pad): struct netmem_desc._pp_mapping_pad is at 32, but struct page._pp_mapping_pad puts it at 24",
      "NETMEM_DESC_ASSERT_OFFSET(dma_addr, dma_addr): struct netmem_desc.dma_addr is at 24, but struct page.dma_addr puts it at 32",
    ]);
  });

  it("breaks exactly the size bound when netmem_desc reaches page._refcount", () => {
    const grown = c.struct("netmem_desc", [...netmemDescMembers, ["extra", c.uint]]);
    const failed = checkDesc(grown).filter((r) => r.status !== "pass");
    expect(failed.map((r) => r.message)).toEqual([
      "sizeof(struct netmem_desc) <= offsetof(struct page, _refcount): sizeof(struct netmem_desc) is 56, larger than offsetof(struct page, _refcount) = 52",
    ]);
  });
});

describe("NET_IOV_ASSERT_OFFSET(netmem_desc, net_iov)", () => {
  it("passes: net_iov's inline fields sit where netmem_desc's do", () => {
    const results = checkIov();
    expect(results.map((r) => r.label)).toEqual([
      "NET_IOV_ASSERT_OFFSET(_flags, _flags)",
      "NET_IOV_ASSERT_OFFSET(pp_magic, pp_magic)",
      "NET_IOV_ASSERT_OFFSET(pp, pp)",
      "NET_IOV_ASSERT_OFFSET(_pp_mapping_pad, _pp_mapping_pad)",
      "NET_IOV_ASSERT_OFFSET(dma_addr, dma_addr)",
      "NET_IOV_ASSERT_OFFSET(pp_ref_count, pp_ref_count)",
    ]);
    expect(results.every((r) => r.status === "pass")).toBe(true);
    expect(checkIov(netIov, "ilp32").every((r) => r.status === "pass")).toBe(true);
  });

  it("breaks exactly the moved field's rule when net_iov's inline copy drifts", () => {
    // net_iov with the inline copy's pp_ref_count dropped before dma_addr: the kernel's assert would fire.
    const inline: MemberSpec[] = [...netmemDescMembers];
    const [ref] = inline.splice(5, 1);
    inline.splice(4, 0, ref!);
    const drifted = c.struct("net_iov", [
      c.union([["desc", netmemDesc], c.struct(inline)]),
      ["owner", "struct net_iov_area *"],
      ["type", netIovType],
    ]);
    const failed = checkIov(drifted).filter((r) => r.status !== "pass");
    expect(failed.map((r) => r.message)).toEqual([
      "NET_IOV_ASSERT_OFFSET(dma_addr, dma_addr): struct net_iov.dma_addr is at 40, but struct netmem_desc.dma_addr puts it at 32",
      "NET_IOV_ASSERT_OFFSET(pp_ref_count, pp_ref_count): struct net_iov.pp_ref_count is at 32, but struct netmem_desc.pp_ref_count puts it at 40",
    ]);
  });
});
