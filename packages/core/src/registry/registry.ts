import type { z } from "zod";
import type { Abi, AbiName } from "../abi/abi.js";
import { isCoreUse, type MemoryUse, memoryUses, orderUses } from "../bill/uses.js";
import type { CType } from "../ctype/types.js";
import { resolveDesign } from "../design/builtin.js";
import type { Design, PayloadField } from "../design/schema.js";
import { MemdescError } from "../errors.js";
import { linux618 } from "../kernel/config.js";
import { page } from "../kernel/page.js";
import { LayoutEngine } from "../layout/engine.js";
import { fieldsByPath } from "../layout/fields.js";
import type { KernelConfig, Layout } from "../layout/types.js";
import { checkOverlay, type RuleResult } from "../overlay/check.js";
import { type BuiltinKind, builtinKinds } from "../plugin/builtins.js";
import {
  type AnyDescriptor,
  type MemdescVariants,
  pluginLabel,
  preferredTag,
  type WayBack,
} from "../plugin/define.js";
import { type Provenance, proposal } from "../provenance/provenance.js";
import { ValidationError } from "../validate.js";
import { WordCodec } from "../word/codec.js";
import { assignTags } from "./tags.js";

export interface RegistryOptions<Ps extends readonly AnyDescriptor[]> {
  /** A built-in design name (`memdesc-8`, the default) or a design object. */
  readonly design?: Design | string;
  readonly plugins: Ps;
  readonly abi?: Abi | AbiName;
  /** Kernel configuration for `#ifdef`ed members (default: Linux 6.18 as distributions build it). */
  readonly config?: KernelConfig;
}

/** Every kind in a registry: the plugins' kinds and the built-in inline ones. */
export type KindOf<Ps extends readonly AnyDescriptor[]> = Ps[number]["kind"] | BuiltinKind;

type PluginFor<Ps extends readonly AnyDescriptor[], K> = Extract<
  Ps[number] | (typeof builtinKinds)[number],
  { kind: K }
>;

/** The value type of one kind's descriptors, from its plugin's zod schema. */
export type ValueOf<Ps extends readonly AnyDescriptor[], K extends KindOf<Ps>> = z.output<
  PluginFor<Ps, K>["schema"]
>;

/** A problem with one plugin in a registry: duplicate kind, or overlay rules naming fields that do not exist. */
export class RegistryError extends MemdescError {
  constructor(
    code: "DUPLICATE_KIND" | "OVERLAY_FIELD" | "UNKNOWN_KIND" | "UNKNOWN_LAYOUT" | "WAY_BACK",
    message: string,
  ) {
    super(code, message);
  }
}

/** A descriptor's memdesc-era size for one allocation order: the variant used, its size and its rounded size. */
export interface DescriptorSize {
  readonly variant: string;
  readonly size: number;
  /** Rounded up to the design's descriptor alignment: what a slab cache of them spends per object. */
  readonly rounded: number;
}

/** One row of a registry's type table: tag, kind, storage, what the design says, and where that comes from. */
export interface TypeTableRow {
  readonly tag: number;
  readonly kind: string;
  readonly storage: "pointer" | "inline";
  readonly meaning: string;
  readonly plugin: string;
  /** The row's source: the design's table, or, for a kind the table does not name, this project's proposal. */
  readonly provenance: Provenance | undefined;
}

/** Where a kind's layouts come from: today's, each memdesc-era variant's, and fields that differ. */
export interface KindProvenance {
  readonly today: Provenance | undefined;
  readonly memdesc: Readonly<Record<string, Provenance | undefined>>;
  readonly fields: Readonly<Record<string, Provenance>>;
}

/** One plugin's overlay rules checked against a struct page (core's, or a kernel's from BTF). */
export interface OverlayReport {
  readonly plugin: string;
  readonly kind: string;
  readonly results: readonly RuleResult[];
}

const roundUp = (n: number, to: number) => Math.ceil(n / to) * to;

