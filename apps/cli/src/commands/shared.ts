import type { AbiName, AnyDescriptor, Registry } from "@memdesc/core";
import { type Composition, compose } from "../config/compose.js";

/** Composes the descriptor set from the usual options (`--config`, `--design`, `--abi`). */
export function composeFrom(cwd: string, opts: Record<string, unknown>): Promise<Composition> {
  return compose({
    cwd,
    config: opts.config as string | undefined,
    design: opts.design as string | undefined,
    abi: opts.abi as AbiName | undefined,
  });
}

/** Package, version and kind of every plugin in the set, built-in kinds first. */
export function pluginRefs(comp: Composition): { package: string; version: string | null; kind: string }[] {
  return comp.plugins.map((p) => ({ package: p.package, version: p.version ?? null, kind: p.plugin.kind }));
}

/**
 * `@memdesc/folio 0.1.0 (folio, anon), @memdesc/slab 0.1.0, …` for the line that says what was composed: a package
 * that gives several plugins is named once, with their kinds.
 */
export function describeSet(comp: Composition): string {
  const groups: { name: string; kinds: string[] }[] = [];
  for (const p of comp.plugins) {
    const name = `${p.package}${p.version ? ` ${p.version}` : ""}`;
    const last = groups.at(-1);
    if (last?.name === name) last.kinds.push(p.plugin.kind);
    else groups.push({ name, kinds: [p.plugin.kind] });
  }
  const list = groups
    .map((g) => (g.kinds.length > 1 ? `${g.name} (${g.kinds.join(", ")})` : g.name))
    .join(", ");
  const from = comp.configFile ? `from ${comp.configFile}` : "the first-party set";
  return `${list || "no plugins"} (${from})`;
}

export type AnyRegistry = Registry<readonly AnyDescriptor[]>;

/** `--hvo on|off` as bill options (commander checks the choice); nothing when not given. */
export function hvoOption(opts: Record<string, unknown>): { hvo?: boolean } {
  return opts.hvo === undefined ? {} : { hvo: opts.hvo === "on" };
}
