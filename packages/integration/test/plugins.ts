import { createRegistry, type Design } from "@memdesc/core";
import { firstPartyPlugins } from "@memdesc/first-party";

/**
 * Every first-party descriptor plugin with default options, in the order `memdesc` composes them: the one list
 * in @memdesc/first-party that the CLI and the explorer compose too.
 */
export const allPlugins = firstPartyPlugins;

/**
 * What that list must hold, written out here as the tests' expectation: each kind and the npm package its
 * plugin comes from (@memdesc/folio gives both struct folio and the inferred struct anon_folio), in order.
 */
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
