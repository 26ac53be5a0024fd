import {
  c,
  createRegistry,
  defineAction,
  defineDescriptor,
  defineSimulation,
  pfnMember,
  proposal,
} from "@memdesc/core";
import { refFolio, refPtdesc, refSlab } from "@memdesc/core/testing";
import { z } from "zod";
import { createMemmap, type MemmapOptions } from "../src/memmap/memmap.js";
import type { WorkloadInput } from "../src/workload/schema.js";

/** A registry of the reference descriptors (the simulator's tests do not depend on the plugin packages). */
export const testRegistry = (design = "memdesc-8") =>
  createRegistry({ design, plugins: [refFolio, refSlab, refPtdesc] });

/** A small memmap of the reference registry, in memdesc-8 unless `design` says otherwise. */
export const testMemmap = (options: Partial<MemmapOptions> = {}, design = "memdesc-8") =>
  createMemmap(testRegistry(design), { pages: 8192, nodes: 2, ...options });

/**
 * A plugin that brings what the simulator knows nothing of: a memory use of its own (`widget`), a descriptor for
 * it, and a workload action (`widgets`) that allocates `count` of them of an order, tracked so `reclaim` frees them.
 */
export const widget = defineDescriptor({
  name: "memdesc-plugin-widget",
  kind: "widget",
  title: "struct widget",
  memoryUses: { widget: "pages of a test driver's widgets" },
  uses: ["widget"],
  today: c.struct("widget", [["flags", c.ulong]]),
  memdesc: c.struct("widget", [["flags", c.ulong], ["owner", c.uint], pfnMember]),
  provenance: { memdesc: proposal("a test descriptor") },
  schema: z.object({}),
  simulation: defineSimulation<{ owner: number }>({
    state: (ctx) => ({ owner: ctx.offsetOf("owner") }),
    init: (ctx, _desc, _order, _pfn, byte) => {
      ctx.view32[(byte + ctx.state.owner) >>> 2] = 7;
    },
    actions: [
      defineAction({
        name: "widgets",
        description: "widgets of one order",
        use: "widget",
        schema: z
          .object({ count: z.number().int().min(1), order: z.number().int().min(0).default(0) })
          .strict(),
        example: { count: 8 },
        run(ctx, p) {
          for (let i = 0; i < p.count; i++) {
            const d = ctx.alloc({ order: p.order, nid: ctx.nid });
            if (d === 0) return ctx.failed("widgets: out of memory");
            ctx.track(d);
          }
        },
      }),
    ],
  }),
});

/**
 * A workload of the built-in actions, with the shape of a desktop's day: boot, a session of every kind of memory,
 * then reclaim, splits and a refill that leave free memory fragmented.
 */
export const referenceWorkload: WorkloadInput = {
  name: "reference",
  description: "every built-in action, in a desktop's proportions",
  seed: 7,
  memory: "256M",
  nrCpus: 8,
  phases: [
    {
      name: "boot",
      actions: [
        { action: "kernel", subtype: "reserved", share: 0.01 },
        { action: "kernel", subtype: "unknown", order: 2, share: 0.01 },
      ],
    },
    {
      name: "session",
      actions: [
        { action: "anon", share: 0.3, thp: 0.3, orders: { "0": 0.8, "4": 0.2 } },
        { action: "pagecache", share: 0.3, orders: { "0": 0.4, "2": 0.2, "4": 0.2, "9": 0.2 } },
        { action: "hugetlb", share: 0.05, order: 9 },
        {
          action: "slab",
          share: 0.05,
          caches: [
            { name: "dentry", size: 192, share: 0.5 },
            { name: "kmalloc-64", size: 64, share: 0.5 },
          ],
        },
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
