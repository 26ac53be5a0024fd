import { createRegistry, type Design } from "@memdesc/core";
import { anonFolio, folio } from "@memdesc/folio";
import { ioptdesc } from "@memdesc/ioptdesc";
import { netmem } from "@memdesc/netmem";
import { ptdesc } from "@memdesc/ptdesc";
import { slab } from "@memdesc/slab";
import { zpdesc } from "@memdesc/zpdesc";

/**
 * Every first-party descriptor plugin, with default options, in the order `memdesc` composes them (apps/cli's
 * `firstPartySet`): @memdesc/folio gives both struct folio and the inferred struct anon_folio.
 */
export const allPlugins = () =>
  [folio(), anonFolio(), slab(), ptdesc(), ioptdesc(), zpdesc(), netmem()] as const;

/** The npm packages those plugins come from, by kind. */
export const pluginPackages = {
  folio: "@memdesc/folio",
  anon: "@memdesc/folio",
  slab: "@memdesc/slab",
  ptdesc: "@memdesc/ptdesc",
  ioptdesc: "@memdesc/ioptdesc",
  zpdesc: "@memdesc/zpdesc",
  netmem: "@memdesc/netmem",
} as const;

export const composeAll = (design?: Design | string) => createRegistry({ design, plugins: allPlugins() });
