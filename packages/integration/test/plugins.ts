import { createRegistry, type Design } from "@memdesc/core";
import { folio } from "@memdesc/folio";
import { ioptdesc } from "@memdesc/ioptdesc";
import { netmem } from "@memdesc/netmem";
import { ptdesc } from "@memdesc/ptdesc";
import { slab } from "@memdesc/slab";
import { zpdesc } from "@memdesc/zpdesc";

/** Every first-party descriptor plugin, with default options, as a user composes them. */
export const allPlugins = () => [folio(), slab(), ptdesc(), ioptdesc(), zpdesc(), netmem()] as const;

/** The npm packages those plugins come from, by kind. */
export const pluginPackages = {
  folio: "@memdesc/folio",
  slab: "@memdesc/slab",
  ptdesc: "@memdesc/ptdesc",
  ioptdesc: "@memdesc/ioptdesc",
  zpdesc: "@memdesc/zpdesc",
  netmem: "@memdesc/netmem",
} as const;

export const composeAll = (design?: Design | string) => createRegistry({ design, plugins: allPlugins() });
