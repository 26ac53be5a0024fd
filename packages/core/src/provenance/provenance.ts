import { z } from "zod";

/*
 * Where a fact comes from, as data. Every design (and each row of its type table), every descriptor layout and
 * field list, and every simulated behaviour carries one, so a reader can tell the kernel from the published plan,
 * from what this project inferred, from what it proposes. The labels are those of docs/kernel.md.
 */

const text = z.string().trim().min(1);

/** In a released kernel's source, or measured on a running kernel: the file and the release. */
export const kernelProvenanceSchema = z
  .object({
    basis: z.literal("kernel"),
    /** `mm/slub.c`, `include/linux/mm_types.h`, or what was measured (`BTF of the running kernel`). */
    file: text,
    /** `6.18`, `6.16–6.18`. */
    release: text,
    note: text.optional(),
  })
  .strict();

/** Published by the developers doing the work, not in any released kernel: the page (or message) and its revision. */
export const planProvenanceSchema = z
  .object({
    basis: z.literal("plan"),
    /** `kernelnewbies.org/MatthewWilcox/Memdescs`, or a mailing-list message's address. */
    page: text,
    /** The revision or date: `2025-08-20`, `current revision, read 2026-11`, `linux-mm, 2025-03-10`. */
    revision: text,
    note: text.optional(),
  })
  .strict();

/** Deduced from the kernel or the plan; no source states it. */
export const inferredProvenanceSchema = z
  .object({
    basis: z.literal("inferred"),
    /** The reasoning, in a sentence. */
    reasoning: text,
    /** What it is inferred from (`KN-P folio field list; mm/slab.h`). */
    from: text.optional(),
  })
  .strict();

/** Invented here: by this project, or by the plugin's author (`by`). */
export const proposalProvenanceSchema = z
  .object({
    basis: z.literal("proposal"),
    /** What is proposed and why, in a sentence. */
    reasoning: text,
    /** Whose proposal: `memdesc` for this project's, else the plugin's package name. */
    by: text.optional(),
  })
  .strict();

/** One of the four labels, with its source. */
export const provenanceSchema = z.discriminatedUnion("basis", [
  kernelProvenanceSchema,
  planProvenanceSchema,
  inferredProvenanceSchema,
  proposalProvenanceSchema,
]);

export type Provenance = z.output<typeof provenanceSchema>;
export type ProvenanceBasis = Provenance["basis"];
export type KernelProvenance = z.output<typeof kernelProvenanceSchema>;
export type PlanProvenance = z.output<typeof planProvenanceSchema>;
export type InferredProvenance = z.output<typeof inferredProvenanceSchema>;
export type ProposalProvenance = z.output<typeof proposalProvenanceSchema>;

/** The four labels, in the order a reader trusts them. */
export const provenanceBases = ["kernel", "plan", "inferred", "proposal"] as const;

/** A kernel fact: `kernel("mm/slub.c", "6.18")`. */
export function kernel(file: string, release: string, note?: string): KernelProvenance {
  return { basis: "kernel", file, release, ...(note !== undefined ? { note } : {}) };
}

/** A fact of the published plan: `plan("kernelnewbies.org/MatthewWilcox/Memdescs", "2025")`. */
export function plan(page: string, revision: string, note?: string): PlanProvenance {
  return { basis: "plan", page, revision, ...(note !== undefined ? { note } : {}) };
}

/** This project's deduction, with its reasoning. */
export function inferred(reasoning: string, from?: string): InferredProvenance {
  return { basis: "inferred", reasoning, ...(from !== undefined ? { from } : {}) };
}

/** This project's own proposal (or, with `by`, a plugin author's). */
export function proposal(reasoning: string, by = "memdesc"): ProposalProvenance {
  return { basis: "proposal", reasoning, by };
}

/**
 * One line for a reader: `kernel: mm/slub.c (Linux 6.18)`, `plan: kernelnewbies.org/… (2025)`,
 * `inferred: …`, `proposal (memdesc): …`. Notes are left out; `formatProvenance(p, { notes: true })` adds them.
 */
export function formatProvenance(p: Provenance, options: { readonly notes?: boolean } = {}): string {
  const note = (n: string | undefined) => (options.notes && n ? `; ${n}` : "");
  switch (p.basis) {
    case "kernel":
      return `kernel: ${p.file} (Linux ${p.release})${note(p.note)}`;
    case "plan":
      return `plan: ${p.page} (${p.revision})${note(p.note)}`;
    case "inferred":
      return `inferred: ${p.reasoning}${options.notes && p.from ? ` (from ${p.from})` : ""}`;
    case "proposal":
      return `proposal (${p.by ?? "memdesc"}): ${p.reasoning}`;
  }
}

/** The short label alone: `kernel`, `plan`, `inferred`, `proposal`. */
export function provenanceLabel(p: Provenance | undefined): ProvenanceBasis | "undeclared" {
  return p?.basis ?? "undeclared";
}