/**
 * A composed descriptor set under one design: validated plugins, type tags, layouts and sizes. Its types come
 * from the plugin tuple, so `registry.kinds` is the union of the plugins' literal kinds and
 * `registry.parse("folio", v)` returns the folio plugin's value type.
 */
export class Registry<const Ps extends readonly AnyDescriptor[]> {
  readonly design: Design;
  readonly engine: LayoutEngine;
  /** Built-in kinds first, then the plugins in the order given. */
  readonly plugins: readonly AnyDescriptor[];
  readonly kinds: readonly KindOf<Ps>[];
  readonly codec: WordCodec;
  /** Core's memory uses and those its plugins declare, in the order bills list them. */
  readonly uses: readonly MemoryUse[];
  private readonly tags: ReadonlyMap<string, number>;
  private readonly byKind: ReadonlyMap<string, AnyDescriptor>;
  private readonly owners: ReadonlyMap<MemoryUse, string>;
  private readonly declaredUses: ReadonlyMap<string, { description: string; plugin: string }>;
  private readonly layoutCache = new Map<string, Layout>();
  private readonly options: RegistryOptions<Ps>;

  constructor(options: RegistryOptions<Ps>) {
    this.options = options;
    this.design = resolveDesign(options.design);
    const all: AnyDescriptor[] = [...builtinKinds];
    const byKind = new Map<string, AnyDescriptor>(all.map((p) => [p.kind, p]));
    for (const p of options.plugins) {
      if (!p || typeof p !== "object" || typeof (p as { kind?: unknown }).kind !== "string")
        throw new RegistryError(
          "UNKNOWN_KIND",
          `${pluginLabel(p)} is not a descriptor plugin made by defineDescriptor()`,
        );
      const other = byKind.get(p.kind);
      if (other)
        throw new RegistryError(
          "DUPLICATE_KIND",
          `${pluginLabel(p)} and ${pluginLabel(other)} both define kind "${p.kind}"; a registry holds one plugin per kind`,
        );
      byKind.set(p.kind, p);
      all.push(p);
    }
    this.plugins = all;
    this.byKind = byKind;
    this.kinds = all.map((p) => p.kind) as KindOf<Ps>[];
    this.engine = new LayoutEngine({
      ...(options.abi !== undefined ? { abi: options.abi } : {}),
      config: options.config ?? linux618,
      types: this.namedTypes(),
    });
    this.tags = assignTags(this.design, all);
    this.codec = new WordCodec(
      this.design,
      new Map(
        [...this.tags].map(([kind, tag]) => {
          const p = byKind.get(kind)!;
          return [kind, { tag, storage: p.storage, ...(p.payload ? { payload: p.payload } : {}) }];
        }),
      ),
    );
    this.owners = resolveOwners(all);
    const declared = new Map<string, { description: string; plugin: string }>();
    for (const p of all)
      for (const [u, description] of Object.entries(p.memoryUses ?? {}))
        if (!declared.has(u)) declared.set(u, { description, plugin: p.name });
    this.declaredUses = declared;
    this.uses = orderUses([...declared.keys()]);
    this.checkOverlayFields();
    this.checkWayBacks();
  }

  /** The same plugins under another design (tags are reassigned; layouts are shared). */
  withDesign(design: Design | string): Registry<Ps> {
    return new Registry({ ...this.options, design });
  }

  /** The type tag of a kind, or undefined in a design without a memdesc word. */
  tagOf(kind: KindOf<Ps>): number | undefined {
    this.plugin(kind);
    return this.tags.get(kind);
  }

  /** The kind a tag stands for in this registry. */
  kindOf(tag: number): KindOf<Ps> | undefined {
    for (const [kind, t] of this.tags) if (t === tag) return kind as KindOf<Ps>;
    return undefined;
  }

  plugin<K extends KindOf<Ps>>(kind: K): PluginFor<Ps, K> {
    const p = this.byKind.get(kind);
    if (!p)
      throw new RegistryError(
        "UNKNOWN_KIND",
        `no plugin of kind "${kind}" (kinds: ${this.kinds.join(", ")})`,
      );
    return p as PluginFor<Ps, K>;
  }

