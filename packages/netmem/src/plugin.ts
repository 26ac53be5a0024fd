import { defineDescriptor } from "@memdesc/core";
import { netIov, netIovArea, netmemDesc, netmemMemdesc, netmemProvenance } from "./layout.js";
import { netIovAssertOffset, netmemDescAssertOffset } from "./rules.js";
import { netmemValueSchema } from "./schema.js";

/**
 * The `netmem` descriptor plugin: page_pool network buffers. Today its descriptor is `struct netmem_desc`
 * inside struct page; `struct net_iov` (memory with no struct page) and `struct net_iov_area` come along as
 * layouts, with net_iov's own assertions against netmem_desc. Its tag is the design's Bump row (6 in the current
 * Memdescs table: page_pool's allocator is being renamed bump) or NetPool row (8 in 2025, 10 before).
 *
 * ```ts
 * createRegistry({ plugins: [netmem()] }).descriptorSize("netmem"); // { size: 48, rounded: 48, ... }
 * ```
 */
export function netmem() {
  return defineDescriptor({
    name: "@memdesc/netmem",
    kind: "netmem",
    title: "struct netmem_desc",
    description:
      "page_pool network buffers (netmem_desc over struct page) and net_iov, the netmem of device memory and io_uring zero-copy receive areas.",
    source: "include/net/netmem.h",
    provenance: netmemProvenance,
    storage: "pointer",
    memoryUses: { netmem: "page_pool / netmem pages" },
    uses: ["netmem"],
    today: netmemDesc,
    memdesc: netmemMemdesc,
    overlay: [netmemDescAssertOffset, netIovAssertOffset],
    layouts: { netmem_desc: netmemDesc, net_iov: netIov, net_iov_area: netIovArea },
    schema: netmemValueSchema,
  });
}

export type NetmemPlugin = ReturnType<typeof netmem>;
