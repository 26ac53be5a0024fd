import { z } from "zod";
import { parseWith } from "../validate.js";

const kindName = z.string().regex(/^[a-z][a-z0-9-]*$/, "a kind is lower-case letters, digits and dashes");

/** A field packed into the bits of an inline memdesc word, above the type bits. */
export const payloadFieldSchema = z.object({
  name: z.string().regex(/^[a-z][A-Za-z0-9_]*$/),
  /** Lowest bit of the field within the word. */
  bit: z.number().int().nonnegative(),
  width: z.number().int().positive(),
});

/** One row of a design's type table: what a tag value means. */
export const typeTableEntrySchema = z.object({
  tag: z.number().int().nonnegative(),
  /** The kind the tag is set aside for (`folio`, `slab`); plugins of that kind get this tag by default. */
  kind: kindName.optional(),
  /** What the source says, e.g. `File (pointer to struct folio)`. */
  meaning: z.string(),
  storage: z.enum(["pointer", "inline"]),
  /** For inline kinds: how the remaining bits are used. */
  payload: z.array(payloadFieldSchema).optional(),
});

/**
 * A design: how per-page metadata is stored. The built-in ones follow the kernel developers' published plans;
 * users define their own with the same schema.
 */
export const designSchema = z
  .object({
    name: z
      .string()
      .regex(/^[a-z0-9][a-z0-9.-]*$/, "a design name is lower-case letters, digits, dots and dashes"),
    title: z.string(),
    description: z.string().default(""),
    /** Where it comes from (`kernelnewbies.org/MatthewWilcox/Memdescs`). */
    source: z.string().default(""),
    /** Bytes of memmap per page: 64 for today's struct page, 8 for the final memdesc word. */
    entryBytes: z.number().int().positive(),
    /** Width of the memdesc word: 64 on 64-bit kernels, 32 on 32-bit ones. */
    wordBits: z.union([z.literal(64), z.literal(32)]).default(64),
    /** Low bits of the word that hold the type; 0 for a design with no memdesc word (today). */
    typeBits: z.number().int().min(0).max(8),
    /** Alignment of separately allocated descriptors; sizes round up to it and it keeps the type bits free. */
    descriptorAlign: z.number().int().positive().default(16),
    /** Descriptors live inside the page entries (today's overlays), so they cost nothing extra. */
    overlay: z.boolean().default(false),
    /**
     * How a word's type is read: `exact` takes the low `typeBits`; `buddy-low2` first treats a word whose low
     * two bits are 0 as a buddy page (its `buddy_list.next` pointer), as the 32-byte path design does.
     */
    tagDecoding: z.enum(["exact", "buddy-low2"]).default("exact"),
    typeTable: z.array(typeTableEntrySchema).default([]),
  })
  .superRefine((d, ctx) => {
    const limit = 2 ** d.typeBits;
    const seen = new Set<number>();
    d.typeTable.forEach((e, i) => {
      if (e.tag >= limit)
        ctx.addIssue({
          code: "custom",
          path: ["typeTable", i, "tag"],
          message: `tag ${e.tag} does not fit in ${d.typeBits} type bits`,
        });
      if (seen.has(e.tag))
        ctx.addIssue({
          code: "custom",
          path: ["typeTable", i, "tag"],
          message: `tag ${e.tag} appears twice`,
        });
      seen.add(e.tag);
      // A buddy word of the 32-byte design is a list pointer: only its low two bits are the type.
      const low = d.tagDecoding === "buddy-low2" && (e.tag & 3) === 0 ? 2 : d.typeBits;
      for (const [j, f] of (e.payload ?? []).entries()) {
        if (f.bit < low || f.bit + f.width > d.wordBits)
          ctx.addIssue({
            code: "custom",
            path: ["typeTable", i, "payload", j],
            message: `payload field ${f.name} (bits ${f.bit}..${f.bit + f.width - 1}) must lie between the type bits and bit ${d.wordBits - 1}`,
          });
      }
    });
    if (d.descriptorAlign < limit)
      ctx.addIssue({
        code: "custom",
        path: ["descriptorAlign"],
        message: `descriptors aligned to ${d.descriptorAlign} leave fewer than ${d.typeBits} low bits free for the type`,
      });
    if (d.typeBits > 0 && d.entryBytes * 8 < d.wordBits)
      ctx.addIssue({
        code: "custom",
        path: ["entryBytes"],
        message: `a page entry must hold the ${d.wordBits}-bit word`,
      });
  });

export type Design = z.output<typeof designSchema>;
export type DesignInput = z.input<typeof designSchema>;
export type TypeTableEntry = z.output<typeof typeTableEntrySchema>;
export type PayloadField = z.output<typeof payloadFieldSchema>;

/** Validates a user-defined design; the error names the offending key. */
export function defineDesign(input: DesignInput): Design {
  const name = typeof (input as { name?: unknown })?.name === "string" ? ` "${input.name}"` : "";
  return parseWith(designSchema, input, "BAD_DESIGN", `design${name}`);
}
