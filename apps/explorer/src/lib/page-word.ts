import { type MemoryUse, miscSubtypes, type PayloadField } from "@memdesc/core";
import type { FlagWord } from "@memdesc/kpageflags/browser";
import { type AnyRegistry, descriptionOf } from "./registry.js";

/** A descriptor's address for the examples: a struct in the direct map, 16-byte aligned. */
export const exampleAddress = 0xffff888100a3c240n;

/** The allocation a page belongs to: its first PFN, its size in pages and its order. */
export interface Extent {
  readonly head: number;
  readonly pages: number;
  /** undefined when the pages are not a power of two (a page map read while the folio changed). */
  readonly order: number | undefined;
  /**
   * How it was found: a compound page's head and tails; a run of free pages (the block inferred, see
   * `freeBlockAt`); one page on its own; or what a `dump_page()` line says.
   */
  readonly basis: "compound" | "free-run" | "page" | "dump";
}

/** What is known of one page: from a page map (its kpageflags word) or a `dump_page()` line. */
export interface PageFacts {
  readonly pfn: number;
  /** The kpageflags word, when the facts come from a page map. */
  readonly flags: FlagWord | undefined;
  readonly use: MemoryUse;
  readonly extent: Extent;
  /** Mapped to user space (kpageflags MMAP, or a mapcount). */
  readonly mapped: boolean;
  /** Where the report says (dump_page()'s flags carry them; a page map does not). */
  readonly zone?: number;
  readonly node?: number;
  /** The Misc subtype, when the source names it (dump_page()'s page type `guard`, `large_kmalloc`). */
  readonly subtype?: keyof typeof miscSubtypes;
}

/** An inline field of the word: its value and where the value comes from. */
export interface WordField extends PayloadField {
  readonly value: bigint;
  /** `page`: read from the page's flags or allocation; `inferred`: deduced, see `why`; `unknown`: not in a page map, 0. */
  readonly basis: "page" | "inferred" | "unknown";
  readonly why: string;
}

/** The descriptor a pointer word points at, as the registry sizes it for the page's order. */
export interface PointedDescriptor {
  readonly kind: string;
  /** `default`, `small`, `large`, … */
  readonly variant: string;
  /** The struct's name (`folio`, `slab`). */
  readonly struct: string;
  readonly size: number;
  /** Rounded up to the design's descriptor alignment: what its slab cache spends on it. */
  readonly rounded: number;
  /** The address in the example word (the real one is wherever the slab allocator put it). */
  readonly address: bigint;
}

/** What a page's entry holds under one design. */
export interface PageWord {
  readonly design: string;
  /** The kind that describes the page's use, as the registry says (its owner), if any. */
  readonly kind: string | undefined;
  /** Designs without a word (today): the struct page, and the kind's struct that overlays it. */
  readonly overlay?: {
    readonly entryBytes: number;
    readonly struct: string | undefined;
    readonly size: number;
  };
  readonly storage?: "pointer" | "inline";
  readonly tag?: number;
  /** The word (with the example address for a pointer kind). */
  readonly word?: bigint;
  /** The whole page entry, the word first (buddy-16's entry is two words). */
  readonly entry?: readonly bigint[];
  readonly descriptor?: PointedDescriptor;
  readonly fields?: readonly WordField[];
  /** The word could not be made, and why (a codec error's message). */
  readonly error?: { readonly code: string; readonly message: string };
  /** Caveats, in plain words. */
  readonly notes: readonly string[];
}

type SubtypeName = keyof typeof miscSubtypes;

/**
 * The Misc subtype a page of a use would carry, inferred from what a page map shows (the plan's subtypes are
 * core's `miscSubtypes`; which one fits a use is this explorer's reading, with the reason).
 */
const miscSubtypeOf: Partial<Record<MemoryUse, { name: SubtypeName; why: string }>> = {
  reserved: { name: "reserved", why: "a reserved page (PageReserved)" },
  zero: { name: "zero", why: "the shared zero page" },
  offline: { name: "offline", why: "a logically offline page (PageOffline: ballooned or unplugged)" },
  compound: {
    name: "unknown",
    why: "a compound page with no folio flags: a large kmalloc (kmalloc_large) or a driver's __GFP_COMP allocation (unknown), which a page map does not tell apart",
  },
  kernel: {
    name: "unknown",
    why: "untyped kernel memory: vmalloc, stacks, per-CPU lists or plain alloc_pages, which a page map does not tell apart",
  },
  hwpoison: {
    name: "unknown",
    why: "a hardware-poisoned page: the plan gives HWPoison a type of its own (struct hwpoison, TBD), which no plugin of this set describes",
  },
};

