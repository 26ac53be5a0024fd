/**
 * The built-in designs' names, today first, then the final design and the earlier revisions it replaces: what
 * a command line offers for `--design`, without loading the designs themselves (`@memdesc/core/design-names`).
 */
export const builtinDesignNames = [
  "today",
  "path-32",
  "buddy-16",
  "memdesc-8",
  "memdesc-8-2025",
  "memdesc-8-v1",
] as const;

export type BuiltinDesignName = (typeof builtinDesignNames)[number];

/** The design a registry takes when none is named. */
export const defaultDesignName: BuiltinDesignName = "memdesc-8";
