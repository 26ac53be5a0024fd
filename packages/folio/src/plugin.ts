import {
  checkLayouts,
  type DescriptorPlugin,
  defineDescriptor,
  type MemberSpec,
  type MemoryUse,
  memberSpecsSchema,
  parseOptions,
} from "@memdesc/core";
import { z } from "zod";
import { anonFolioProvenance, folioProvenance, memdescFolio } from "./memdesc.js";
import { needsLargeDescriptor } from "./order.js";
import { folioOverlay } from "./overlay.js";
import { folioValueSchema } from "./schema.js";
import { folioSimulation } from "./simulation.js";
import { folioToday } from "./today.js";

export interface FolioOptions {
  /**
   * Members appended to the memdesc-era folio, small and large: "what if struct folio grows by these fields".
   * Written as in core's DSL: `[["_private_2", c.ptr()], ["_grow", c.array(c.u8, 48)]]`.
   */
  readonly extraFields?: readonly MemberSpec[];
  /** Members appended to the large (and hugetlb) memdesc-era folio only. */
  readonly extraLargeFields?: readonly MemberSpec[];
}

/** The options `folio()` and `anonFolio()` accept; unknown keys are errors, so a typo does not pass silently. */
export const folioOptionsSchema = z
  .object({
    extraFields: memberSpecsSchema.optional(),
    extraLargeFields: memberSpecsSchema.optional(),
  })
  .strict();

/**
 * Validates the options and lays the memdesc-era folios out under every ABI, so a duplicate field or an unknown
 * type fails here, naming the option, rather than later inside a registry.
 */
function memdescVariants(
  factory: string,
  structName: string,
  input: FolioOptions | undefined,
): ReturnType<typeof memdescFolio> {
  const options = parseOptions(folioOptionsSchema, input, factory);
  const variants = memdescFolio(structName, options);
  checkLayouts(
    Object.fromEntries(Object.entries(variants).map(([v, t]) => [`${v} memdesc-era folio`, t])),
    factory,
  );
  return variants;
}

const source = "include/linux/mm_types.h (Linux 6.18); kernelnewbies.org/MatthewWilcox/Memdescs/Path";
/** The variant for an allocation: hugetlb folios keep their hugetlb fields; others are small or large by order. */
const selectBySize = (order: number) => (needsLargeDescriptor(order) ? "large" : "small");
const select = (order: number, use?: MemoryUse) => (use === "hugetlb" ? "hugetlb" : selectBySize(order));

/**
 * `struct folio` for page-cache and hugetlb memory (type 2, File, in the current Memdescs table), and for
 * anonymous and KSM memory when no `anonFolio()` is registered. Today it overlays up to four struct pages; in the
 * memdesc designs it is allocated separately: small (80 bytes) for order 0, large (128 bytes) above, and for a
 * hugetlb folio the large one with its four hugetlb pointers (160 bytes).
 *
 * ```ts
 * const registry = createRegistry({ design: "memdesc-8", plugins: [folio(), slab()] });
 * registry.descriptorSize("folio", 9); // { variant: "large", size: 128, rounded: 128 }
 * registry.descriptorSize("folio", 9, "hugetlb"); // { variant: "hugetlb", size: 160, rounded: 160 }
 * ```
 */
export function folio(options?: FolioOptions): DescriptorPlugin<"folio", typeof folioValueSchema> {
  const variants = memdescVariants("folio", "folio", options);
  return defineDescriptor({
    name: "@memdesc/folio",
    kind: "folio",
    title: "struct folio",
    description:
      "Page-cache and hugetlb folios: a power-of-two run of pages with one refcount, mapcount and LRU position.",
    source,
    provenance: folioProvenance,
    uses: ["file", "hugetlb"],
    fallbackUses: ["anon", "ksm"],
    today: folioToday,
    memdesc: { variants, select },
    overlay: folioOverlay,
    schema: folioValueSchema,
    simulation: folioSimulation,
  });
}

/**
 * `struct anon_folio` (type 3, Anon, in the current Memdescs table): anonymous memory, and KSM pages when no KSM
 * plugin claims them. Today it is struct folio, so it has the folio's layout and rules; the plan publishes no
 * field list for it, so its memdesc-era one is derived field by field (`anonFolioFieldUses`) and labelled inferred.
 */
export function anonFolio(options?: FolioOptions): DescriptorPlugin<"anon", typeof folioValueSchema> {
  // Anonymous hugetlb memory is a hugetlb folio, billed under the hugetlb use (the folio's): no hugetlb variant.
  const { small, large } = memdescVariants("anonFolio", "anon_folio", options);
  return defineDescriptor({
    name: "@memdesc/folio",
    kind: "anon",
    title: "struct anon_folio",
    description:
      "Anonymous folios, described by struct folio today and by struct anon_folio in the memdesc plan.",
    source,
    provenance: anonFolioProvenance,
    uses: ["anon"],
    fallbackUses: ["ksm"],
    today: folioToday,
    memdesc: { variants: { small, large }, select: selectBySize },
    overlay: folioOverlay,
    schema: folioValueSchema,
    simulation: folioSimulation,
  });
}