/** An inline kind's fields for a page, each with where its value comes from. */
function inlineFields(
  registry: AnyRegistry,
  kind: string,
  payload: readonly PayloadField[],
  facts: PageFacts,
): WordField[] {
  const e = facts.extent;
  const fromFree = e.basis === "free-run";
  return payload.map((f): WordField => {
    const at = (value: number | bigint, basis: WordField["basis"], why: string): WordField => ({
      ...f,
      value: BigInt(value),
      basis,
      why,
    });
    switch (f.name) {
      case "order":
        if (e.order === undefined) return at(0, "unknown", "the allocation is not a power of two pages");
        return fromFree
          ? at(
              e.order,
              "inferred",
              `the largest aligned block in this run of free pages (kpageflags marks every free page, not where blocks end)`,
            )
          : at(
              e.order,
              "page",
              e.basis === "dump"
                ? "the report's order (head: order:, or a free block's page->private)"
                : `${e.pages === 1 ? "a single page" : `${e.pages} pages from PFN 0x${e.head.toString(16)}`}`,
            );
      case "tail":
        return at(
          facts.pfn === e.head ? 0 : 1,
          fromFree ? "inferred" : "page",
          e.basis === "dump"
            ? "its page type is buddy, which only a free block's first page carries"
            : facts.pfn === e.head
              ? "the block's first page"
              : `page ${facts.pfn - e.head} of the block`,
        );
      case "pcp":
        return at(
          0,
          "page",
          e.basis === "dump"
            ? "its page type is buddy: the page heads a free block, not one on a per-CPU list"
            : "BUDDY is set: the page is in a free block, not on a per-CPU list",
        );
      case "mappable":
        return at(facts.mapped ? 1 : 0, "page", facts.mapped ? "mapped to user space" : "not mapped");
      case "zone":
      case "node": {
        const v = f.name === "zone" ? facts.zone : facts.node;
        if (v !== undefined) return at(v, "page", `from the report's flags (${f.name}=${v})`);
        return at(0, "unknown", `the page's ${f.name} is not in a page map: shown as 0`);
      }
      case "subtype": {
        if (facts.subtype)
          return at(miscSubtypes[facts.subtype], "page", `${facts.subtype}: the report's page type says so`);
        const s = miscSubtypeOf[facts.use];
        if (!s)
          return at(
            miscSubtypes.unknown,
            "inferred",
            `${descriptionOf(registry, facts.use)}: no subtype of the plan's fits, so unknown`,
          );
        return at(miscSubtypes[s.name], s.name === "unknown" ? "inferred" : "page", `${s.name}: ${s.why}`);
      }
      default:
        return at(
          0,
          "unknown",
          `${kind}'s ${f.name} is the allocator's or the kernel's (${f.name === "node" || f.name === "zone" ? "not in a page map" : "not visible from outside"}): shown as 0`,
        );
    }
  });
}

/**
 * What a page's entry holds under the registry's design, worked out from what is known of the page: the kind
 * that describes its use, and either the descriptor the word points at (sized by the registry for the
 * allocation's order; its address an example) or the inline fields, each with where its value comes from.
 * Every page of an allocation carries the same word (the plan's rule for tail pages), except a free block's
 * tail bit.
 */
export function pageWord(registry: AnyRegistry, facts: PageFacts): PageWord {
  const d = registry.design;
  const kind = registry.ownerOf(facts.use) as string | undefined;
  const notes: string[] = [];
  const order = facts.extent.order ?? 0;
  if (facts.use === "hole")
    return {
      design: d.name,
      kind,
      notes: ["no RAM behind this PFN, so no struct page and no word in any design"],
    };
  if (kind === undefined)
    return {
      design: d.name,
      kind,
      notes: [`no kind of this set describes ${descriptionOf(registry, facts.use)}`],
    };
  const plugin = registry.plugin(kind);
  if (d.typeBits === 0) {
    const today = plugin.today ? registry.todayLayout(kind) : undefined;
    return {
      design: d.name,
      kind,
      overlay: { entryBytes: d.entryBytes, struct: today?.name, size: today?.size ?? 0 },
      notes: [
        today
          ? `the ${d.entryBytes}-byte struct page is the descriptor: struct ${today.name} (${today.size} bytes) overlays ${today.size > d.entryBytes ? `${Math.ceil(today.size / d.entryBytes)} struct pages` : "it"}`
          : `a ${d.entryBytes}-byte struct page with ${kind} data in it`,
      ],
    };
  }
  const tag = registry.tagOf(kind);
  // The plan's rule for the pages of a multi-page allocation (a free block's pages differ by their tail bit).
  if (facts.extent.pages > 1 && plugin.storage === "pointer")
    notes.push(`every page of the ${facts.extent.pages}-page allocation holds this same word`);
  try {
    if (plugin.storage === "pointer") {
      const size = registry.descriptorSize(kind, order);
      if (!size) return { design: d.name, kind, notes: [...notes, `${kind} has no memdesc-era descriptor`] };
      const layout = registry.memdescLayouts(kind)[size.variant];
      const entry = registry.codec.encodeEntry({ kind, address: exampleAddress });
      const word = entry[0]!;
      return {
        design: d.name,
        kind,
        storage: "pointer",
        ...(tag !== undefined ? { tag } : {}),
        word,
        entry,
        descriptor: {
          kind,
          variant: size.variant,
          struct: layout?.name ?? kind,
          size: size.size,
          rounded: size.rounded,
          address: exampleAddress,
        },
        notes,
      };
    }
    const payload = registry.payloadOf(kind);
    const fields = inlineFields(registry, kind, payload, facts);
    const entry = registry.codec.encodeEntry({
      kind,
      fields: Object.fromEntries(fields.map((f) => [f.name, f.value])),
    });
    return {
      design: d.name,
      kind,
      storage: "inline",
      ...(tag !== undefined ? { tag } : {}),
      word: entry[0]!,
      entry,
      fields,
      notes,
    };
  } catch (err) {
    const e = err as { code?: string; message: string };
    return { design: d.name, kind, error: { code: e.code ?? "ERROR", message: e.message }, notes };
  }
}
