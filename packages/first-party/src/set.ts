import type { AnyDescriptor } from "@memdesc/core";
import { anonFolio, folio } from "@memdesc/folio";
import { ioptdesc } from "@memdesc/ioptdesc";
import { netmem } from "@memdesc/netmem";
import { ptdesc } from "@memdesc/ptdesc";
import { slab } from "@memdesc/slab";
import { zpdesc } from "@memdesc/zpdesc";

/** One first-party plugin: the package and export it comes from, and its factory. */
export interface FirstPartyPlugin {
  readonly package: string;
  readonly export: string;
  readonly make: () => AnyDescriptor;
}

/**
 * The first-party descriptor plugins, in the order memdesc composes them when no config names a set. The order
 * decides which plugin owns a memory use two of them claim, and so the bill: `@memdesc/folio` gives both struct
 * folio and struct anon_folio (which bills anonymous memory under the plan's Anon type).
 */
export const firstPartySet = [
  { package: "@memdesc/folio", export: "folio", make: folio },
  { package: "@memdesc/folio", export: "anonFolio", make: anonFolio },
  { package: "@memdesc/slab", export: "slab", make: slab },
  { package: "@memdesc/ptdesc", export: "ptdesc", make: ptdesc },
  { package: "@memdesc/ioptdesc", export: "ioptdesc", make: ioptdesc },
  { package: "@memdesc/zpdesc", export: "zpdesc", make: zpdesc },
  { package: "@memdesc/netmem", export: "netmem", make: netmem },
] as const satisfies readonly FirstPartyPlugin[];

/** The plugins the set makes, typed one by one, so a registry composed of them knows every kind's value type. */
export type FirstPartyPlugins = Made<typeof firstPartySet>;

type Made<S extends readonly FirstPartyPlugin[]> = {
  -readonly [I in keyof S]: S[I] extends { make: () => infer D } ? D : never;
};

/** The first-party packages, each once. */
export const firstPartyPackages: readonly string[] = [...new Set(firstPartySet.map((p) => p.package))];

/** The first-party plugins with their default options, in the set's order. */
export function firstPartyPlugins(): FirstPartyPlugins {
  return firstPartySet.map((p) => p.make()) as unknown as FirstPartyPlugins;
}
