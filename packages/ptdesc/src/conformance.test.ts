import { linux618Measured } from "@memdesc/core";
import { conformance } from "@memdesc/core/testing";
import { simulationConformance } from "@memdesc/memmap/testing";
import { slab } from "@memdesc/slab";
import { paholeReference } from "@memdesc/testkit";
import { describe, it } from "vitest";
import { ptdesc } from "./plugin.js";

describe("ptdesc conforms", () => {
  for (const c of conformance(ptdesc(), {
    pahole: { text: paholeReference("pahole_ptdesc.txt"), config: linux618Measured },
    values: {
      valid: [{ level: "pte", ptFragRefcount: 16 }, { level: "pmd", ptShareCount: 2 }, { level: "pgd" }],
      invalid: [
        { value: { level: "pte4" }, path: ["level"] },
        { value: { level: "pte", ptFragRefcount: 17 }, path: ["ptFragRefcount"], message: "PTE_FRAG_NR" },
        { value: { level: "pud", ptFragRefcount: 1 }, path: ["ptFragRefcount"] },
      ],
    },
  }))
    it(c.name, c.run);
  for (const c of simulationConformance(ptdesc(), { alongside: [slab()] })) it(c.name, c.run);
});
