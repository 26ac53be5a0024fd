import { createRegistry, issuesOf, keyPath } from "@memdesc/core";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { netmem } from "./plugin.js";
import { ppMagic } from "./pp.js";
import { netmemValueSchema } from "./schema.js";

const issues = (v: unknown) => {
  const r = netmemValueSchema.safeParse(v);
  return r.success
    ? ""
    : issuesOf(r.error.issues)
        .map((i) => (i.path.length > 0 ? `${keyPath(i.path)}: ${i.message}` : i.message))
        .join("\n");
};
const good = { ppMagic: ppMagic(12), dmaAddr: 0x1_2345_6000n, ppRefCount: 1 };

describe("netmem value schema", () => {
  it("accepts a page_pool page and a net_iov, reading 64-bit values as bigints", () => {
    expect(netmemValueSchema.parse(good)).toEqual(good);
    expect(netmemValueSchema.parse({ ...good, dmaAddr: 0x4000, type: "NET_IOV_DMABUF" })).toEqual({
      ...good,
      dmaAddr: 0x4000n,
      type: "NET_IOV_DMABUF",
    });
    expect(issues({ ...good, ppRefCount: 0, type: "NET_IOV_IOURING" })).toBe("");
  });

  it("requires PP_SIGNATURE in pp_magic", () => {
    expect(issues({ ...good, ppMagic: 0x40 })).toBe(
      "ppMagic: pp_magic 0x40 does not carry PP_SIGNATURE (0xdead000000000040) under PP_MAGIC_MASK: not a page_pool netmem",
    );
    expect(issues({ ...good, ppMagic: -1 })).toBe("ppMagic: ppMagic must fit an unsigned long (0..2^64-1)");
    expect(issues({ ...good, ppMagic: "0xdead" })).toBe(
      "ppMagic: ppMagic must be a bigint or a whole number",
    );
  });

  it("requires a page-aligned dma_addr", () => {
    expect(issues({ ...good, dmaAddr: 0x1234n })).toBe(
      "dmaAddr: dma_addr 0x1234 is not PAGE_SIZE-aligned: page_pool maps whole pages (and a net_iov is one page of its area)",
    );
    expect(issues({ ...good, dmaAddr: 1n << 64n })).toBe(
      "dmaAddr: dmaAddr must fit an unsigned long (0..2^64-1)",
    );
  });

  it("requires a non-negative pp_ref_count and a known net_iov type", () => {
    expect(issues({ ...good, ppRefCount: -1 })).toBe("ppRefCount: pp_ref_count cannot be negative");
    expect(issues({ ...good, ppRefCount: 0.5 })).toBe("ppRefCount: pp_ref_count is a whole count");
    expect(issues({ ...good, type: "NET_IOV_MAX" })).toBe(
      "type: type is a net_iov_type: NET_IOV_DMABUF or NET_IOV_IOURING",
    );
  });

  it("accepts exactly the page-aligned DMA addresses (property)", () => {
    fc.assert(
      fc.property(fc.bigInt({ min: 0n, max: (1n << 64n) - 1n }), (a) => {
        return netmemValueSchema.safeParse({ ...good, dmaAddr: a }).success === (a % 4096n === 0n);
      }),
    );
  });

  it("reports through the registry with the kind and plugin named", () => {
    const r = createRegistry({ plugins: [netmem()] });
    expect(r.parse("netmem", good).ppMagic).toBe(ppMagic(12));
    expect(() => r.parse("netmem", { ...good, ppRefCount: -2 })).toThrow(
      'netmem value (plugin "@memdesc/netmem"): ppRefCount: pp_ref_count cannot be negative',
    );
  });
});