  /** What pages of a use are (core's words, or the declaring plugin's), or undefined for a use no one names. */
  describeUse(use: string): { readonly description: string; readonly by: string } | undefined {
    if (isCoreUse(use)) return { description: memoryUses[use], by: "@memdesc/core" };
    const d = this.declaredUses.get(use);
    return d && { description: d.description, by: d.plugin };
  }

  /** Which kind describes a memory use, or undefined if no plugin does. */
  ownerOf(use: MemoryUse): KindOf<Ps> | undefined {
    return this.owners.get(use) as KindOf<Ps> | undefined;
  }

  /** Today's layout of a kind (overlaying struct page). */
  todayLayout(kind: KindOf<Ps>): Layout {
    const p = this.plugin(kind);
    if (!p.today)
      throw new RegistryError("UNKNOWN_LAYOUT", `${pluginLabel(p)} (kind ${kind}) has no today layout`);
    return this.lay(`${kind}:today`, p.today);
  }

  /** The memdesc-era layouts of a kind, by variant name (`default` when the plugin has one). */
  memdescLayouts(kind: KindOf<Ps>): Readonly<Record<string, Layout>> {
    const p = this.plugin(kind);
    const m = p.memdesc as CType | MemdescVariants | undefined;
    if (!m) return {};
    if ("variants" in m)
      return Object.fromEntries(
        Object.entries(m.variants).map(([v, t]) => [v, this.lay(`${kind}:memdesc:${v}`, t)]),
      );
    return { default: this.lay(`${kind}:memdesc`, m as CType) };
  }

  /**
   * The separately allocated descriptor for an allocation of `order`: which variant, its size, and its size
   * rounded to the design's descriptor alignment. Inline kinds have none.
   */
  descriptorSize(kind: KindOf<Ps>, order = 0, use?: MemoryUse): DescriptorSize | undefined {
    const p = this.plugin(kind);
    const m = p.memdesc as CType | MemdescVariants | undefined;
    if (p.storage === "inline" || !m) return undefined;
    const variant = "variants" in m ? m.select(order, use) : "default";
    const layout = this.memdescLayouts(kind)[variant];
    if (!layout)
      throw new RegistryError(
        "UNKNOWN_LAYOUT",
        `${pluginLabel(p)}: select(${order}${use ? `, "${use}"` : ""}) named variant "${variant}", which it does not define`,
      );
    return { variant, size: layout.size, rounded: roundUp(layout.size, this.design.descriptorAlign) };
  }

  /** Validates a descriptor's field values with its plugin's schema; errors name the plugin and field. */
  parse<K extends KindOf<Ps>>(kind: K, value: unknown): ValueOf<Ps, K> {
    const p = this.plugin(kind);
    const result = (p.schema as z.ZodType).safeParse(value);
    if (!result.success)
      throw new ValidationError("BAD_VALUE", `${kind} value (${pluginLabel(p)})`, result.error.issues);
    return result.data as ValueOf<Ps, K>;
  }

  safeParse<K extends KindOf<Ps>>(kind: K, value: unknown): z.ZodSafeParseResult<ValueOf<Ps, K>> {
    return (this.plugin(kind).schema as z.ZodType).safeParse(value) as z.ZodSafeParseResult<ValueOf<Ps, K>>;
  }

  /** Core's struct page for this registry's ABI and configuration. */
  pageLayout(): Layout {
    return this.lay("page", page);
  }

