import { MemdescError } from "@memdesc/core";
import type { WorkloadInput } from "@memdesc/memmap";

/*
 * Workloads that ship with memdesc, written for the first-party set: besides the simulator's built-in actions
 * they use @memdesc/ptdesc's `pagetables` and @memdesc/ioptdesc's `iommu`. Amounts are shares of RAM, so each
 * preset scales with `--memory`; the `memory` given is the machine it was written for. Shares are rough figures
 * for such machines, chosen so the mix of descriptor orders is what matters for the bill: how many pages each
 * descriptor covers.
 */

const commonSlab = [
  { name: "dentry", size: 192, share: 0.3 },
  { name: "inode_cache", size: 600, share: 0.15 },
  { name: "ext4_inode_cache", size: 1096, share: 0.15 },
  { name: "radix_tree_node", size: 576, share: 0.1 },
  { name: "buffer_head", size: 104, share: 0.1 },
  { name: "kmalloc-64", size: 64, share: 0.1 },
  { name: "kmalloc-256", size: 256, share: 0.1 },
];

const desktop: WorkloadInput = {
  name: "desktop",
  description:
    "A 16 GiB desktop: browser and IDE anonymous memory, a page cache of small files, GPU and NVMe IOMMU",
  models:
    "A workstation after a day's use: 35% anonymous memory (30% of it in THPs), 30% page cache mostly in small folios, 5% slab, per-process page tables for 300 processes, two IOMMU domains, then reclaim and refill that leave free memory fragmented.",
  seed: 7,
  memory: "16G",
  nrCpus: 8,
  phases: [
    {
      name: "boot",
      actions: [
        { action: "kernel", subtype: "reserved", share: 0.01 },
        { action: "kernel", subtype: "unknown", share: 0.01 },
      ],
    },
    {
      name: "session",
      actions: [
        { action: "anon", share: 0.35, thp: 0.3, orders: { "0": 0.8, "4": 0.2 } },
        { action: "pagecache", share: 0.3, orders: { "0": 0.4, "2": 0.2, "4": 0.2, "9": 0.2 } },
        { action: "slab", share: 0.05, caches: commonSlab },
        { action: "pagetables", processes: 300, share: 0.002, leaves: { "4k": 0.9, "2m": 0.1, "1g": 0 } },
        { action: "iommu", domains: 2, share: 0.01, tableSizes: { "4096": 1 } },
      ],
    },
    {
      name: "reclaim",
      actions: [
        { action: "fragment", share: 0.05, keep: 0.5 },
        { action: "reclaim", use: "file", share: 0.3 },
        { action: "reclaim", use: "slab", share: 0.2 },
        { action: "split", use: "anon", share: 0.2, order: 0 },
        { action: "rcu", synchronize: true },
        { action: "pagecache", share: 0.08, orders: { "0": 0.5, "2": 0.3, "4": 0.2 } },
      ],
    },
  ],
};

const database: WorkloadInput = {
  name: "database",
  description:
    "A database server: hugetlb buffer pool, page cache in large folios, anonymous THP, slab, page tables",
  models:
    "An OLTP database host (PostgreSQL or Oracle style) after warm-up: a 70% buffer pool in 2 MiB hugetlb pages, 12% page cache (WAL and data files) mostly in large folios, 6% anonymous memory almost all in THPs, 0.4% slab, page tables for 300 backends (the shared buffer pool's PMD tables are shared through hugetlb PMD sharing, so only private memory needs tables), and four VFIO/NVMe IOMMU domains. Then a reclaim pass and deferred THP splits.",
  seed: 42,
  memory: "256G",
  nodes: 2,
  nrCpus: 64,
  phases: [
    {
      name: "boot",
      actions: [
        { action: "kernel", subtype: "reserved", share: 0.003 },
        { action: "kernel", subtype: "unknown", order: 2, share: 0.004 },
      ],
    },
    { name: "buffer pool", actions: [{ action: "hugetlb", share: 0.7, order: 9 }] },
    {
      name: "warm-up",
      actions: [
        {
          action: "pagecache",
          share: 0.12,
          orders: { "0": 0.005, "2": 0.015, "4": 0.08, "6": 0.1, "9": 0.8 },
        },
        { action: "anon", share: 0.06, thp: 0.98 },
        {
          action: "slab",
          share: 0.004,
          caches: [
            { name: "dentry", size: 192, share: 0.3 },
            { name: "xfs_inode", size: 1024, share: 0.2 },
            { name: "radix_tree_node", size: 576, share: 0.2 },
            { name: "kmalloc-256", size: 256, share: 0.15 },
            { name: "kmalloc-64", size: 64, share: 0.15 },
          ],
        },
        { action: "pagetables", processes: 300, share: 0.0005, leaves: { "4k": 1, "2m": 0, "1g": 0 } },
        { action: "iommu", domains: 4, share: 0.01, tableSizes: { "4096": 1 } },
      ],
    },
    {
      name: "steady state",
      actions: [
        { action: "reclaim", use: "file", share: 0.1 },
        { action: "split", use: "anon", share: 0.005, order: 0 },
        { action: "rcu", synchronize: true },
        { action: "pagecache", share: 0.01, orders: { "0": 0.05, "4": 0.35, "9": 0.6 } },
      ],
    },
  ],
};

