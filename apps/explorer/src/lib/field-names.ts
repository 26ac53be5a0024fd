import { miscSubtypes } from "@memdesc/core";

/**
 * The named values of an inline field, from core's design data: Misc's subtypes (the plan's table: zero page,
 * vmalloc, guard, offline, kmalloc_large, …). Other fields are plain numbers.
 */
export function namedValues(kind: string, field: string): Readonly<Record<string, number>> | undefined {
  return kind === "misc" && field === "subtype" ? miscSubtypes : undefined;
}

/** `zero` for Misc's subtype 1; undefined for a value with no name (or a field without names). */
export function valueName(kind: string, field: string, value: bigint): string | undefined {
  const names = namedValues(kind, field);
  if (!names) return undefined;
  return Object.entries(names).find(([, v]) => BigInt(v) === value)?.[0];
}
