import {
  type AnyDescriptor,
  type BuiltinDesignName,
  createRegistry,
  type Design,
  designs,
  type Registry,
} from "@memdesc/core";
import { anonFolio, folio } from "@memdesc/folio";
import { ioptdesc } from "@memdesc/ioptdesc";
import { netmem } from "@memdesc/netmem";
import { ptdesc } from "@memdesc/ptdesc";
import { slab } from "@memdesc/slab";
import { zpdesc } from "@memdesc/zpdesc";

export type AnyRegistry = Registry<readonly AnyDescriptor[]>;

/** The built-in designs, today first and the final 8-byte word last: what the design switch offers. */
export const designNames = Object.keys(designs) as BuiltinDesignName[];

export const defaultDesignName: BuiltinDesignName = "memdesc-8";

export function designOf(name: string): Design {
  return (designs as Record<string, Design>)[name] ?? designs[defaultDesignName];
}

/**
 * The first-party plugins in the order `memdesc` composes them when no config names a set (apps/cli's
 * `firstPartySet`): each package, and the export that makes the plugin where a package has more than one
 * (`@memdesc/folio` gives folio and anonFolio), each built with its default options. The order matters: it
 * decides which plugin owns a memory use two of them claim, and so the bill.
 */
export const firstPartySet: readonly { readonly package: string; readonly export?: string }[] = [
  { package: "@memdesc/folio", export: "folio" },
  { package: "@memdesc/folio", export: "anonFolio" },
  { package: "@memdesc/slab" },
  { package: "@memdesc/ptdesc" },
  { package: "@memdesc/ioptdesc" },
  { package: "@memdesc/zpdesc" },
  { package: "@memdesc/netmem" },
];

/** The package of each first-party plugin, in order (@memdesc/folio twice: folio and anon_folio). */
export const firstPartyPackages: readonly string[] = firstPartySet.map((e) => e.package);

let plugins: readonly AnyDescriptor[] | undefined;

/** The first-party plugin objects, made once. */
export function firstPartyPlugins(): readonly AnyDescriptor[] {
  plugins ??= [folio(), anonFolio(), slab(), ptdesc(), ioptdesc(), zpdesc(), netmem()];
  return plugins;
}

const registries = new Map<string, AnyRegistry>();

/**
 * The registry `memdesc survey --design NAME` composes without a config: the first-party set under a design,
 * for the lp64 ABI and Linux 6.18's configuration (core's defaults). Cached per design.
 */
export function firstPartyRegistry(design: string = defaultDesignName): AnyRegistry {
  let r = registries.get(design);
  if (!r) {
    r = createRegistry({ design: designOf(design), abi: "lp64", plugins: firstPartyPlugins() });
    registries.set(design, r);
  }
  return r;
}

/** A colour per built-in design, for the charts; the same in every view. */
export const designColors: Readonly<Record<string, string>> = {
  today: "#8a8a8a",
  "path-32": "#e8743b",
  "buddy-16": "#945ecf",
  "memdesc-8": "#2f7ed8",
  "memdesc-8-2025": "#3fb5a0",
  "memdesc-8-v1": "#19a979",
};
