import { z } from "zod";
import { miscSubtypes } from "../design/builtin.js";
import { MAX_PAGE_ORDER } from "../kernel/constants.js";
import { parseWith } from "../validate.js";

/*
 * A workload: phases of allocations and frees that drive the memmap simulator, deterministic from a seed.
 * Amounts are a `share` of the machine's RAM (so a preset scales with `--memory`) or a `size` in bytes.
 */

const share = z.number().min(0, "a share is between 0 and 1").max(1, "a share is between 0 and 1");
const sizeString = z
  .string()
  .regex(/^\s*\d+(\.\d+)?\s*[KMGTkmgt]?(i?B)?\s*$/, "a size is bytes or a string like 512M, 4G, 1T");
/** Bytes, or a size string: `4096`, `"512M"`, `"4G"`. */
export const sizeSchema = z.union([z.number().int().nonnegative(), sizeString]);
const order = z
  .number()
  .int()
  .min(0)
  .max(MAX_PAGE_ORDER, `orders go up to MAX_PAGE_ORDER (${MAX_PAGE_ORDER})`);
/** Weights by order, as shares of the memory (not of the count): `{"0": 0.1, "9": 0.9}`. */
const orderWeights = z
  .record(z.string().regex(/^\d+$/, "order keys are whole numbers"), z.number().nonnegative())
  .superRefine((w, ctx) => {
    for (const k of Object.keys(w))
      if (Number(k) > MAX_PAGE_ORDER)
        ctx.addIssue({
          code: "custom",
          path: [k],
          message: `order ${k} is above MAX_PAGE_ORDER (${MAX_PAGE_ORDER})`,
        });
    if (Object.values(w).reduce((s, v) => s + v, 0) <= 0)
      ctx.addIssue({ code: "custom", message: "the order weights must not all be 0" });
  });

/** Either a share of RAM or a size; exactly one. */
const amount = { share: share.optional(), size: sizeSchema.optional() };
const oneAmount = (a: { share?: number | undefined; size?: unknown }, ctx: z.RefinementCtx) => {
  if ((a.share === undefined) === (a.size === undefined))
    ctx.addIssue({
      code: "custom",
      path: ["share"],
      message: "give exactly one of share (of RAM) and size (bytes)",
    });
};
const nid = z.number().int().min(-1).optional();

const kernelAction = z
  .object({
    action: z.literal("kernel"),
    ...amount,
    subtype: z.enum(Object.keys(miscSubtypes) as [keyof typeof miscSubtypes]).default("unknown"),
    order: order.default(0),
    nid,
  })
  .strict()
  .superRefine(oneAmount);

const pagecacheAction = z
  .object({ action: z.literal("pagecache"), ...amount, orders: orderWeights.default({ "0": 1 }), nid })
  .strict()
  .superRefine(oneAmount);

const anonAction = z
  .object({
    action: z.literal("anon"),
    ...amount,
    /** Share of the memory in PMD-sized THPs (order 9); the rest is order 0 unless `orders` says otherwise. */
    thp: share.default(0),
    /** mTHP: weights of the non-PMD part by order. */
    orders: orderWeights.optional(),
    nid,
  })
  .strict()
  .superRefine(oneAmount);

const hugetlbAction = z
  .object({ action: z.literal("hugetlb"), ...amount, order: order.default(9), nid })
  .strict()
  .superRefine(oneAmount);

const slabAction = z
  .object({
    action: z.literal("slab"),
    ...amount,
    caches: z
      .array(
        z
          .object({
            name: z.string().min(1),
            /** `s->object_size` in bytes. */
            size: z
              .number()
              .int()
              .min(8)
              .max(2 ** 21),
            /** Share of this action's memory. */
            share: z.number().positive(),
          })
          .strict(),
      )
      .min(1, "name at least one cache"),
    nid,
  })
  .strict()
  .superRefine(oneAmount);