const hypervisor: WorkloadInput = {
  name: "hypervisor",
  description: "A KVM host: guest memory in hugetlb pages, VFIO passthrough IOMMU domains, little page cache",
  models:
    "A virtualisation host running 64 guests: 85% of RAM is guest memory backed by 2 MiB hugetlb pages, QEMU's own anonymous memory in THPs, a small page cache for images and logs, VFIO device passthrough giving 16 IOMMU domains that each map their guest's memory with 4 KiB IOMMU page tables.",
  seed: 3,
  memory: "512G",
  nodes: 2,
  nrCpus: 128,
  phases: [
    {
      name: "boot",
      actions: [
        { action: "kernel", subtype: "reserved", share: 0.003 },
        { action: "kernel", subtype: "unknown", share: 0.005 },
      ],
    },
    {
      name: "guests",
      actions: [
        { action: "hugetlb", share: 0.85, order: 9 },
        { action: "anon", share: 0.03, thp: 0.9 },
        { action: "pagecache", share: 0.03, orders: { "0": 0.3, "4": 0.3, "9": 0.4 } },
        { action: "slab", share: 0.008, caches: commonSlab },
        { action: "pagetables", processes: 64, share: 0.0002, leaves: { "4k": 1, "2m": 0, "1g": 0 } },
        { action: "iommu", domains: 16, share: 0.05, tableSizes: { "4096": 1 } },
      ],
    },
    {
      name: "migration",
      actions: [
        { action: "reclaim", use: "hugetlb", share: 0.05 },
        { action: "rcu", synchronize: true },
        { action: "hugetlb", share: 0.04, order: 9 },
      ],
    },
  ],
};

const accelerator: WorkloadInput = {
  name: "accelerator",
  description:
    "An accelerator host: many IOMMU domains with sub-page IO page tables, pinned anonymous buffers",
  models:
    "A host feeding GPUs and SmartNICs through the IOMMU: 64 domains whose IO page tables are a mix of 1/16-page, 1/4-page and whole-page tables (the sub-page sizes the iommu-pages series prepares for), a third of them unmapped again and freed as iommu_pages_lists after an IOTLB flush and an RCU grace period; pinned anonymous DMA buffers in THPs, a page cache for datasets.",
  seed: 11,
  memory: "64G",
  nrCpus: 32,
  phases: [
    {
      name: "boot",
      actions: [
        { action: "kernel", subtype: "reserved", share: 0.005 },
        { action: "kernel", subtype: "unknown", share: 0.01 },
      ],
    },
    {
      name: "training",
      actions: [
        { action: "anon", share: 0.3, thp: 0.7 },
        { action: "pagecache", share: 0.25, orders: { "0": 0.1, "4": 0.3, "9": 0.6 } },
        { action: "slab", share: 0.02, caches: commonSlab },
        {
          action: "iommu",
          domains: 64,
          share: 0.02,
          tableSizes: { "256": 0.4, "1024": 0.3, "4096": 0.3 },
          unmap: 0.3,
        },
        { action: "pagetables", processes: 128, share: 0.001, leaves: { "4k": 0.7, "2m": 0.3, "1g": 0 } },
      ],
    },
    {
      name: "teardown",
      actions: [
        { action: "reclaim", use: "iommu", share: 0.5 },
        { action: "rcu", synchronize: true },
        { action: "rcu", synchronize: true },
        { action: "reclaim", use: "anon", share: 0.2 },
      ],
    },
  ],
};

/** The shipped workloads, by name: desktop, database, hypervisor, accelerator. */
export const presets: Readonly<Record<string, WorkloadInput>> = {
  desktop,
  database,
  hypervisor,
  accelerator,
};

/** A shipped workload by name, as written (a simulation validates it against the set it runs on). */
export function preset(name: string): WorkloadInput {
  const w = Object.hasOwn(presets, name) ? presets[name] : undefined;
  if (!w)
    throw new MemdescError("UNKNOWN_PRESET", {
      subject: `workload preset "${name}"`,
      issues: [
        { path: [], message: `there is no such preset (presets: ${Object.keys(presets).join(", ")})` },
      ],
    });
  return w;
}
