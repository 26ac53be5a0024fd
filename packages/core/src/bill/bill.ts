import { z } from "zod";
import { billedDesigns, resolveDesign, today } from "../design/builtin.js";
import type { Design } from "../design/schema.js";
import type { AnyDescriptor } from "../plugin/define.js";
import type { Registry } from "../registry/registry.js";
import { parseWith } from "../validate.js";
import { type PictureInput, pictureSchema } from "./picture.js";
import { type MemoryUse, memoryUseNames, unbackedUses } from "./uses.js";

const bytes = z.number().int().nonnegative();

/** One product in a bill: `count × size`. */
export const billTermSchema = z.object({
  what: z.string(),
  count: bytes,
  size: bytes,
  bytes,
});

export const useBillSchema = z.object({
  use: z.enum(memoryUseNames as [MemoryUse, ...MemoryUse[]]),
  /** The registry kind that describes this use, if any. */
  kind: z.string().optional(),
  pages: bytes,
  descriptors: bytes,
  entryBytes: bytes,
  descriptorBytes: bytes,
  total: bytes,
  terms: z.array(billTermSchema),
  /** `262,144 × 8 + 262,144 × 80 = 23,068,672` */
  arithmetic: z.string(),
  note: z.string().optional(),
});

export const designBillSchema = z.object({
  design: z.string(),
  title: z.string(),
  entryBytes: bytes,
  uses: z.array(useBillSchema),
  entries: bytes,
  descriptors: bytes,
  total: bytes,
  mib: z.number(),
  percentOfRam: z.number(),
  /** Bytes saved against today's 64-byte struct page (negative when the design costs more). */
  savingVsToday: z.number().int(),
});

export const billSchema = z.object({
  source: z.string().optional(),
  pageSize: z.number().int().positive(),
  /** Pages that have a struct page (holes excluded). */
  ramPages: bytes,
  ramBytes: bytes,
  designs: z.array(designBillSchema),
  warnings: z.array(z.string()),
});

export type BillTerm = z.output<typeof billTermSchema>;
export type UseBill = z.output<typeof useBillSchema>;
export type DesignBill = z.output<typeof designBillSchema>;
export type Bill = z.output<typeof billSchema>;

export interface BillOptions {
  /** Designs to price the picture under (default: today, path-32, buddy-16, memdesc-8, plus the registry's). */
  readonly designs?: readonly (Design | string)[];
}

const n = (v: number) => v.toLocaleString("en-US");
const MiB = 1024 * 1024;

/**
 * Prices a memory picture under each design: per use, `pages × entry size + descriptors × rounded descriptor
 * size`, with the arithmetic written out. Today's descriptors overlay struct page and cost nothing extra;
 * inline kinds (buddy, misc) never allocate a descriptor; holes have no struct page at all.
 */
export function bill<Ps extends readonly AnyDescriptor[]>(
  registry: Registry<Ps>,
  pictureInput: PictureInput,
  options: BillOptions = {},
): Bill {
  const picture = parseWith(pictureSchema, pictureInput, "BAD_PICTURE", "memory picture");
  const designs = (options.designs ?? defaultDesigns(registry.design)).map(resolveDesign);
  const warnings: string[] = [];
  const uses = memoryUseNames.filter((u) => picture.uses[u] !== undefined);
  const ramPages = uses.filter((u) => !unbackedUses.has(u)).reduce((s, u) => s + picture.uses[u]!.pages, 0);
  const ramBytes = ramPages * picture.pageSize;

  for (const u of uses) {
    const e = picture.uses[u]!;
    if (e.descriptors > 0 && registry.ownerOf(u) === undefined)
      warnings.push(
        `no plugin describes ${u} pages; their ${n(e.descriptors)} descriptors are billed at 0 bytes`,
      );
    if (e.descriptors > 0 && !e.orders)
      warnings.push(`${u}: no order histogram, so all ${n(e.descriptors)} descriptors are priced as order 0`);
  }

  const priced = designs.map((design): Omit<DesignBill, "savingVsToday"> => {
    const useBills = uses.map((u) => billUse(registry, design, u, picture.uses[u]!));
    const entries = useBills.reduce((s, b) => s + b.entryBytes, 0);
    const descriptors = useBills.reduce((s, b) => s + b.descriptorBytes, 0);
    const total = entries + descriptors;
    return {
      design: design.name,
      title: design.title,
      entryBytes: design.entryBytes,
      uses: useBills,
      entries,
      descriptors,
      total,
      mib: total / MiB,
      percentOfRam: ramBytes === 0 ? 0 : (total / ramBytes) * 100,
    };
  });
  const todayTotal = ramPages * today.entryBytes;
  return {
    ...(picture.source !== undefined ? { source: picture.source } : {}),
    pageSize: picture.pageSize,
    ramPages,
    ramBytes,
    designs: priced.map((d) => ({ ...d, savingVsToday: todayTotal - d.total })),
    warnings,
  };
}

function defaultDesigns(registryDesign: Design): Design[] {
  return billedDesigns.some((d) => d.name === registryDesign.name)
    ? [...billedDesigns]
    : [...billedDesigns, registryDesign];
}

function billUse<Ps extends readonly AnyDescriptor[]>(
  registry: Registry<Ps>,
  design: Design,
  use: MemoryUse,
  entry: { pages: number; descriptors: number; orders?: Record<string, number> | undefined },
): UseBill {
  const kind = registry.ownerOf(use);
  const backed = !unbackedUses.has(use);
  const terms: BillTerm[] = [];
  const entryBytes = backed ? entry.pages * design.entryBytes : 0;
  if (backed)
    terms.push({ what: "page entries", count: entry.pages, size: design.entryBytes, bytes: entryBytes });
  let note: string | undefined;
  if (!backed) note = "no RAM, so no struct page";
  else if (design.overlay) note = "descriptors overlay struct page";
  else if (kind === undefined && entry.descriptors > 0) note = "no plugin describes these pages";
  else if (kind !== undefined && entry.descriptors > 0) {
    const plugin = registry.plugin(kind);
    if (plugin.storage === "inline") note = `${kind} data is inline in the word`;
    else {
      const orders = entry.orders ?? { "0": entry.descriptors };
      // One term per variant (small and large folios), summing the orders that use it.
      const byVariant = new Map<string, BillTerm>();
      for (const [order, count] of Object.entries(orders)) {
        if (count === 0) continue;
        const d = registry.descriptorSize(kind, Number(order))!;
        const size = Math.ceil(d.size / design.descriptorAlign) * design.descriptorAlign;
        const what = d.variant === "default" ? `${kind} descriptors` : `${kind} descriptors (${d.variant})`;
        const t = byVariant.get(what) ?? { what, count: 0, size, bytes: 0 };
        byVariant.set(what, { ...t, count: t.count + count, bytes: t.bytes + count * size });
      }
      terms.push(...byVariant.values());
    }
  }
  const descriptorBytes = terms.slice(backed ? 1 : 0).reduce((s, t) => s + t.bytes, 0);
  const total = entryBytes + descriptorBytes;
  const arithmetic =
    terms.length === 0
      ? "0"
      : `${terms.map((t) => `${n(t.count)} × ${n(t.size)}`).join(" + ")} = ${n(total)}`;
  return {
    use,
    ...(kind !== undefined ? { kind } : {}),
    pages: entry.pages,
    descriptors: entry.descriptors,
    entryBytes,
    descriptorBytes,
    total,
    terms,
    arithmetic,
    ...(note !== undefined ? { note } : {}),
  };
}