const pagetablesAction = z
  .object({
    action: z.literal("pagetables"),
    processes: z.number().int().min(1),
    /** Virtual memory each process maps: a share of RAM, or a size. */
    ...amount,
    leaves: z
      .object({
        "4k": z.number().nonnegative().default(1),
        "2m": z.number().nonnegative().default(0),
        "1g": z.number().nonnegative().default(0),
      })
      .strict()
      .default({ "4k": 1, "2m": 0, "1g": 0 }),
    levels: z.union([z.literal(4), z.literal(5)]).default(4),
    fragments: z.number().int().min(1).max(16).default(1),
    nid,
  })
  .strict()
  .superRefine(oneAmount);

const iommuAction = z
  .object({
    action: z.literal("iommu"),
    domains: z.number().int().min(1),
    /** IOVA space each domain maps: a share of RAM, or a size. */
    ...amount,
    /** IO page-table sizes in bytes and their share of tables: 256 (1/16 page), 1024 (1/4 page), 4096. */
    tableSizes: z
      .record(z.string().regex(/^\d+$/, "table sizes are bytes"), z.number().nonnegative())
      .default({ "4096": 1 }),
    unmap: share.default(0),
    nid,
  })
  .strict()
  .superRefine(oneAmount);

const reclaimable = z.enum(["file", "anon", "hugetlb", "slab", "pagetable", "iommu", "kernel"]);

const reclaimAction = z
  .object({
    action: z.literal("reclaim"),
    /** The memory use to shrink. */
    use: reclaimable,
    /** Share of that use's allocations (slab: objects) to free, chosen at random. */
    share,
  })
  .strict();

const splitAction = z
  .object({
    action: z.literal("split"),
    use: z.enum(["file", "anon", "hugetlb"]),
    /** Share of the use's folios above `order` to split. */
    share,
    order: order.default(0),
  })
  .strict();

const fragmentAction = z
  .object({
    action: z.literal("fragment"),
    ...amount,
    /** Order-0 page cache is allocated, then all but this share freed at random, leaving holes. */
    keep: share.default(0.5),
    nid,
  })
  .strict()
  .superRefine(oneAmount);

const rcuAction = z
  .object({
    action: z.literal("rcu"),
    /** Simulated ms to move time on; 0 with `synchronize`. */
    advance: z.number().nonnegative().default(0),
    synchronize: z.boolean().default(false),
  })
  .strict();

export const workloadActionSchema = z.discriminatedUnion("action", [
  kernelAction,
  pagecacheAction,
  anonAction,
  hugetlbAction,
  slabAction,
  pagetablesAction,
  iommuAction,
  reclaimAction,
  splitAction,
  fragmentAction,
  rcuAction,
]);

export const workloadSchema = z
  .object({
    $schema: z.string().optional(),
    name: z.string().min(1),
    description: z.string().default(""),
    /** What the preset models, in a sentence or two. */
    models: z.string().optional(),
    seed: z.number().int().default(1),
    /** The machine's RAM when `--memory` does not say. */
    memory: sizeSchema.default("4G"),
    nodes: z.number().int().min(1).max(64).default(1),
    nrCpus: z.number().int().min(1).default(16),
    /**
     * How freed descriptors are given back: `typesafe-by-rcu` (the kernel's SLAB_TYPESAFE_BY_RCU, the plan's rule)
     * or `kfree-rcu` (every object waits a grace period).
     */
    descriptorFree: z.enum(["typesafe-by-rcu", "kfree-rcu"]).default("typesafe-by-rcu"),
    /** CONFIG_TRANSPARENT_HUGEPAGE: order 9 uses the per-CPU lists too. */
    thp: z.boolean().default(true),
    /** HugeTLB vmemmap optimisation on the machine billed as today (`hugetlb_optimize_vmemmap`). */
    hvo: z.boolean().default(false),
    phases: z
      .array(z.object({ name: z.string().min(1), actions: z.array(workloadActionSchema) }).strict())
      .min(1, "a workload has at least one phase"),
  })
  .strict();

export type Workload = z.output<typeof workloadSchema>;
export type WorkloadInput = z.input<typeof workloadSchema>;
export type WorkloadAction = z.output<typeof workloadActionSchema>;

/** Validates a workload; the error names `what` (the file) and each offending key. */
export function parseWorkload(input: unknown, what = "workload"): Workload {
  return parseWith(workloadSchema, input, "BAD_WORKLOAD", what);
}
