import { accessSync, constants } from "node:fs";
import type { Btf } from "@memdesc/btf";
import {
  type AnyDescriptor,
  type CType,
  fieldsByPath,
  formatCompare,
  formatPahole,
  HPAGE_PUD_ORDER,
  layoutLabel,
  type MemdescVariants,
  type MemoryUse,
  page,
} from "@memdesc/core";
import { builtinDesignNames } from "@memdesc/core/design-names";
import type { Composition } from "../config/compose.js";
import type { Context } from "../context.js";
import { UserError } from "../errors.js";
import { printJson } from "../output/json.js";
import type { LayoutOutput } from "../schemas.js";
import { kernelBtf, loadBtf } from "./btf.js";
import { entry, type Shown } from "./layout-entry.js";
import { composeFrom } from "./shared.js";

/**
 * `memdesc layout NAME` for what needs the composed set: a plugin's kind (its descriptor in the chosen design, or
 * today's overlay with `--design today`; with `--btf` and `--compare`, against the kernel's struct), `page`, a
 * struct a plugin defines, else the running kernel's struct of that name.
 */
export default async function layoutPlugin(
  ctx: Context,
  opts: Record<string, unknown>,
  name: string,
  btf: Btf | undefined,
): Promise<void> {
  const comp = await composeFrom(ctx.cwd, btf ? { ...opts, abi: btf.abi } : opts);
  const plugin = findPlugin(comp, name);
  let shown: Shown[];
  let source: LayoutOutput["source"];
  if (plugin) {
    source = "plugin";
    shown = pluginLayouts(comp, plugin, opts, btf);
  } else if (!btf && name === "page") {
    source = "core";
    const page = comp.registry.pageLayout();
    shown = [entry("page", "struct page (core's model of Linux 6.18)", page, null, null, null)];
  } else if (!btf && pluginStruct(comp, name)) {
    source = "plugin";
    const [p, type] = pluginStruct(comp, name)!;
    const l = comp.registry.engine.layout(type);
    shown = [entry("today", `${layoutLabel(l)} (${p.name})`, l, null, null, null)];
  } else {
    const kernel = btf ?? liveBtf(ctx, name, comp);
    source = "btf";
    const l = kernel.layout(name);
    shown = [entry("btf", `${layoutLabel(l)} from ${kernel.file}`, l, null, null, null)];
    if (opts.compare) throw compareNeedsPlugin(name, comp);
  }
  const output: LayoutOutput = {
    name,
    source,
    btf: btf?.file ?? (source === "btf" ? kernelBtf : null),
    design: source === "plugin" ? (opts.compare ? comp.design.name : designShown(comp, opts)) : null,
    layouts: shown.map(({ full: _full, comment: _comment, ...rest }) => rest),
  };
  if (ctx.json) return printJson(ctx, output);
  const { c } = ctx;
  // Plugin layouts name each other's structs (`struct netmem_desc`): pahole's holes inside them need the types.
  const fmt = source === "btf" ? {} : { config: comp.registry.engine.config, types: namedTypes(comp) };
  if (opts.compare) {
    const [today, ...memdesc] = shown;
    let out = "";
    for (const m of memdesc) {
      out += `${c.dim(`/* left: ${today!.comment} */`)}\n${c.dim(`/* right: ${m.comment} */`)}\n`;
      out += `${formatCompare(today!.full, m.full, { left: today!.role === "btf" ? {} : fmt, right: fmt })}\n`;
    }
    return ctx.out(out.replace(/\n+$/, "\n"));
  }
  if (source === "btf") return ctx.out(formatPahole(shown[0]!.full, fmt));
  ctx.out(shown.map((s) => `${c.dim(`/* ${s.comment} */`)}\n${formatPahole(s.full, fmt)}`).join("\n"));
}

/** The structs plugins make available by name, as the registry gives them to its layout engine. */
function namedTypes(comp: Composition): Map<string, CType> {
  const types = new Map<string, CType>([["struct page", page]]);
  for (const p of comp.registry.plugins) {
    for (const [name, t] of Object.entries(p.layouts ?? {})) types.set(`struct ${name}`, t);
    const today = p.today as { kind?: string; name?: string } | undefined;
    if (p.today && today?.name && (today.kind === "struct" || today.kind === "union"))
      types.set(`${today.kind} ${today.name}`, p.today);
  }
  return types;
}

/** A plugin by kind (`folio`) or by the name of its today struct (`anon_folio`). */
function findPlugin(comp: Composition, name: string): AnyDescriptor | undefined {
  const all = comp.registry.plugins;
  return (
    all.find((p) => p.kind === name) ??
    all.find((p) => p.today && (p.today as { name?: string }).name === name && p.storage === "pointer")
  );
}

/** A struct a plugin defines for its overlay rules or layouts (`iommu_pages_list`, `netmem_desc`). */
function pluginStruct(comp: Composition, name: string): [AnyDescriptor, CType] | undefined {
  for (const p of comp.registry.plugins) {
    const t = p.layouts?.[name];
    if (t) return [p, t];
  }
  return undefined;
}

function designShown(comp: Composition, opts: Record<string, unknown>): string {
  return typeof opts.design === "string" ? opts.design : comp.design.name;
}

