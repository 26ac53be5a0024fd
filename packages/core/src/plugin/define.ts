import { z } from "zod";
import { isCoreUse, type MemoryUse, memoryUses, useNamePattern } from "../bill/uses.js";
import type { CType } from "../ctype/types.js";
import { type PayloadField, payloadFieldSchema } from "../design/schema.js";
import type { OverlayRuleSet } from "../overlay/rules.js";
import { type Provenance, provenanceSchema } from "../provenance/provenance.js";
import { ValidationError } from "../validate.js";
import type { SimulationHooks } from "./simulation.js";

/**
 * A descriptor whose memdesc-era size depends on the allocation, like struct folio: small folios need 80 bytes,
 * large ones the large-folio fields too, hugetlb ones the hugetlb fields as well. `select(order, use)` names the
 * variant for an allocation of `order` made for `use` (undefined when the caller does not know it).
 */
export interface MemdescVariants {
  readonly variants: Readonly<Record<string, CType>>;
  readonly select: (order: number, use?: MemoryUse) => string;
}

/** A plugin's preferred type tag: one for every design, or per design name with an optional default. */
export type TagPreference = number | Readonly<Record<string, number>>;

/**
 * Where a plugin's layouts come from: today's (the kernel file and release it overlays struct page in), the
 * memdesc-era one (one source for every variant, or one per variant), and any field whose source differs from its
 * layout's, by C path: a memdesc-era `pfn` a plugin adds is `inferred`, a field of its own invention `proposal`.
 */
export interface DescriptorProvenance {
  readonly today?: Provenance;
  readonly memdesc?: Provenance | Readonly<Record<string, Provenance>>;
  readonly fields?: Readonly<Record<string, Provenance>>;
}

/**
 * How a separately allocated descriptor gets back to its memory (`slab_address()`, `ptdesc_address()`,
 * `zpdesc_pfn()`, a folio's `pfn`): the memdesc-era field holding the PFN, or, for a descriptor that has none,
 * how it finds its memory instead and the source that says so.
 */
export type WayBack = { readonly field: string } | { readonly how: string; readonly provenance: Provenance };

/** What `defineDescriptor` takes. */
export interface DescriptorDefinition<K extends string, S extends z.ZodType> {
  /** The npm package name, e.g. `@memdesc/folio`. */
  readonly name: string;
  readonly version?: string;
  /** The registry kind: lower-case letters, digits and dashes (`folio`, `slab`, `my-desc`). */
  readonly kind: K;
  /** What it is, in the kernel's words: `struct folio`. */
  readonly title: string;
  readonly description?: string;
  /** The kernel source that defines it: `include/linux/mm_types.h`. */
  readonly source?: string;
  /** Where its layouts and fields come from (kernel, plan, inferred, proposal), shown beside them. */
  readonly provenance?: DescriptorProvenance;
  /**
   * How its memdesc-era descriptor finds its memory. Default: the field `pfn`, when every memdesc-era layout has
   * one. The simulator keeps the PFN in that field.
   */
  readonly wayBack?: WayBack;
  /** `pointer`: the word points at a separately allocated descriptor; `inline`: the word holds the data. */
  readonly storage?: "pointer" | "inline";
  readonly tag?: TagPreference;
  /**
   * Memory uses this plugin adds to core's (`{ iommu: "IOMMU page-table pages" }`): what a survey, a bill and a
   * simulation count pages as, for memory core does not name.
   */
  readonly memoryUses?: Readonly<Record<string, string>>;
  /** Memory uses this kind describes: core's (a survey's `slab` pages are described by the slab kind) or its own. */
  readonly uses?: readonly MemoryUse[];
  /** Uses it describes only when no other plugin claims them (the folio describes anon pages unless an anon plugin is present). */
  readonly fallbackUses?: readonly MemoryUse[];
  /** Today's layout, overlaying struct page. Required for pointer kinds. */
  readonly today?: CType;
  /** The separately allocated descriptor of the memdesc designs. Required for pointer kinds. */
  readonly memdesc?: CType | MemdescVariants;
  /** Inline kinds: the fields packed into the word when a design's type table does not say. */
  readonly payload?: readonly PayloadField[];
  /** The kernel's `*_MATCH` assertions against struct page (or another base struct in `layouts`). */
  readonly overlay?: readonly OverlayRuleSet[];
  /** Other structs the overlay rules use as a base, or that type names in the layouts refer to. */
  readonly layouts?: Readonly<Record<string, CType>>;
  /** Valid field values of one descriptor, with the kernel's constraints. */
  readonly schema: S;
  /** How the kind behaves in a simulation of memory (SLUB geometry, descriptor set-up, workload actions). */
  readonly simulation?: SimulationHooks;
}

/** A validated descriptor plugin: a plain typed object. */
export interface DescriptorPlugin<K extends string = string, S extends z.ZodType = z.ZodType>
  extends DescriptorDefinition<K, S> {
  readonly storage: "pointer" | "inline";
  readonly uses: readonly MemoryUse[];
  readonly fallbackUses: readonly MemoryUse[];
  readonly overlay: readonly OverlayRuleSet[];
}

