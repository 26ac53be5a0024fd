import {
  type AbiName,
  type DescriptorPlugin,
  defineDescriptor,
  formatIssues,
  LayoutEngine,
  LayoutError,
  linux618,
  type MemberSpec,
} from "@memdesc/core";
import { z } from "zod";
import { SlabError } from "./errors.js";
import { memdescSlab, slabProvenance } from "./memdesc.js";
import { slabMatch } from "./overlay.js";
import { slabValueSchema } from "./schema.js";
import { slabSimulation } from "./simulation.js";
import { slabToday } from "./today.js";

export interface SlabOptions {
  /** Members appended to the memdesc-era struct slab: "what if struct slab grows by these fields". */
  readonly extraFields?: readonly MemberSpec[];
}

const identifier = /^[A-Za-z_][A-Za-z0-9_]*$/;
const memberProblem = (m: unknown): string | undefined => {
  if (Array.isArray(m)) {
    const [name, type, attrs] = m as unknown[];
    if (m.length < 2 || m.length > 3) return "a member is [name, type] or [name, type, attrs]";
    if (typeof name !== "string" || !identifier.test(name))
      return `member name ${JSON.stringify(name)} is not a C identifier`;
    const typed =
      (typeof type === "string" && type.trim() !== "") ||
      (typeof type === "object" && type !== null && typeof (type as { kind?: unknown }).kind === "string");
    if (!typed) return `member ${name} needs a type: a C type name or a type from c.*`;
    if (attrs !== undefined && (typeof attrs !== "object" || attrs === null))
      return `member ${name}: attrs must be an object ({ bits, aligned, ifdef })`;
    return undefined;
  }
  const kind = typeof m === "object" && m !== null ? (m as { kind?: unknown }).kind : undefined;
  if (kind === "struct" || kind === "union" || kind === "ifdef") return undefined;
  return "a member is [name, type], [name, type, attrs], or an anonymous c.struct / c.union / c.ifdef group";
};

/** The options `slab()` accepts; unknown keys are errors. */
export const slabOptionsSchema = z
  .object({
    extraFields: z
      .array(z.unknown())
      .superRefine((list, ctx) =>
        list.forEach((m, i) => {
          const problem = memberProblem(m);
          if (problem) ctx.addIssue({ code: "custom", path: [i], message: problem });
        }),
      )
      .optional(),
  })
  .strict();

/**
 * `struct slab`: the pages of a SLUB slab (type 5, Slab, in the newer memdesc table). Today it overlays the slab's
 * head struct page; in the memdesc designs it is allocated separately, 56 bytes of fields and the `pfn` of its
 * memory: 64 bytes.
 *
 * ```ts
 * const registry = createRegistry({ design: "memdesc-8", plugins: [folio(), slab()] });
 * registry.descriptorSize("slab", 1); // { variant: "default", size: 64, rounded: 64 }
 * ```
 */
export function slab(options?: SlabOptions): DescriptorPlugin<"slab", typeof slabValueSchema> {
  const parsed = slabOptionsSchema.safeParse(options ?? {});
  if (!parsed.success)
    throw new SlabError(
      "BAD_SLAB_OPTIONS",
      `slab() options: ${formatIssues(parsed.error.issues).replace(/\n/g, "; ")}`,
    );
  const memdesc = memdescSlab(options?.extraFields);
  for (const abi of ["lp64", "ilp32"] as AbiName[]) {
    try {
      new LayoutEngine({ abi, config: linux618 }).layout(memdesc);
    } catch (e) {
      if (!(e instanceof LayoutError)) throw e;
      throw new SlabError(
        "BAD_SLAB_OPTIONS",
        `slab() options: the memdesc-era struct slab does not lay out (${abi}): ${e.message}`,
      );
    }
  }
  return defineDescriptor({
    name: "@memdesc/slab",
    kind: "slab",
    title: "struct slab",
    description: "SLUB slabs: the pages a kmem_cache carves into objects, with their freelist and counters.",
    source: "mm/slab.h (Linux 6.18)",
    provenance: slabProvenance,
    uses: ["slab"],
    today: slabToday,
    memdesc,
    overlay: [slabMatch],
    schema: slabValueSchema,
    simulation: slabSimulation,
  });
}
