import type { PayloadField, Provenance } from "@memdesc/core";
import type { AnyRegistry } from "../../lib/registry.js";

/** A row of the type table: the registry's kinds and tags, with the inline fields the codec uses and its source. */
export interface TypeRow {
  readonly tag: number;
  readonly kind: string;
  readonly storage: "pointer" | "inline";
  readonly plugin: string;
  readonly meaning: string;
  readonly provenance: Provenance | undefined;
  readonly payload: readonly PayloadField[];
}

/** The inline fields of a kind as the registry's codec packs them (core's `Registry.payloadOf`). */
export function payloadOf(registry: AnyRegistry, kind: string): readonly PayloadField[] {
  return registry.payloadOf(kind);
}

/**
 * How many words a page entry holds inline fields in: 1 for the memdesc word alone, 2 for BuddyAllocator
 * Option 1 (buddy-16), whose free pages keep `prev` and the order in the entry's second word.
 */
export function entryWords(registry: AnyRegistry): number {
  let n = 1;
  for (const kind of registry.kinds)
    for (const f of payloadOf(registry, kind)) n = Math.max(n, (f.word ?? 0) + 1);
  return n;
}

export function typeRows(registry: AnyRegistry): TypeRow[] {
  if (registry.design.typeBits === 0) return [];
  return registry.typeTable().map((t) => ({ ...t, payload: payloadOf(registry, t.kind) }));
}

/** Tags the design sets aside for kinds that are not in this set (`ksm`, `movable`, …). */
export function unassignedRows(registry: AnyRegistry) {
  const rows = registry.typeTable();
  const taken = new Set(rows.map((t) => t.tag));
  const kinds = new Set(rows.map((t) => t.kind));
  return registry.design.typeTable.filter((e) => !taken.has(e.tag) && !(e.kind && kinds.has(e.kind)));
}
