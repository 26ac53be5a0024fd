import type { Field, Layout } from "./types.js";

const indexes = new WeakMap<Layout, ReadonlyMap<string, Field>>();

/** The named fields of a layout by C access path (`lru`, `desc._flags`), built once per layout. */
export function fieldsByPath(layout: Layout): ReadonlyMap<string, Field> {
  let index = indexes.get(layout);
  if (!index) {
    index = new Map(layout.fields.filter((f) => !f.anonymous).map((f) => [f.path, f]));
    indexes.set(layout, index);
  }
  return index;
}

/** A field by its C access path, or undefined. */
export function findField(layout: Layout, path: string): Field | undefined {
  return fieldsByPath(layout).get(path);
}

/** `struct page`, `union foo`, or the typedef name of an anonymous aggregate. */
export function layoutLabel(layout: Layout): string {
  if (layout.name) return `${layout.kind} ${layout.name}`;
  return layout.typedefName ?? `anonymous ${layout.kind}`;
}
