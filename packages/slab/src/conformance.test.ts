import { linux618Measured } from "@memdesc/core";
import { conformance } from "@memdesc/core/testing";
import { simulationConformance } from "@memdesc/memmap/testing";
import { paholeReference } from "@memdesc/testkit";
import { describe, it } from "vitest";
import { slab } from "./plugin.js";

describe("slab() conforms", () => {
  for (const c of conformance(slab(), {
    pahole: { text: paholeReference("pahole_slab.txt"), config: linux618Measured },
    values: {
      valid: [
        { order: 0, objects: 64, inuse: 10 },
        { order: 1, objects: 42, inuse: 42, frozen: true },
      ],
      invalid: [
        { value: { order: 1, objects: 42, inuse: 43 }, path: ["inuse"] },
        { value: { order: 0, objects: 64, inuse: 1, frozen: 1 }, path: ["frozen"] },
      ],
    },
  }))
    it(c.name, c.run);
  for (const c of simulationConformance(slab())) it(c.name, c.run);
});
