import { linux618Measured } from "@memdesc/core";
import { conformance } from "@memdesc/core/testing";
import { simulationConformance } from "@memdesc/memmap/testing";
import { paholeReference } from "@memdesc/testkit";
import { describe, it } from "vitest";
import { zpdesc } from "./plugin.js";

describe("zpdesc() conforms", () => {
  for (const c of conformance(zpdesc(), {
    pahole: { text: paholeReference("pahole_zpdesc.txt"), config: linux618Measured },
    values: {
      valid: [{ firstObjOffset: 0, zspagePages: 1 }],
      invalid: [
        { value: { firstObjOffset: 4, zspagePages: 1 }, path: ["firstObjOffset"], message: "ZS_ALIGN" },
        { value: { firstObjOffset: 0, zspagePages: 9 }, path: ["zspagePages"] },
      ],
    },
  }))
    it(c.name, c.run);
  for (const c of simulationConformance(zpdesc())) it(c.name, c.run);
});
