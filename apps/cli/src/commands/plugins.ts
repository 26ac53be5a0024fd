import { billedDesigns, builtinKinds, type DescriptorSize, type MemdescVariants } from "@memdesc/core";
import type { Composition } from "../config/compose.js";
import { cliDir, resolvePackage } from "../config/resolve.js";
import type { Context } from "../context.js";
import { displayPath } from "../io/path.js";
import { printJson } from "../output/json.js";
import { type Column, table } from "../output/table.js";
import type { PluginsOutput } from "../schemas.js";
import { type AnyRegistry, composeFrom } from "./shared.js";

/** `memdesc plugins`: the composed set, with tags and descriptor sizes under every design. */
export default async function plugins(ctx: Context, opts: Record<string, unknown>): Promise<void> {
  const comp = await composeFrom(ctx.cwd, opts);
  const output = pluginsOutput(comp);
  if (ctx.json) return printJson(ctx, output);
  const { c } = ctx;
  const priced = billedDesigns.filter((d) => d.name !== "today").map((d) => d.name);
  const columns: Column[] = [
    { header: "package" },
    { header: "version" },
    { header: "kind" },
    { header: `tag (${comp.design.name})`, align: "right" },
    { header: "today", align: "right" },
    ...priced.map((d) => ({ header: d, align: "right" as const })),
  ];
  const variants = new Set<string>();
  const rows = output.plugins.map((p) => {
    const sizes = priced.map((d) => {
      const v = p.descriptor[d] ?? [];
      if (v.length === 0) return p.storage === "inline" ? "inline" : "-";
      for (const x of v) if (x.variant !== "default") variants.add(`${p.kind}: ${x.variant}`);
      return v.map((x) => String(x.rounded)).join("/");
    });
    return [
      p.package,
      p.version ?? "-",
      p.kind,
      p.tag === null ? "-" : String(p.tag),
      p.todaySize === null ? "-" : String(p.todaySize),
      ...sizes,
    ];
  });
  const source = comp.configFile
    ? displayPath(comp.configFile, ctx.cwd)
    : "no config file: the first-party set";
  ctx.out(`${c.bold("descriptor set")}: ${source}; design ${comp.design.name}, ABI ${comp.abi}\n`);
  ctx.out(`config: ${comp.config.why}\n\n`);
  ctx.out(table(columns, rows, { header: c.bold }));
  ctx.out(
    `\nsizes in bytes: today = sizeof the overlay of struct page; per design = the separately allocated\ndescriptor rounded to the design's ${comp.design.descriptorAlign}-byte alignment${variants.size ? `; a/b = variants (${[...variants].join(", ")})` : ""}\n`,
  );
}

export function pluginsOutput(comp: Composition): PluginsOutput {
  const registry = comp.registry;
  const priced = billedDesigns.filter((d) => d.name !== "today");
  // The built-in inline kinds come with the CLI's own @memdesc/core.
  const coreVersion = resolvePackage("@memdesc/core", cliDir())?.version;
  const builtins = builtinKinds.map((p) => ({
    plugin: p,
    package: p.name,
    version: coreVersion,
    from: "builtin" as const,
    key: undefined,
  }));
  return {
    config: comp.configFile ?? null,
    configChoice: { how: comp.config.how, why: comp.config.why },
    design: comp.design.name,
    abi: comp.abi,
    plugins: [...builtins, ...comp.plugins].map((p) => {
      const kind = p.plugin.kind;
      const descriptor: Record<string, DescriptorSize[]> = {};
      for (const d of priced) descriptor[d.name] = sizes(registry, kind, d.descriptorAlign);
      let todaySize: number | null = null;
      if (p.plugin.today) todaySize = registry.todayLayout(kind).size;
      return {
        package: p.package,
        version: p.version ?? null,
        kind,
        title: p.plugin.title,
        storage: p.plugin.storage,
        from: p.from,
        key: p.key ?? null,
        tag: registry.tagOf(kind) ?? null,
        todaySize,
        descriptor,
      };
    }),
  };
}

/** Every variant of a kind's descriptor, with its size rounded to a design's descriptor alignment. */
function sizes(registry: AnyRegistry, kind: string, align: number): DescriptorSize[] {
  const p = registry.plugin(kind);
  if (p.storage === "inline" || !p.memdesc) return [];
  const layouts = registry.memdescLayouts(kind);
  const m = p.memdesc as MemdescVariants | object;
  const names = "variants" in m ? Object.keys(m.variants) : ["default"];
  return names.map((variant) => {
    const size = layouts[variant]!.size;
    return { variant, size, rounded: Math.ceil(size / align) * align };
  });
}
