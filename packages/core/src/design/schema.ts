import { z } from "zod";
import { provenanceSchema } from "../provenance/provenance.js";
import { parseWith } from "../validate.js";

const kindName = z.string().regex(/^[a-z][a-z0-9-]*$/, "a kind is lower-case letters, digits and dashes");

/** A field packed into the bits of an inline memdesc word, above the type bits. */
export const payloadFieldSchema = z.object({
  name: z.string().regex(/^[a-z][A-Za-z0-9_]*$/),
  /** Lowest bit of the field within its word. */
  bit: z.number().int().nonnegative(),
  width: z.number().int().positive(),
  /**
   * Which 64-bit word of the page entry holds it: 0, the memdesc word, unless the entry is wider (BuddyAllocator
   * Option 1 keeps `struct buddy { next, prev }` in a 16-byte entry, `prev` in word 1).
   */
  word: z.number().int().nonnegative().optional(),
  /** Where this field's place comes from, when it differs from its type-table row's. */
  provenance: provenanceSchema.optional(),
  /** What the field holds, briefly. */
  meaning: z.string().optional(),
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
  /** Where this row comes from; a row without one has its design's. */
  provenance: provenanceSchema.optional(),
});

/**
 * Memory a design needs outside the memmap, per page of RAM: what the bill adds to the page entries and
 * descriptors (the free-list arrays an 8-byte buddy word needs, for one).
 */
export const outsideMemmapSchema = z.object({
  what: z.string().min(1),
  /** Bytes per page of RAM (a capacity sized for the worst case, not for the memory in use). */
  bytesPerPage: z.number().int().positive(),
  provenance: provenanceSchema,
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
    /**
     * Where the design comes from: the kernel, a revision of the published plan (its page and date), or a
     * proposal. Built-in designs all say; a user's design should.
     */
    provenance: provenanceSchema.optional(),
    /** Bytes of memmap per page: 64 for today's struct page, 8 for the final memdesc word. */
    entryBytes: z.number().int().positive(),
    /**
     * Width of the memdesc word. The plan's word is a u64 (`struct page { u64 memdesc; }`), 8 bytes on 32-bit
     * kernels too; a design with a 32-bit word must say why in `wordBitsReason`.
     */
    wordBits: z.union([z.literal(64), z.literal(32)]).default(64),
    wordBitsReason: z.string().min(1).optional(),
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
    /** Memory outside the memmap the design needs, billed per page of RAM. */
    outsideMemmap: z.array(outsideMemmapSchema).default([]),
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
      const words = Math.max(1, Math.floor((d.entryBytes * 8) / d.wordBits));
      for (const [j, f] of (e.payload ?? []).entries()) {
        const word = f.word ?? 0;
        if (word >= words)
          ctx.addIssue({
            code: "custom",
            path: ["typeTable", i, "payload", j, "word"],
            message: `payload field ${f.name} is in word ${word}, but a ${d.entryBytes}-byte entry has ${words} ${d.wordBits}-bit word${words === 1 ? "" : "s"}`,
          });
        // Only the memdesc word (word 0) carries the type bits.
        else if (f.bit < (word === 0 ? low : 0) || f.bit + f.width > d.wordBits)
          ctx.addIssue({
            code: "custom",
            path: ["typeTable", i, "payload", j],
            message:
              word === 0
                ? `payload field ${f.name} (bits ${f.bit}..${f.bit + f.width - 1}) must lie between the type bits and bit ${d.wordBits - 1}`
                : `payload field ${f.name} (bits ${f.bit}..${f.bit + f.width - 1} of word ${word}) must lie within bits 0..${d.wordBits - 1}`,
          });
      }
    });
    if (d.descriptorAlign < limit)
      ctx.addIssue({
        code: "custom",
        path: ["descriptorAlign"],
        message: `descriptors aligned to ${d.descriptorAlign} leave fewer than ${d.typeBits} low bits free for the type`,
      });
    if (d.wordBits !== 64 && !d.wordBitsReason)
      ctx.addIssue({
        code: "custom",
        path: ["wordBitsReason"],
        message: `the plan's memdesc word is a u64 on every ABI; a ${d.wordBits}-bit word needs a reason (wordBitsReason)`,
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
export type OutsideMemmap = z.output<typeof outsideMemmapSchema>;

/** Validates a user-defined design; the error names the offending key. */
export function defineDesign(input: DesignInput): Design {
  const name = typeof (input as { name?: unknown })?.name === "string" ? ` "${input.name}"` : "";
  return parseWith(designSchema, input, "BAD_DESIGN", `design${name}`);
}