  /**
   * Every plugin's overlay rules against a struct page: core's by default, or a kernel's (from BTF) to see
   * whether the plugins still describe that kernel.
   */
  checkOverlays(
    base: { readonly page?: Layout; readonly layouts?: ReadonlyMap<string, Layout> } = {},
  ): OverlayReport[] {
    const pageLayout = base.page ?? this.pageLayout();
    return this.plugins
      .filter((p) => p.overlay.length > 0 && p.today)
      .map((p) => ({
        plugin: p.name,
        kind: p.kind,
        results: p.overlay.flatMap((set) =>
          checkOverlay(
            set,
            this.baseLayout(set.base, pageLayout, base.layouts),
            set.desc === undefined
              ? this.todayLayout(p.kind as KindOf<Ps>)
              : this.baseLayout(set.desc, pageLayout, base.layouts),
            this.engine.config,
          ),
        ),
      }));
  }

  /**
   * The rows of this registry's type table: tag, kind, storage, what the design's table says, and its source. A
   * kind the design's table does not name gets a tag the table leaves free (or one it sets aside for a kind this
   * set lacks): that choice is this project's proposal (or the plugin's, when it asked for the tag), and says so.
   */
  typeTable(): TypeTableRow[] {
    return [...this.tags]
      .map(([kind, tag]): TypeTableRow => {
        const p = this.byKind.get(kind)!;
        const row = this.design.typeTable.find((e) => e.tag === tag);
        if (row && row.kind === kind)
          return {
            tag,
            kind,
            storage: p.storage,
            meaning: row.meaning,
            plugin: p.name,
            provenance: row.provenance ?? this.design.provenance,
          };
        const asked = preferredTag(p, this.design.name) === tag;
        const why = row
          ? `tag ${tag} is set aside for ${row.kind ?? "another type"} (${row.meaning}), which this set does not have`
          : `the ${this.design.name} table leaves tag ${tag} unassigned`;
        const reasoning = asked
          ? `${p.name} asks for tag ${tag} for ${kind}; ${why}`
          : `the ${this.design.name} table names no ${kind} type; it takes tag ${tag}, the lowest free one: ${why}`;
        return {
          tag,
          kind,
          storage: p.storage,
          meaning: `${p.title} (${p.storage})`,
          plugin: p.name,
          provenance: proposal(reasoning, asked ? p.name : "memdesc"),
        };
      })
      .sort((a, b) => a.tag - b.tag);
  }

  /**
   * The inline fields of a kind's word: the design's row for its tag when that row is the kind's (the design is
   * the authority on its own words), else the plugin's; what the word codec packs.
   */
  payloadOf(kind: KindOf<Ps>): readonly PayloadField[] {
    const p = this.plugin(kind);
    if (p.storage !== "inline") return [];
    const tag = this.tags.get(kind);
    const row = this.design.typeTable.find((e) => e.tag === tag && e.kind === kind);
    return row?.payload ?? p.payload ?? [];
  }

  /** Where a kind's layouts come from, per layout and memdesc-era variant, with the fields that differ. */
  provenanceOf(kind: KindOf<Ps>): KindProvenance {
    const p = this.plugin(kind);
    const given = p.provenance;
    const m = given?.memdesc;
    const memdesc: Record<string, Provenance | undefined> = {};
    for (const v of Object.keys(this.memdescLayouts(kind)))
      memdesc[v] = m === undefined ? undefined : "basis" in m ? (m as Provenance) : m[v];
    return { today: given?.today, memdesc, fields: { ...(given?.fields ?? {}) } };
  }

  /**
   * How a kind's memdesc-era descriptor finds its memory: the field holding its PFN (declared, or `pfn` when
   * every variant has one), what the plugin says instead, or undefined when it says nothing and has no `pfn`.
   */
  wayBackOf(kind: KindOf<Ps>): WayBack | undefined {
    const p = this.plugin(kind);
    if (p.storage !== "pointer") return undefined;
    if (p.wayBack) return p.wayBack;
    const layouts = Object.values(this.memdescLayouts(kind));
    if (layouts.length > 0 && layouts.every((l) => fieldsByPath(l).has("pfn"))) return { field: "pfn" };
    return undefined;
  }

  private lay(key: string, type: CType): Layout {
    let l = this.layoutCache.get(key);
    if (!l) {
      l = this.engine.layout(type);
      this.layoutCache.set(key, l);
    }
    return l;
  }

