/**
 * Every error a user can cause carries a stable `code` and names what it is about (plugin, struct, field,
 * file or offset), so the CLI can print one line instead of a stack trace.
 */
export class MemdescError extends Error {
  readonly code: string;
  constructor(code: string, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = new.target.name;
    this.code = code;
  }
}

/** Where in a C description something went wrong: `struct page` → field `lru`. */
export interface TypeSite {
  readonly plugin?: string | undefined;
  readonly struct?: string | undefined;
  readonly field?: string | undefined;
}

export function describeSite(site: TypeSite): string {
  const parts: string[] = [];
  if (site.plugin) parts.push(`plugin ${site.plugin}`);
  if (site.struct) parts.push(site.struct);
  if (site.field) parts.push(`field ${site.field}`);
  return parts.join(", ");
}

/** A C description that cannot be laid out: unknown type, duplicate field, bad bitfield or array. */
export class LayoutError extends MemdescError {
  readonly site: TypeSite;
  constructor(
    code:
      | "UNKNOWN_TYPE"
      | "DUPLICATE_FIELD"
      | "ARRAY_LENGTH"
      | "BITFIELD_WIDTH"
      | "INCOMPLETE_TYPE"
      | "BAD_ALIGNMENT"
      | "FLEXIBLE_ARRAY"
      | "BAD_TYPE",
    detail: string,
    site: TypeSite,
  ) {
    const where = describeSite(site);
    super(code, where ? `${where}: ${detail}` : detail);
    this.site = site;
  }
}
