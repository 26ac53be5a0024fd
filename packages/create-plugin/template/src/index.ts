// biome-ignore-all assist/source/organizeImports: the #if blocks of the template must stay where they are
import {
  // #if today
  type AggregateType,
  c,
  // #endif
  defineDescriptor,
  MAX_PAGE_ORDER,
  // #if today
  type MemberSpec,
  type OverlayRuleSet,
  overlay,
  // #endif
  // #if inline
  type PayloadField,
  // #endif
  proposal,
} from "@memdesc/core";
import { z } from "zod";

// #if today
/**
 * The members of `struct tmpl_desc` as it overlays `struct page` today, in order. Each sits where a struct page
 * field is (the TMPL_DESC_MATCH rules below say which); the `__page_*` members only keep struct page's own words
 * clear. Rename, retype and add members to describe your descriptor: `c.ulong`, `c.uint`, `c.ptr("struct x")`,
 * `c.listHead`, `c.atomic`, bitfields `["order", c.uint, { bits: 4 }]`, `c.union([...])`, `c.ifdef("CONFIG_X", [...])`.
 */
export const tmplDescMembers = [
  ["__page_flags", c.memdescFlags],
  ["list", c.listHead],
  ["__page_mapping", c.ulong],
  ["owner", c.ptr()],
  ["private", c.ulong],
  ["__page_type", c.uint],
  ["__page_refcount", c.atomic],
  c.ifdef("CONFIG_MEMCG", [["memcg_data", c.ulong]]),
] as const satisfies readonly MemberSpec[];

/** `struct tmpl_desc` today: 64 bytes on x86-64, overlaying struct page. */
export const tmplDescToday: AggregateType = c.struct("tmpl_desc", tmplDescMembers);

/**
 * `TMPL_DESC_MATCH(page field, tmpl_desc field)`: the kernel's static asserts that each member sits on the
 * struct page field it reuses, and `static_assert(sizeof(struct tmpl_desc) <= sizeof(struct page))`.
 */
export const TMPL_DESC_MATCH: OverlayRuleSet = overlay.set("TMPL_DESC_MATCH", "page", [
  overlay.match("flags", "__page_flags"),
  overlay.match("lru", "list"),
  overlay.match("mapping", "__page_mapping"),
  overlay.match("__folio_index", "owner"),
  overlay.match("private", "private"),
  overlay.match("page_type", "__page_type"),
  overlay.match("_refcount", "__page_refcount"),
  overlay.match("memcg_data", "memcg_data", { ifdef: "CONFIG_MEMCG" }),
  overlay.sizeAtMost(),
]);
// #endif

// #if pointer
/** Members a descriptor carries only to overlay struct page; a separately allocated one drops them. */
export const tmplDescOverlayOnly = ["__page_mapping", "__page_type", "__page_refcount"] as const;

const memberName = (m: MemberSpec): string | undefined =>
  Array.isArray(m) ? (m as readonly [string, unknown])[0] : undefined;

/**
 * The separately allocated `struct tmpl_desc` of the memdesc era (the 32-, 16- and 8-byte designs), laid out
 * from today's members less the overlay-only ones, plus `pfn`: a descriptor that no longer overlays its memory's
 * struct page needs a way back to that memory, and the registry looks for a `pfn` field wide enough for a PFN
 * (or a `wayBack` the plugin declares). 56 bytes on x86-64, 64 in its slab cache.
 */
export const tmplDescMemdesc: AggregateType = c.struct("tmpl_desc", [
  ...tmplDescMembers.filter((m) => !(tmplDescOverlayOnly as readonly string[]).includes(memberName(m) ?? "")),
  ["pfn", c.ulong],
]);
// #endif

// #if inline
/**
 * The fields an inline tmpl-desc packs into the memdesc word, above the type bits (bits 0-3): here an
 * allocation order and an owner id. They must fit the word's 64 bits (32 on 32-bit kernels).
 */
export const tmplDescPayload: readonly PayloadField[] = [
  {
    name: "order",
    bit: 4,
    width: 4,
    meaning: "the allocation's order",
    provenance: proposal("a template field: say where yours comes from"),
  },
  {
    name: "owner",
    bit: 8,
    width: 16,
    meaning: "who owns it",
    provenance: proposal("a template field: say where yours comes from"),
  },
];
// #endif

/** The largest owner id the value schema accepts. */
export const TMPL_DESC_MAX_OWNER = 0xffff;

/**
 * The field values of one tmpl-desc, with the constraints the kernel would enforce: the allocation's order
 * (0..MAX_PAGE_ORDER), who owns it, and how many references it holds.
 */
export const tmplDescValueSchema = z
  .object({
    order: z
      .number()
      .int("order must be a whole number")
      .min(0, "order cannot be negative")
      .max(MAX_PAGE_ORDER, `order is at most MAX_PAGE_ORDER (${MAX_PAGE_ORDER})`),
    owner: z.number().int().min(0).max(TMPL_DESC_MAX_OWNER, `owner is at most ${TMPL_DESC_MAX_OWNER}`),
    refcount: z.number().int().min(1, "a live tmpl-desc holds at least one reference").default(1),
  })
  .strict();

export type TmplDescValue = z.output<typeof tmplDescValueSchema>;

export interface TmplDescOptions {
  /** A preferred memdesc type tag (0-15 in the 4-bit designs); by default the registry assigns a free one. */
  readonly tag?: number;
}

/**
 * The tmpl-desc descriptor plugin. Compose it with others:
 *
 * ```ts
 * import { createRegistry } from "@memdesc/core";
 * import { tmplDesc } from "__PACKAGE_NAME__";
 *
 * createRegistry({ design: "memdesc-8", plugins: [tmplDesc()] }).descriptorSize("tmpl-desc");
 * ```
 */
export function tmplDesc(options: TmplDescOptions = {}) {
  return defineDescriptor({
    name: "__PACKAGE_NAME__",
    kind: "tmpl-desc",
    title: "struct tmpl_desc",
    description: "__DESCRIPTION__",
    storage: "__STORAGE__",
    // #if pointer
    memdesc: tmplDescMemdesc,
    // #endif
    // #if inline
    payload: tmplDescPayload,
    // #endif
    uses: ["__USES__"],
    // #if today
    today: tmplDescToday,
    overlay: [TMPL_DESC_MATCH],
    // #endif
    // Where each layout comes from, shown by `memdesc types` and `memdesc layout` and checked by zod: kernel(file,
    // release) for a layout the kernel has, plan(page, revision) for one a published plan gives, inferred(reasoning)
    // for one derived from those, proposal(reasoning) for your own design. `fields` marks the fields whose source
    // differs from their layout's.
    provenance: {
      // #if today
      today: proposal('a template layout: replace with kernel("include/linux/<your header>.h", "<release>")'),
      // #endif
      // #if pointer
      memdesc: proposal(
        "today's members less those only needed to overlay struct page, and the pfn of its memory",
      ),
      fields: {
        pfn: proposal("the way back from the descriptor to its memory, once it no longer overlays it"),
      },
      // #endif
    },
    schema: tmplDescValueSchema,
    ...(options.tag === undefined ? {} : { tag: options.tag }),
  });
}

export type TmplDescPlugin = ReturnType<typeof tmplDesc>;

// The memdesc CLI loads a plugin package's default export (memdesc.config.json: "plugins": ["__PACKAGE_NAME__"]).
export default tmplDesc;
