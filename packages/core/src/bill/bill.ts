import { z } from "zod";
import { billedDesigns, resolveDesign, today } from "../design/builtin.js";
import type { Design } from "../design/schema.js";
import { MemdescError } from "../errors.js";
import { thousands } from "../format.js";
import { PAGE_SIZE } from "../kernel/constants.js";
import type { AnyDescriptor } from "../plugin/define.js";
import { provenanceSchema } from "../provenance/provenance.js";
import type { Registry } from "../registry/registry.js";
import { parseWith } from "../validate.js";
import { type PictureInput, pictureSchema } from "./picture.js";
import { type MemoryUse, unbackedUses } from "./uses.js";

const bytes = z.number().int().nonnegative();

/** One product in a bill: `count × size`. */
export const billTermSchema = z.object({
  what: z.string(),
  count: bytes,
  size: bytes,
  bytes,
});

export const useBillSchema = z.object({
  /** Core's memory use, or one a plugin declares. */
  use: z.string(),
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

/** Memory a design needs outside the memmap: `ramPages × bytes per page`, with its source. */
export const outsideBillSchema = billTermSchema.extend({ provenance: provenanceSchema });

export const designBillSchema = z.object({
  design: z.string(),
  title: z.string(),
  entryBytes: bytes,
  uses: z.array(useBillSchema),
  entries: bytes,
  descriptors: bytes,
  /** What the design needs outside the memmap (the 8-byte buddy word's free-list arrays), per page of RAM. */
  outside: z.array(outsideBillSchema),
  outsideBytes: bytes,
  total: bytes,
  mib: z.number(),
  percentOfRam: z.number(),
  /** Bytes saved against today's memmap, HVO included (negative when the design costs more). */
  savingVsToday: z.number().int(),
});

export const billSchema = z.object({
  source: z.string().optional(),
  pageSize: z.number().int().positive(),
  /** Pages that have a struct page (holes excluded). */
  ramPages: bytes,
  ramBytes: bytes,
  /**
   * HugeTLB vmemmap optimisation: today's memmap of each hugetlb folio is cut to one page
   * (`/proc/sys/vm/hugetlb_optimize_vmemmap`, mm/hugetlb_vmemmap.c).
   */
  hvo: z.boolean(),
  designs: z.array(designBillSchema),
  warnings: z.array(z.string()),
});

export type BillTerm = z.output<typeof billTermSchema>;
export type UseBill = z.output<typeof useBillSchema>;
export type DesignBill = z.output<typeof designBillSchema>;
export type OutsideBill = z.output<typeof outsideBillSchema>;
export type Bill = z.output<typeof billSchema>;

export interface BillOptions {
  /** Designs to price the picture under (default: today, path-32, buddy-16, memdesc-8, plus the registry's). */
  readonly designs?: readonly (Design | string)[];
  /**
   * Whether today's kernel has the HugeTLB vmemmap optimisation on (default: the picture's `hvo`, else off, the
   * kernel's default): each hugetlb folio then keeps one page of struct pages.
   */
  readonly hvo?: boolean;
  /**
   * A use that is neither core's nor declared by a composed plugin: an error (BAD_PICTURE, the default: a
   * hand-written picture's typo), or `warn` for pictures whose uses are the kernel's (a survey counts IOMMU pages
   * whether or not a plugin that describes them is composed): their pages are then billed as page entries only.
   */
  readonly unknownUses?: "error" | "warn";
}

const n = thousands;
const MiB = 1024 * 1024;

/**
 * Prices a memory picture under each design: per use, `pages × entry size + descriptors × rounded descriptor
 * size`, with the arithmetic written out, plus what the design needs outside the memmap per page of RAM. Today's
 * descriptors overlay struct page and cost nothing extra, and with HVO a hugetlb folio keeps one page of struct
 * pages; inline kinds (buddy, misc) never allocate a descriptor; holes have no struct page at all.
 */
export function bill<Ps extends readonly AnyDescriptor[]>(
  registry: Registry<Ps>,
  pictureInput: PictureInput,
  options: BillOptions = {},
): Bill {
  const picture = parseWith(pictureSchema, pictureInput, "BAD_PICTURE", "memory picture");
  const designs = (options.designs ?? defaultDesigns(registry.design)).map(resolveDesign);
  const warnings: string[] = [];
  // The registry's uses in its order, then any the picture has that no composed plugin declares.
  const known = new Set<string>(registry.uses);
  const uses: MemoryUse[] = [
    ...registry.uses.filter((u) => picture.uses[u] !== undefined),
    ...Object.keys(picture.uses).filter((u) => !known.has(u)),
  ];
  const ramPages = uses.filter((u) => !unbackedUses.has(u)).reduce((s, u) => s + picture.uses[u]!.pages, 0);
  const ramBytes = ramPages * picture.pageSize;
  const hvo = options.hvo ?? picture.hvo ?? false;

  const unknown = uses.filter((u) => !known.has(u));
  if (unknown.length > 0 && options.unknownUses !== "warn")
    throw new MemdescError("BAD_PICTURE", {
      subject: "memory picture",
      issues: unknown.map((u) => ({
        path: ["uses", u],
        message: `not a memory use: neither core's nor one a composed plugin declares (uses: ${registry.uses.join(", ")})`,
      })),
    });
  for (const u of uses) {
    const e = picture.uses[u]!;
    if (!known.has(u))
      warnings.push(
        `${u} is not one of core's memory uses and no composed plugin declares it: its ${n(e.pages)} pages are billed as page entries only`,
      );
    else if (e.descriptors > 0 && registry.ownerOf(u) === undefined)
      warnings.push(
        `no plugin describes ${u} pages; their ${n(e.descriptors)} descriptors are billed at 0 bytes`,
      );
    if (e.descriptors > 0 && !e.orders)
      warnings.push(`${u}: no order histogram, so all ${n(e.descriptors)} descriptors are priced as order 0`);
  }

  const price = (design: Design): Omit<DesignBill, "savingVsToday"> => {
    const useBills = uses.map((u) => billUse(registry, design, u, picture.uses[u]!, hvo, picture.pageSize));
    const entries = useBills.reduce((s, b) => s + b.entryBytes, 0);
    const descriptors = useBills.reduce((s, b) => s + b.descriptorBytes, 0);
    const outside = design.outsideMemmap.map((o) => ({
      what: o.what,
      count: ramPages,
      size: o.bytesPerPage,
      bytes: ramPages * o.bytesPerPage,
      provenance: o.provenance,
    }));
    const outsideBytes = outside.reduce((s, o) => s + o.bytes, 0);
    const total = entries + descriptors + outsideBytes;
    return {
      design: design.name,
      title: design.title,
      entryBytes: design.entryBytes,
      uses: useBills,
      entries,
      descriptors,
      outside,
      outsideBytes,
      total,
      mib: total / MiB,
      percentOfRam: ramBytes === 0 ? 0 : (total / ramBytes) * 100,
    };
  };
  const priced = designs.map(price);
  // Savings are against today's memmap as the kernel has it (HVO included).
  const todayTotal = (priced.find((d) => d.design === today.name) ?? price(today)).total;
  return {
    ...(picture.source !== undefined ? { source: picture.source } : {}),
    pageSize: picture.pageSize,
    ramPages,
    ramBytes,
    hvo,
    designs: priced.map((d) => ({ ...d, savingVsToday: todayTotal - d.total })),
    warnings,
  };
}

function defaultDesigns(registryDesign: Design): Design[] {
  return billedDesigns.some((d) => d.name === registryDesign.name)
    ? [...billedDesigns]
    : [...billedDesigns, registryDesign];
}

/**
 * Bytes of today's memmap a hugetlb folio of `order` keeps with HVO: one page of struct pages
 * (mm/hugetlb_vmemmap.c frees the rest: 7 of a 2 MiB folio's 8, 4,095 of a 1 GiB folio's 4,096), or all of it
 * when it is no more than a page.
 */
export function hvoMemmapBytes(order: number, entryBytes: number, pageSize = PAGE_SIZE): number {
  return Math.min(2 ** order * entryBytes, pageSize);
}

/** Today's page entries of hugetlb folios under HVO: one term per folio order, and any pages no order covers. */
function hvoTerms(
  entry: { pages: number; descriptors: number; orders?: Record<string, number> | undefined },
  entryBytes: number,
  pageSize: number,
): BillTerm[] {
  const terms: BillTerm[] = [];
  let covered = 0;
  for (const [order, count] of Object.entries(entry.orders ?? {})) {
    if (count === 0) continue;
    const size = hvoMemmapBytes(Number(order), entryBytes, pageSize);
    covered += count * 2 ** Number(order);
    terms.push({
      what: `struct pages HVO keeps of order-${order} hugetlb folios`,
      count,
      size,
      bytes: count * size,
    });
  }
  if (entry.pages > covered)
    terms.push({
      what: "page entries",
      count: entry.pages - covered,
      size: entryBytes,
      bytes: (entry.pages - covered) * entryBytes,
    });
  return terms;
}

function billUse<Ps extends readonly AnyDescriptor[]>(
  registry: Registry<Ps>,
  design: Design,
  use: MemoryUse,
  entry: { pages: number; descriptors: number; orders?: Record<string, number> | undefined },
  hvo: boolean,
  pageSize: number,
): UseBill {
  const kind = registry.ownerOf(use);
  const backed = !unbackedUses.has(use);
  const terms: BillTerm[] = [];
  const optimized = hvo && backed && use === "hugetlb" && design.overlay;
  let entryBytes = backed ? entry.pages * design.entryBytes : 0;
  if (optimized) {
    terms.push(...hvoTerms(entry, design.entryBytes, pageSize));
    entryBytes = terms.reduce((s, t) => s + t.bytes, 0);
  } else if (backed)
    terms.push({ what: "page entries", count: entry.pages, size: design.entryBytes, bytes: entryBytes });
  const entryTerms = terms.length;
  let note: string | undefined;
  if (!backed) note = "no RAM, so no struct page";
  else if (optimized)
    note =
      "HVO: each hugetlb folio keeps one page of struct pages (mm/hugetlb_vmemmap.c); descriptors overlay struct page";
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
        const d = registry.descriptorSize(kind, Number(order), use)!;
        const size = Math.ceil(d.size / design.descriptorAlign) * design.descriptorAlign;
        const what = d.variant === "default" ? `${kind} descriptors` : `${kind} descriptors (${d.variant})`;
        const t = byVariant.get(what) ?? { what, count: 0, size, bytes: 0 };
        byVariant.set(what, { ...t, count: t.count + count, bytes: t.bytes + count * size });
      }
      terms.push(...byVariant.values());
    }
  }
  const descriptorBytes = terms.slice(entryTerms).reduce((s, t) => s + t.bytes, 0);
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