function pluginLayouts(
  comp: Composition,
  p: AnyDescriptor,
  opts: Record<string, unknown>,
  btf: Btf | undefined,
): Shown[] {
  const registry = comp.registry;
  const kind = p.kind;
  if (p.storage === "inline" || !p.today)
    throw new UserError(
      `${kind} is an inline kind: its data lives in the memdesc word, not in a struct`,
      "see its bits with `memdesc types`",
      { code: "INLINE_KIND" },
    );
  const design = comp.design;
  const align = design.descriptorAlign;
  const todayLayout = () => {
    if (btf) {
      const structName = registry.todayLayout(kind).name ?? kind;
      if (btf.findStruct(structName) === undefined)
        throw new UserError(
          `${btf.file} has no struct ${structName}`,
          "compare against a kernel that has it, or leave out --btf",
        );
      const l = btf.layout(structName);
      return entry("btf", `struct ${structName} today, from ${btf.file}`, l, null, null, null);
    }
    const l = registry.todayLayout(kind);
    const title = `${layoutLabel(l)} today (${p.name}, overlays struct page; ${l.abi})`;
    return entry("today", title, l, null, null, null, title, {
      provenance: registry.provenanceOf(kind).today,
    });
  };
  const memdesc = (): Shown[] => {
    if (design.name === "today") return [];
    const layouts = registry.memdescLayouts(kind);
    const m = p.memdesc as MemdescVariants | CType;
    const select = "variants" in m ? m.select : () => "default";
    const sources = registry.provenanceOf(kind);
    const back = registry.wayBackOf(kind);
    const names = Object.keys(layouts);
    const wanted = typeof opts.variant === "string" ? opts.variant : undefined;
    if (wanted !== undefined && !names.includes(wanted))
      throw new UserError(
        `${kind} has no variant "${wanted}" (variants: ${names.join(", ")})`,
        names.length > 1 ? `pick one of ${names.join(", ")}` : "leave out --variant: it has one layout",
      );
    return names
      .filter((v) => wanted === undefined || v === wanted)
      .map((v) => {
        const l = layouts[v]!;
        const orders: number[] = [];
        const uses = new Set<string>();
        for (let o = 0; o <= HPAGE_PUD_ORDER; o++) {
          if (selects(select, o) === v) orders.push(o);
          for (const u of p.uses) if (selects(select, o, u) === v && selects(select, o) !== v) uses.add(u);
        }
        const rounded = Math.ceil(l.size / align) * align;
        const which = uses.size > 0 ? `${[...uses].join(", ")} folios` : orderText(orders);
        const what = v === "default" ? "" : `, variant "${v}" (${which})`;
        const title = `${layoutLabel(l)} in ${design.name}${what}`;
        const comment = `${p.name}: ${title}: ${l.size} bytes, ${rounded} in a ${align}-byte aligned slab cache; ${l.abi}`;
        const wayBack =
          back === undefined
            ? undefined
            : "field" in back
              ? (() => {
                  const f = fieldsByPath(l).get(back.field)!;
                  return { field: back.field, offset: f.offset, size: f.size };
                })()
              : { how: back.how, provenance: back.provenance };
        return entry("memdesc", title, l, v, orders, rounded, comment, {
          provenance: sources.memdesc[v],
          fields: sources.fields,
          wayBack,
        });
      });
  };
  if (opts.compare) {
    const right = memdesc();
    if (right.length === 0)
      throw new UserError(
        "--compare needs a memdesc-era design, not today",
        `leave out --design today, or pick ${builtinDesignNames.filter((n) => n !== "today").join(", ")}`,
      );
    return [todayLayout(), ...right];
  }
  if (design.name === "today") return [todayLayout()];
  return memdesc();
}

/** The variant an order selects, or undefined for an order the plugin does not allocate (folio order 11). */
function selects(
  select: (order: number, use?: MemoryUse) => string,
  order: number,
  use?: MemoryUse,
): string | undefined {
  try {
    return select(order, use);
  } catch {
    return undefined;
  }
}

/** `order 0`, `orders 1–18`, `orders 0, 2–5` */
function orderText(orders: number[]): string {
  if (orders.length === 0) return "no order selects it";
  const parts: string[] = [];
  for (let i = 0; i < orders.length; ) {
    let j = i;
    while (j + 1 < orders.length && orders[j + 1] === orders[j]! + 1) j++;
    parts.push(i === j ? String(orders[i]) : `${orders[i]}–${orders[j]}`);
    i = j + 1;
  }
  return `${orders.length === 1 ? "order" : "orders"} ${parts.join(", ")}`;
}

/** The running kernel's BTF, for a NAME that no plugin defines. */
function liveBtf(ctx: Context, name: string, comp: Composition): Btf {
  try {
    accessSync(kernelBtf, constants.R_OK);
  } catch {
    const kinds = comp.registry.plugins.filter((p) => p.storage === "pointer").map((p) => p.kind);
    throw new UserError(
      `no plugin kind or struct is named "${name}", and ${kernelBtf} cannot be read to look it up`,
      `plugin kinds: ${kinds.join(", ")}, page; for a kernel struct pass --btf FILE`,
      { code: "UNKNOWN_NAME" },
    );
  }
  return loadBtf(kernelBtf, ctx.cwd);
}

function compareNeedsPlugin(name: string, comp: Composition): UserError {
  const kinds = comp.registry.plugins.filter((p) => p.storage === "pointer").map((p) => p.kind);
  return new UserError(
    `--compare needs a plugin's kind; "${name}" is a struct with no memdesc-era layout`,
    `plugin kinds: ${kinds.join(", ")}`,
  );
}
