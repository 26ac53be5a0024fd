import type { WorkloadActionDefinition } from "@memdesc/core";
import { MAX_PAGE_ORDER, miscSubtypes, parseWith } from "@memdesc/core";
import { z } from "zod";

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

/**
 * Frees a share of a use's allocations: any use but free pages and holes (and memory the descriptor caches hold,
 * which is not the workload's to free); a use the composed set does not have is refused when the workload is read.
 */
const reclaimAction = z
  .object({
    action: z.literal("reclaim"),
    /** The memory use to shrink. */
    use: z.string().min(1),
    /** Share of that use's allocations (slab: objects) to free, chosen at random. */
    share,
  })
  .strict();
const splitAction = z
  .object({
    action: z.literal("split"),
    /** A use whose allocations have descriptors (file, anon, hugetlb …). */
    use: z.string().min(1),
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

/** The actions every workload can use, whatever plugins are composed. */
export const builtinActionSchemas = [
  kernelAction,
  pagecacheAction,
  anonAction,
  hugetlbAction,
  slabAction,
  reclaimAction,
  splitAction,
  fragmentAction,
  rcuAction,
] as const;

/** The names of the built-in actions. */
export const builtinActionNames: readonly string[] = builtinActionSchemas.map((a) => a.shape.action.value);

/** A built-in action, validated. */
export type BuiltinAction = z.output<(typeof builtinActionSchemas)[number]>;

/** A plugin's action, validated: what every action may have, and its own parameters as its schema made them. */
export interface PluginAction {
  readonly action: string;
  readonly nid?: number | undefined;
  readonly share?: number | undefined;
  readonly size?: number | string | undefined;
  readonly [param: string]: unknown;
}

/** A plugin action's own parameters: its keys but `action`, `nid` and, when it takes an amount, `share` and `size`. */
export function actionParams(
  a: Readonly<Record<string, unknown>>,
  def: WorkloadActionDefinition,
): Record<string, unknown> {
  const common = def.amount === undefined ? unitKeys : amountKeys;
  return Object.fromEntries(Object.entries(a).filter(([k]) => !common.includes(k)));
}

export type WorkloadAction = BuiltinAction | PluginAction;

/** The keys a workload adds to a plugin action's own parameters, without an amount and with one. */
const unitKeys = ["action", "nid"];
const amountKeys = [...unitKeys, "share", "size"];

/**
 * A plugin action as a workload writes it: `action`, `nid`, an amount when the action takes one, and the other
 * keys checked by the plugin's own schema (its issues keep their paths).
 */
function pluginActionSchema(def: WorkloadActionDefinition) {
  const head = z
    .object({
      action: z.literal(def.name),
      nid,
      ...(def.amount !== undefined ? amount : {}),
    })
    .catchall(z.unknown());
  return head
    .superRefine((v, ctx) => {
      if (def.amount !== undefined) oneAmount(v as { share?: number; size?: unknown }, ctx);
      const r = def.schema.safeParse(actionParams(v, def));
      if (!r.success)
        for (const i of r.error.issues)
          ctx.addIssue({ code: "custom", path: i.path, message: i.message, input: i.input });
    })
    .transform((v): PluginAction => {
      const w = v as { nid?: number; share?: number; size?: number | string };
      return {
        action: def.name,
        ...(w.nid !== undefined ? { nid: w.nid } : {}),
        ...(w.share !== undefined ? { share: w.share } : {}),
        ...(w.size !== undefined ? { size: w.size } : {}),
        ...(def.schema.parse(actionParams(v, def)) as Record<string, unknown>),
      };
    });
}

/**
 * The schema of one action under a set of plugin actions: the built-ins and theirs, told apart by `action`; an
 * action no one provides is one issue listing those there are.
 */
export function workloadActionSchema(actions: readonly WorkloadActionDefinition[] = []) {
  const names = [...builtinActionNames, ...actions.map((a) => a.name)];
  return z.discriminatedUnion("action", [...builtinActionSchemas, ...actions.map(pluginActionSchema)], {
    error: (issue) =>
      issue.code === "invalid_union"
        ? `no action ${JSON.stringify((issue.input as { action?: unknown } | undefined)?.action)}: the actions are ${names.join(", ")} (plugins add their own)`
        : undefined,
  });
}

/**
 * What a workload may name under a composed set: the plugins' actions beside the built-in ones, and the memory
 * uses its `reclaim` and `split` actions may name (core's and the plugins'); see `vocabularyOf`.
 */
export interface WorkloadVocabulary {
  readonly actions: readonly WorkloadActionDefinition[];
  /** Every use is accepted when not given. */
  readonly uses?: readonly string[];
}

/**
 * Uses a workload cannot free or split: free pages are not an allocation (nor are those waiting on the per-CPU
 * lists, core's `pcp`: free pages the page allocator keeps per CPU), and holes have no memory.
 */
const notWorkloads = new Set(["free", "pcp", "hole"]);

/** A workload under a vocabulary (see `workloadSchema`). */
export function workloadSchemaFor(vocabulary: WorkloadVocabulary = { actions: [] }) {
  return workloadObject(z.array(workloadActionSchema(vocabulary.actions)), vocabulary.uses);
}

/**
 * A workload file's form under a vocabulary for JSON Schema (editors, docs): each plugin action as its own
 * parameters' object with `action`, `nid` and its amount; what the plugins' refinements check is not shown.
 */
export function workloadJsonSchemaFor(vocabulary: WorkloadVocabulary = { actions: [] }) {
  const plugin = vocabulary.actions.map((def) =>
    z
      .object({
        ...def.schema.shape,
        action: z.literal(def.name).describe(def.description),
        nid,
        ...(def.amount !== undefined
          ? {
              share: amount.share.describe(`${def.amount}, as a share of RAM`),
              size: amount.size.describe(def.amount),
            }
          : {}),
      })
      .strict(),
  );
  return workloadObject(
    z.array(z.discriminatedUnion("action", [...builtinActionSchemas, ...plugin])),
    undefined,
  );
}

function workloadObject(actions: z.ZodType, uses: readonly string[] | undefined) {
  return z
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
        .array(z.object({ name: z.string().min(1), actions }).strict())
        .min(1, "a workload has at least one phase"),
    })
    .strict()
    .superRefine((w, ctx) => {
      if (!uses) return;
      for (const [i, p] of w.phases.entries())
        for (const [j, a] of (p.actions as WorkloadAction[]).entries()) {
          if ((a.action !== "reclaim" && a.action !== "split") || !("use" in a)) continue;
          const use = (a as { use: string }).use;
          if (!uses.includes(use) || notWorkloads.has(use))
            ctx.addIssue({
              code: "custom",
              path: ["phases", i, "actions", j, "use"],
              message: `${use} is not a use a workload allocates: the uses are ${uses.filter((u) => !notWorkloads.has(u)).join(", ")}`,
            });
        }
    });
}

/** A workload with the built-in actions only; `workloadSchemaFor(actions)` adds plugins' actions. */
export const workloadSchema = workloadSchemaFor();

/** A workload, validated. */
export type Workload = Omit<z.output<typeof workloadSchema>, "phases"> & {
  readonly phases: readonly { readonly name: string; readonly actions: readonly WorkloadAction[] }[];
};
/** A workload as written: built-in actions typed, plugin actions as objects naming theirs. */
export type WorkloadInput = Omit<z.input<typeof workloadSchema>, "phases"> & {
  readonly phases: readonly {
    readonly name: string;
    readonly actions: readonly (
      | z.input<(typeof builtinActionSchemas)[number]>
      | ({ readonly action: string } & Readonly<Record<string, unknown>>)
    )[];
  }[];
};

/**
 * Validates a workload against a vocabulary (`vocabularyOf(registry)`: the built-in actions, the composed
 * plugins' and their uses); the error names `what` (the file) and each offending key.
 */
export function parseWorkload(
  input: unknown,
  vocabulary: WorkloadVocabulary = { actions: [] },
  what = "workload",
): Workload {
  return parseWith(workloadSchemaFor(vocabulary), input, "BAD_WORKLOAD", what) as Workload;
}
