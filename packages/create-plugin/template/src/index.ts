// biome-ignore-all assist/source/organizeImports: the #if blocks of the template must stay where they are
import {
  // #if today
  c,
  // #endif
  // #if simulation
  defineAction,
  // #endif
  defineDescriptor,
  // #if pointer
  deriveMembers,
  // #endif
  MAX_PAGE_ORDER,
  // #if today
  type MemberSpec,
  overlay,
  // #endif
  parseOptions,
  // #if inline
  type PayloadField,
  // #endif
  // #if pointer
  pfnMember,
  // #endif
  proposal,
} from "@memdesc/core";
import { z } from "zod";

// #if today
/**
 * The members of `struct tmpl_desc` as it overlays `struct page` today, in order: each sits where a struct page
 * field is (TMPL_DESC_MATCH below says which); the `__page_*` members only keep struct page's own words clear.
 * Write yours with `c.ulong`, `c.ptr("struct x")`, `c.listHead`, `c.atomic`, bitfields
 * `["order", c.uint, { bits: 4 }]`, `c.union([...])` and `c.ifdef("CONFIG_X", [...])`.
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
export const tmplDescToday = c.struct("tmpl_desc", tmplDescMembers);

/** `TMPL_DESC_MATCH(page field, tmpl_desc field)`: the kernel's static asserts of the overlay, as data. */
export const TMPL_DESC_MATCH = overlay.set("TMPL_DESC_MATCH", "page", [
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
/**
 * The separately allocated `struct tmpl_desc` of the memdesc era: today's members less those that only kept
 * struct page's words clear, and the `pfn` of its memory, its way back once it no longer overlays it. 56 bytes
 * on x86-64, 64 in its slab cache.
 */
export const tmplDescMemdesc = c.struct(
  "tmpl_desc",
  deriveMembers(tmplDescMembers, {
    drop: ["__page_mapping", "__page_type", "__page_refcount"],
    append: [pfnMember],
  }),
);
// #endif

// #if inline
/** The fields packed into the memdesc word above its type bits; they must fit its 64 bits. */
export const tmplDescPayload: readonly PayloadField[] = [
  {
    name: "order",
    bit: 4,
    width: 4,
    meaning: "the allocation's order",
    provenance: proposal("a template field"),
  },
  { name: "owner", bit: 8, width: 16, meaning: "who owns it", provenance: proposal("a template field") },
];
// #endif

/** The field values of one tmpl-desc, with the constraints the kernel would enforce. */
export const tmplDescValueSchema = z
  .object({
    order: z.number().int().min(0).max(MAX_PAGE_ORDER, `order is at most MAX_PAGE_ORDER (${MAX_PAGE_ORDER})`),
    owner: z.number().int().min(0).max(0xffff, "owner is at most 0xffff"),
    refcount: z.number().int().min(1, "a live tmpl-desc holds at least one reference").default(1),
  })
  .strict();

export type TmplDescValue = z.output<typeof tmplDescValueSchema>;

// #if simulation
/**
 * The `tmpl-desc` workload action: `{ "action": "tmpl-desc", "count": 1000, "order": 0 }` in a workload allocates
 * that many descriptors and their memory, counted as __ACTION_USE__ pages; `reclaim` frees them again.
 */
export const tmplDescAction = defineAction({
  name: "tmpl-desc",
  description: "allocates tmpl-desc descriptors and their memory",
  use: "__ACTION_USE__",
  schema: z.object({ count: z.number().int().min(1), order: z.number().int().min(0).default(0) }).strict(),
  example: { count: 64 },
  run(ctx, { count, order }) {
    for (let i = 0; i < count; i++) {
      const desc = ctx.alloc({ order, nid: ctx.nid });
      if (desc === 0) return ctx.failed("tmpl-desc: out of memory");
      ctx.track(desc);
    }
  },
});
// #endif

/** What `tmplDesc()` takes: a preferred memdesc type tag (default: the registry assigns a free one). */
export const tmplDescOptionsSchema = z.object({ tag: z.number().int().min(0).max(255).optional() }).strict();

/** The tmpl-desc plugin: `createRegistry({ plugins: [tmplDesc()] })`. */
export function tmplDesc(input: z.input<typeof tmplDescOptionsSchema> = {}) {
  const options = parseOptions(tmplDescOptionsSchema, input, "tmplDesc");
  return defineDescriptor({
    name: "__PACKAGE_NAME__",
    kind: "tmpl-desc",
    title: "struct tmpl_desc",
    description: "__DESCRIPTION__",
    storage: "__STORAGE__",
    // #if declares
    memoryUses: __MEMORY_USES__,
    // #endif
    uses: ["__USES__"],
    // #if pointer
    memdesc: tmplDescMemdesc,
    // #endif
    // #if inline
    payload: tmplDescPayload,
    // #endif
    // #if today
    today: tmplDescToday,
    overlay: [TMPL_DESC_MATCH],
    // #endif
    // Where each layout comes from: kernel(file, release), plan(page, revision), inferred(reasoning) or
    // proposal(reasoning), shown by `memdesc types` and `memdesc layout`.
    provenance: {
      // #if today
      today: proposal('a template layout: replace with kernel("include/linux/<your header>.h", "<release>")'),
      // #endif
      // #if pointer
      memdesc: proposal(
        "today's members less those that only overlay struct page, and the pfn of its memory",
      ),
      // #endif
    },
    schema: tmplDescValueSchema,
    // #if simulation
    simulation: { actions: [tmplDescAction] },
    // #endif
    ...(options.tag === undefined ? {} : { tag: options.tag }),
  });
}

// The memdesc CLI loads a plugin package's default export (memdesc.config.json: "plugins": ["__PACKAGE_NAME__"]).
export default tmplDesc;
