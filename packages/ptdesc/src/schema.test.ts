import { createRegistry, issuesOf, keyPath } from "@memdesc/core";
import { describe, expect, it } from "vitest";
import { ptdesc } from "./plugin.js";
import { ptdescValueSchema } from "./schema.js";

const schema = ptdescValueSchema();
const issues = (v: unknown) => {
  const r = schema.safeParse(v);
  return r.success
    ? ""
    : issuesOf(r.error.issues)
        .map((i) => (i.path.length > 0 ? `${keyPath(i.path)}: ${i.message}` : i.message))
        .join("\n");
};

describe("ptdesc value schema", () => {
  it("accepts each level, fragments on PTE/PMD tables and a share count on a PMD table", () => {
    for (const level of ["pte", "pmd", "pud", "p4d", "pgd"]) expect(issues({ level })).toBe("");
    expect(schema.parse({ level: "pte", ptFragRefcount: 16 })).toEqual({ level: "pte", ptFragRefcount: 16 });
    expect(schema.parse({ level: "pmd", ptFragRefcount: 1 })).toEqual({ level: "pmd", ptFragRefcount: 1 });
    expect(schema.parse({ level: "pmd", ptShareCount: 0 })).toEqual({ level: "pmd", ptShareCount: 0 });
    expect(schema.parse({ level: "pmd", ptShareCount: 2 ** 31 - 1 }).ptShareCount).toBe(2 ** 31 - 1);
  });

  it("rejects an unknown level", () => {
    expect(issues({ level: "pml4" })).toBe("level: level must be one of pte, pmd, pud, p4d, pgd");
    expect(issues({})).toBe("level: level must be one of pte, pmd, pud, p4d, pgd");
  });

  it("bounds pt_frag_refcount by PTE_FRAG_NR and requires a live fragment", () => {
    expect(issues({ level: "pte", ptFragRefcount: 0 })).toBe(
      "ptFragRefcount: pt_frag_refcount counts live fragments: a page with none is freed, so at least 1",
    );
    expect(issues({ level: "pte", ptFragRefcount: 17 })).toBe(
      "ptFragRefcount: pt_frag_refcount is at most PTE_FRAG_NR (16) fragments per page",
    );
    expect(
      ptdescValueSchema({ maxFragments: 256 }).safeParse({ level: "pte", ptFragRefcount: 256 }).success,
    ).toBe(true);
    expect(issues({ level: "pte", ptFragRefcount: 1.5 })).toMatch(/^ptFragRefcount: /);
  });

  it("keeps fragments to PTE and PMD tables and sharing to PMD tables", () => {
    expect(issues({ level: "pud", ptFragRefcount: 2 })).toBe(
      "ptFragRefcount: only PTE and PMD tables are fragmented (pte_fragment_alloc, pmd_fragment_alloc), not pud",
    );
    expect(issues({ level: "pte", ptShareCount: 1 })).toBe(
      "ptShareCount: hugetlb shares PMD tables only (huge_pmd_share): pt_share_count needs level pmd, not pte",
    );
    expect(issues({ level: "pmd", ptShareCount: -1 })).toBe(
      "ptShareCount: pt_share_count cannot be negative",
    );
    expect(issues({ level: "pmd", ptShareCount: 2 ** 31 })).toBe(
      "ptShareCount: pt_share_count is an atomic_t: at most INT_MAX",
    );
  });

  it("allows only one of the two counters that share an atomic_t", () => {
    expect(issues({ level: "pmd", ptFragRefcount: 2, ptShareCount: 1 })).toBe(
      "ptShareCount: pt_frag_refcount and pt_share_count share one atomic_t (the union at offset 32 with pt_index and pt_mm): set at most one",
    );
  });

  it("rejects fields it does not know", () => {
    expect(issues({ level: "pte", refcount: 1 })).toMatch(/refcount/);
  });

  it("reports through the registry with the kind and plugin named", () => {
    const r = createRegistry({ plugins: [ptdesc()] });
    expect(r.parse("ptdesc", { level: "pgd" })).toEqual({ level: "pgd" });
    expect(() => r.parse("ptdesc", { level: "pte", ptShareCount: 3 })).toThrow(
      'ptdesc value (plugin "@memdesc/ptdesc"): ptShareCount: hugetlb shares PMD tables only (huge_pmd_share): pt_share_count needs level pmd, not pte',
    );
  });

  it("refuses a nonsensical fragment bound", () => {
    expect(() => ptdescValueSchema({ maxFragments: 0 })).toThrow(
      "maxFragments must be a whole number ≥ 1, got 0",
    );
  });
});
