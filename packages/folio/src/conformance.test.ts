import { linux618Measured } from "@memdesc/core";
import { conformance } from "@memdesc/core/testing";
import { simulationConformance } from "@memdesc/memmap/testing";
import { slab } from "@memdesc/slab";
import { paholeReference } from "@memdesc/testkit";
import { describe, it } from "vitest";
import { anonFolio, folio } from "./plugin.js";

const pahole = { text: paholeReference("pahole_folio.txt"), config: linux618Measured };
const values = {
  valid: [
    { order: 0, refcount: 1 },
    { order: 9, refcount: 3, mapcount: 2, nrPagesMapped: 512 },
  ],
  invalid: [
    { value: { order: 11, refcount: 1 }, path: ["order"] },
    { value: { order: 2, refcount: -3 }, path: ["refcount"] },
  ],
};

for (const [name, make] of [
  ["folio", folio],
  ["anonFolio", anonFolio],
] as const)
  describe(`${name}() conforms`, () => {
    for (const c of conformance(make(), { pahole, values })) it(c.name, c.run);
    for (const c of simulationConformance(make(), { alongside: [slab()] })) it(c.name, c.run);
  });