// biome-ignore lint/suspicious/noExplicitAny: the widest plugin type, for constraints
export type AnyDescriptor = DescriptorPlugin<string, any>;

const isAggregate = (v: unknown): boolean => {
  let t = v as CType | undefined;
  while (t && (t.kind === "typedef" || t.kind === "qualified")) t = t.type;
  return !!t && (t.kind === "struct" || t.kind === "union") && Array.isArray(t.members);
};
const aggregate = z.custom<CType>(isAggregate, {
  error: "must be a struct or union from c.struct() / c.union()",
});
const isZod = (v: unknown) => typeof v === "object" && v !== null && "_zod" in v;

const ruleSchema = z.discriminatedUnion("kind", [
  z.object({
    kind: z.literal("match"),
    base: z.string().min(1),
    field: z.string().min(1),
    index: z.number().int().nonnegative(),
    ifdef: z.string().optional(),
  }),
  z.object({
    kind: z.literal("size"),
    offsetOf: z.string().optional(),
    count: z.number().int().positive().optional(),
    ifdef: z.string().optional(),
  }),
  z.object({
    kind: z.literal("aligned"),
    field: z.string(),
    bytes: z.number().int().positive(),
    ifdef: z.string().optional(),
  }),
]);

const fn = z.custom<(...args: never[]) => unknown>((f) => typeof f === "function", {
  error: "must be a function",
});
const use = z
  .string()
  .regex(useNamePattern, "a memory use is lower-case letters first, then letters, digits and dashes");
const tag = z.number().int().min(0).max(255);

/** A simulated behaviour a plugin contributes, with its source. */
export const behaviourSchema = z
  .object({
    /** Short name: `iommu_put_pages_list`. */
    name: z.string().min(1),
    /** What the simulator does, in a sentence. */
    what: z.string().min(1),
    provenance: provenanceSchema,
  })
  .strict();

export const descriptorProvenanceSchema = z
  .object({
    today: provenanceSchema.optional(),
    memdesc: z.union([provenanceSchema, z.record(z.string(), provenanceSchema)]).optional(),
    fields: z.record(z.string().min(1), provenanceSchema).optional(),
  })
  .strict();

export const wayBackSchema = z.union([
  z.object({ field: z.string().regex(/^[A-Za-z_][A-Za-z0-9_.]*$/, "a C field path") }).strict(),
  z.object({ how: z.string().min(1), provenance: provenanceSchema }).strict(),
]);

/** A workload action a plugin contributes (see `WorkloadActionDefinition`). */
const actionSchema = z
  .object({
    name: z
      .string()
      .regex(/^[a-z][a-z0-9-]*$/, "an action is named in lower-case letters, digits and dashes"),
    description: z.string().min(1),
    use,
    amount: z.string().min(1).optional(),
    schema: z.custom<z.ZodObject>((v) => isZod(v) && typeof (v as { shape?: unknown }).shape === "object", {
      error: "must be a zod object schema (z.object)",
    }),
    example: z.record(z.string(), z.unknown()),
    run: fn,
  })
  .strict();

