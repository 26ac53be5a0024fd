import { linux618Measured } from "@memdesc/core";
import { conformance } from "@memdesc/core/testing";
import { simulationConformance } from "@memdesc/memmap/testing";
import { slab } from "@memdesc/slab";
import { paholeReference } from "@memdesc/testkit";
import { describe, it } from "vitest";
import { ioptdesc } from "./plugin.js";

for (const model of ["today", "projection"] as const)
  describe(`ioptdesc({ model: "${model}" }) conforms`, () => {
    for (const c of conformance(ioptdesc({ model }), {
      pahole: { text: paholeReference("pahole_ioptdesc.txt"), config: linux618Measured },
    }))
      it(c.name, c.run);
    for (const c of simulationConformance(ioptdesc({ model }), { alongside: [slab()] })) it(c.name, c.run);
  });
