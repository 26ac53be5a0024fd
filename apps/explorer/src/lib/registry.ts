import {
  type AnyDescriptor,
  type BuiltinDesignName,
  builtinDesignNames,
  createRegistry,
  type Design,
  defaultDesignName,
  designs,
  type Registry,
} from "@memdesc/core";
import { firstPartySet } from "@memdesc/first-party";

export { defaultDesignName };

export type AnyRegistry = Registry<readonly AnyDescriptor[]>;

/** The built-in designs, today first and the final 8-byte word after it (core's list): what the design switch offers. */
export const designNames: readonly BuiltinDesignName[] = builtinDesignNames;

export function designOf(name: string): Design {
  return (designs as Record<string, Design>)[name] ?? designs[defaultDesignName];
}

/**
 * The package of each first-party plugin (@memdesc/first-party's set, the one `memdesc` composes when no config
 * names a set), in order: what a survey file billed with that set lists. The order matters: it decides which
 * plugin owns a memory use two of them claim, and so the bill.
 */
export const firstPartyPackages: readonly string[] = firstPartySet.map((p) => p.package);

let plugins: readonly AnyDescriptor[] | undefined;

/** The first-party plugin objects with their default options, made once. */
export function firstPartyPlugins(): readonly AnyDescriptor[] {
  plugins ??= firstPartySet.map((p) => p.make());
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

/** What a memory use is, as the composed plugin (or core) declares it: for labels and notes. */
export function descriptionOf(registry: AnyRegistry, use: string): string {
  return registry.describeUse(use)?.description ?? "no composed plugin declares it";
}