/** The manifest a plugin must satisfy; checked when it is defined, so a broken plugin fails at once. */
export const descriptorManifestSchema = z
  .object({
    name: z
      .string({ error: "every plugin needs a name: its npm package name" })
      .regex(/^(@[a-z0-9-~][a-z0-9-._~]*\/)?[a-z0-9-~][a-z0-9-._~]*$/, "must be an npm package name"),
    version: z.string().optional(),
    kind: z
      .string({ error: "every plugin needs a kind" })
      .regex(/^[a-z][a-z0-9-]*$/, "must be lower-case letters, digits and dashes"),
    title: z.string({ error: "a title is needed, e.g. 'struct folio'" }).min(1),
    description: z.string().optional(),
    source: z.string().optional(),
    provenance: descriptorProvenanceSchema.optional(),
    wayBack: wayBackSchema.optional(),
    storage: z.enum(["pointer", "inline"]),
    tag: z.union([tag, z.record(z.string(), tag)]).optional(),
    memoryUses: z.record(use, z.string().min(1, "say what the pages are used for")).optional(),
    uses: z.array(use),
    fallbackUses: z.array(use),
    today: aggregate.optional(),
    memdesc: z
      .union([
        aggregate,
        z.object({
          variants: z
            .record(z.string(), aggregate)
            .refine((v) => Object.keys(v).length > 0, "at least one variant"),
          select: z.custom<(order: number, use?: MemoryUse) => string>((f) => typeof f === "function", {
            error: "must be a function",
          }),
        }),
      ])
      .optional(),
    payload: z.array(payloadFieldSchema).optional(),
    overlay: z.array(
      z.object({
        macro: z.string().min(1),
        base: z.string().min(1),
        desc: z.string().min(1).optional(),
        rules: z.array(ruleSchema),
      }),
    ),
    layouts: z.record(z.string(), aggregate).optional(),
    schema: z.custom<z.ZodType>(isZod, { error: "must be a zod schema" }),
    simulation: z
      .object({
        slabGeometry: fn.optional(),
        freePointer: z.string().min(1).optional(),
        init: fn.optional(),
        release: fn.optional(),
        split: fn.optional(),
        state: fn.optional(),
        actions: z.array(actionSchema).optional(),
        behaviours: z.array(behaviourSchema).optional(),
      })
      .strict()
      .optional(),
  })
  .superRefine((p, ctx) => {
    if (p.storage === "pointer") {
      if (!p.today)
        ctx.addIssue({ code: "custom", path: ["today"], message: "a pointer kind needs today's layout" });
      if (!p.memdesc)
        ctx.addIssue({
          code: "custom",
          path: ["memdesc"],
          message: "a pointer kind needs its memdesc-era layout",
        });
    } else if (p.wayBack)
      ctx.addIssue({
        code: "custom",
        path: ["wayBack"],
        message: "an inline kind has no descriptor that needs a way back to its memory",
      });
    const declared = p.memoryUses ?? {};
    for (const u of Object.keys(declared))
      if (isCoreUse(u))
        ctx.addIssue({
          code: "custom",
          path: ["memoryUses", u],
          message: `${u} is one of core's uses (${memoryUses[u]}); claim it in uses instead`,
        });
    const claims = (key: "uses" | "fallbackUses") =>
      p[key].forEach((u, i) => {
        if (!isCoreUse(u) && !Object.hasOwn(declared, u))
          ctx.addIssue({
            code: "custom",
            path: [key, i],
            message: `${u} is not one of core's uses; declare it in memoryUses to describe it`,
          });
      });
    claims("uses");
    claims("fallbackUses");
    for (const [i, a] of (p.simulation?.actions ?? []).entries())
      if (![...p.uses, ...p.fallbackUses].includes(a.use))
        ctx.addIssue({
          code: "custom",
          path: ["simulation", "actions", i, "use"],
          message: `action ${a.name} counts its pages as ${a.use}, which this plugin does not describe`,
        });
    const names = (p.simulation?.actions ?? []).map((a) => a.name);
    for (const [i, n] of names.entries())
      if (names.indexOf(n) !== i)
        ctx.addIssue({
          code: "custom",
          path: ["simulation", "actions", i, "name"],
          message: `action ${n} twice`,
        });
    const m = p.provenance?.memdesc;
    if (m && !("basis" in m)) {
      const variants =
        p.memdesc && "variants" in p.memdesc ? Object.keys(p.memdesc.variants as object) : ["default"];
      for (const v of Object.keys(m))
        if (!variants.includes(v))
          ctx.addIssue({
            code: "custom",
            path: ["provenance", "memdesc", v],
            message: `no memdesc-era variant "${v}" (variants: ${variants.join(", ")})`,
          });
    }
  });

export class PluginError extends ValidationError {}

/** `plugin "@memdesc/folio"`, or what can be said of a plugin without a name. */
export function pluginLabel(p: { name?: unknown; kind?: unknown } | undefined): string {
  if (p && typeof p.name === "string" && p.name) return `plugin "${p.name}"`;
  if (p && typeof p.kind === "string") return `plugin of kind "${p.kind}" (no name)`;
  return "plugin (no name)";
}

/**
 * Defines a descriptor plugin: a plain, typed object whose manifest is validated now, so that a plugin with
 * no name, a bad kind or a missing layout fails where it is written. Plugins are factories that call this:
 *
 * ```ts
 * export const ioptdesc = () => defineDescriptor({ name: "@memdesc/ioptdesc", kind: "ioptdesc", ... });
 * ```
 */
export function defineDescriptor<const K extends string, S extends z.ZodType>(
  definition: DescriptorDefinition<K, S>,
): DescriptorPlugin<K, S> {
  const withDefaults = {
    ...definition,
    storage: definition.storage ?? "pointer",
    uses: definition.uses ?? [],
    fallbackUses: definition.fallbackUses ?? [],
    overlay: definition.overlay ?? [],
  };
  // Parsed once per plugin: zod's compiled fast path would cost more to build than it saves (`jitless`).
  const checked = descriptorManifestSchema.safeParse(withDefaults, { jitless: true });
  if (!checked.success) throw new PluginError("BAD_PLUGIN", pluginLabel(definition), checked.error.issues);
  return Object.freeze(withDefaults) as DescriptorPlugin<K, S>;
}

/** The preferred tag of a plugin under a design, if it states one. */
export function preferredTag(plugin: AnyDescriptor, designName: string): number | undefined {
  const t = plugin.tag;
  if (t === undefined || typeof t === "number") return t;
  return t[designName] ?? t.default;
}