  private baseLayout(name: string, pageLayout: Layout, given?: ReadonlyMap<string, Layout>): Layout {
    if (name === "page") return pageLayout;
    const fromGiven = given?.get(name);
    if (fromGiven) return fromGiven;
    for (const p of this.plugins) {
      const t = p.layouts?.[name];
      if (t) return this.lay(`layout:${name}`, t);
    }
    for (const p of this.plugins)
      if (p.today && this.todayLayout(p.kind as KindOf<Ps>).name === name)
        return this.todayLayout(p.kind as KindOf<Ps>);
    throw new RegistryError(
      "UNKNOWN_LAYOUT",
      `no plugin defines struct ${name}, which an overlay rule set names`,
    );
  }

  /** Types plugins make available by name to each other's layouts (`struct netmem_desc`). */
  private namedTypes(): Map<string, CType> {
    const types = new Map<string, CType>([["struct page", page]]);
    for (const p of this.options.plugins) {
      for (const [name, t] of Object.entries(p.layouts ?? {})) types.set(`struct ${name}`, t);
      const today = p.today as { kind?: string; name?: string } | undefined;
      if (today?.name && (today.kind === "struct" || today.kind === "union"))
        types.set(`${today.kind} ${today.name}`, p.today!);
    }
    return types;
  }

  /** A declared way-back field must be in every memdesc-era layout, wide enough for a PFN. */
  private checkWayBacks(): void {
    for (const p of this.plugins) {
      const w = p.wayBack;
      if (!w || !("field" in w)) continue;
      for (const [v, l] of Object.entries(this.memdescLayouts(p.kind as KindOf<Ps>))) {
        const f = fieldsByPath(l).get(w.field);
        if (!f || f.size < 4 || f.bitSize !== undefined)
          throw new RegistryError(
            "WAY_BACK",
            `${pluginLabel(p)} (kind ${p.kind}): wayBack names field ${w.field}, which the memdesc-era layout${v === "default" ? "" : ` "${v}"`} ${f ? "has too narrow for a PFN" : "does not have"}`,
          );
      }
    }
  }

  /** A plugin's rules must name fields that exist in core's struct page and in its own layout. */
  private checkOverlayFields(): void {
    for (const report of this.checkOverlays()) {
      const bad = report.results.find((r) => r.status === "missing");
      if (bad)
        throw new RegistryError(
          "OVERLAY_FIELD",
          `plugin "${report.plugin}" (kind ${report.kind}): overlay rule ${bad.message}`,
        );
    }
  }
}

/**
 * Primary claims win, the first listed plugin keeping a use two claim. Fallback claims fill the uses nobody
 * claims, going to the most specific claimant (the one that claims the fewest uses in all), so an anon plugin
 * takes KSM pages from the folio whichever order they are listed in.
 */
function resolveOwners(plugins: readonly AnyDescriptor[]): Map<MemoryUse, string> {
  const owners = new Map<MemoryUse, string>();
  for (const p of plugins) for (const u of p.uses) if (!owners.has(u)) owners.set(u, p.kind);
  const claims = (p: AnyDescriptor) => p.uses.length + p.fallbackUses.length;
  const bySpecificity = [...plugins].sort((a, b) => claims(a) - claims(b));
  for (const p of bySpecificity) for (const u of p.fallbackUses) if (!owners.has(u)) owners.set(u, p.kind);
  return owners;
}

/**
 * Composes descriptor plugins into a registry under a design:
 *
 * ```ts
 * const registry = createRegistry({ design: "memdesc-8", plugins: [folio(), slab(), ptdesc(), ioptdesc()] });
 * registry.kinds; // ("buddy" | "misc" | "folio" | "slab" | "ptdesc" | "ioptdesc")[]
 * ```
 */
export function createRegistry<const Ps extends readonly AnyDescriptor[]>(
  options: RegistryOptions<Ps>,
): Registry<Ps> {
  return new Registry(options);
}
